// The certificate authorities of membership services in one object: the ECA (enrollment with a
// one-time secret, enrollment certificates, registration and revocation of users), the TCA
// (batches of transaction certificates, unlinkable to their owner for anyone but the CA, with the
// owner's attributes from the ACA entries) and the TLSCA (certificates binding a validator's
// libp2p identity). Every method validates its input and throws CaError with an HTTP status.
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  CertKind,
  ECDSA_P256,
  Role,
  SIGNING_ALGORITHM,
  encodeKindExtension,
  parseCertificate,
  readCertFields,
  x509,
  ATTRIBUTE_NAME_BYTES_MAX,
  CERT_ATTRIBUTES_MAX,
} from '../security/cert-format.ts';
import {
  REQUEST_FRESHNESS_MS,
  TCERT_BATCH_MAX,
  registerRequestBytes,
  requestBytes,
  revocationListBytes,
  revokeRequestBytes,
  tcertRequestBytes,
  validatorCertRequestBytes,
  type CaCertificates,
  type EnrollRequest,
  type EnrollResponse,
  type RegisterRequest,
  type RevocationList,
  type RevokeRequest,
  type TCertRequest,
  type TCertResponse,
  type ValidatorCertRequest,
} from '../security/ca-requests.ts';
import type { webcrypto } from 'node:crypto';
import { deriveTCertPublicPoints, publicPoint, signBytes, verifyBytes } from '../security/keys.ts';
import { sealChainKey } from '../security/chain-key.ts';
import { EciesRecipient } from '../security/ecies.ts';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, gcmOpen, gcmSeal } from '../security/aes-gcm.ts';
import { TCERT_NONCE_BYTES, TCertTemplate, newTCertSerial } from './tcert-template.ts';

type CryptoKey = webcrypto.CryptoKey;
import { ENROLLMENT_ID_PATTERN, parseRegistrar, rolesFromNames, type AttributeEntry, type CaConfig } from './ca-config.ts';
import { CaStore, type StoredCert, type StoredUser } from './ca-store.ts';

const CA_CERT_VALIDITY_MS = 10 * 365 * 24 * 3_600_000;
/** Certificates are valid from a little before they are issued, for peers whose clocks run behind. */
const BACKDATE_MS = 5 * 60_000;
const SECRET_BYTES = 9;
const KDF_KEY_BYTES = 32;
const ED25519_PUBLIC_KEY_BYTES = 32;
/** SPKI DER of a P-256 key is 91 bytes; anything far larger is not one. */
const PUBLIC_KEY_B64_MAX = 512;
const SIGNATURE_B64_MAX = 256;

export class CaError extends Error {
  override name = 'CaError';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface Authority {
  name: 'eca' | 'tca' | 'tlsca';
  privateKey: KeyObject;
  publicKey: KeyObject;
  cryptoKey: CryptoKey;
  cert: x509.X509Certificate;
  der: Uint8Array;
}

export interface CaOptions {
  /** The CA's clock (tests issue certificates in the past). */
  now?: () => Date;
}

function b64(bytes: Uint8Array | ArrayBuffer): string {
  return Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('base64');
}

function fromB64(text: unknown, what: string, maxChars: number): Uint8Array {
  if (typeof text !== 'string' || text.length === 0 || text.length > maxChars || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new CaError(400, `${what} must be base64 (at most ${maxChars} characters)`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function checkId(id: unknown, what: string): string {
  if (typeof id !== 'string' || !ENROLLMENT_ID_PATTERN.test(id)) throw new CaError(400, `Invalid ${what}: letters, digits and _ only, at most 64`);
  return id;
}

function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  if (bytes[0] === 0) bytes[0] = 1; // no leading zero byte: the hex is the DER value
  return bytes.toString('hex');
}

async function cryptoKeyOf(key: KeyObject, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  return key.toCryptoKey(ECDSA_P256, true, [usage]) as CryptoKey;
}

export class CertificateAuthority {
  readonly config: CaConfig;
  readonly #store: CaStore;
  readonly #now: () => Date;
  #eca!: Authority;
  #tca!: Authority;
  #tlsca!: Authority;
  /** Encrypts the enrollment id inside TCerts; never leaves the CA. */
  #idKey!: KeyObject;
  /** Privacy mode's chain key: its public key goes to every enrollee, its private key to validators only. */
  #chainKey!: EciesRecipient;

  private constructor(config: CaConfig, store: CaStore, options: CaOptions) {
    this.config = config;
    this.#store = store;
    this.#now = options.now ?? (() => new Date());
  }

  /** Opens (or creates) the CA's store, its keys and certificates, and loads the configured users once. */
  static async open(config: CaConfig, options: CaOptions = {}): Promise<CertificateAuthority> {
    const store = await CaStore.open(config.storeDir);
    const ca = new CertificateAuthority(config, store, options);
    try {
      ca.#eca = await ca.#authority('eca', 'weft ECA');
      ca.#tca = await ca.#authority('tca', 'weft TCA');
      ca.#tlsca = await ca.#authority('tlsca', 'weft TLSCA');
      let idKey = await store.getMeta<string>('tcert-id-key');
      if (!idKey) {
        idKey = b64(randomBytes(32));
        await store.putMeta('tcert-id-key', idKey);
      }
      // A KeyObject once: a raw key would be imported again for every TCert.
      ca.#idKey = createSecretKey(Buffer.from(idKey, 'base64'));
      let chainKey = await store.getMeta<string>('chain-key');
      if (!chainKey) {
        chainKey = b64(EciesRecipient.generate().scalar());
        await store.putMeta('chain-key', chainKey);
      }
      ca.#chainKey = new EciesRecipient(new Uint8Array(Buffer.from(chainKey, 'base64')));
      // Fabric reads eca.users into its database on start; users already there keep their state.
      for (const user of config.users) {
        if (await store.getUser(user.id)) continue;
        await store.putUser({ ...user, state: 0, revoked: false });
      }
    } catch (error) {
      await store.close();
      throw error;
    }
    return ca;
  }

  async close(): Promise<void> {
    await this.#store.close();
  }

  async #authority(name: Authority['name'], commonName: string): Promise<Authority> {
    const saved = await this.#store.getMeta<{ key: string; cert: string }>(`authority/${name}`);
    let privateKey: KeyObject;
    let der: Uint8Array;
    if (saved) {
      privateKey = createPrivateKey({ key: Buffer.from(saved.key, 'base64'), format: 'der', type: 'pkcs8' });
      der = new Uint8Array(Buffer.from(saved.cert, 'base64'));
    } else {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      privateKey = pair.privateKey;
      const now = this.#now();
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: newSerial(),
        name: `CN=${commonName}, O=weft`,
        notBefore: new Date(now.getTime() - BACKDATE_MS),
        notAfter: new Date(now.getTime() + CA_CERT_VALIDITY_MS),
        signingAlgorithm: SIGNING_ALGORITHM,
        keys: { privateKey: await cryptoKeyOf(pair.privateKey, 'sign'), publicKey: await cryptoKeyOf(pair.publicKey, 'verify') },
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
          encodeKindExtension(CertKind.CA, 0),
        ],
      });
      der = new Uint8Array(cert.rawData);
      await this.#store.putMeta(`authority/${name}`, { key: b64(privateKey.export({ format: 'der', type: 'pkcs8' })), cert: b64(der) });
    }
    return { name, privateKey, publicKey: createPublicKey(privateKey), cryptoKey: await cryptoKeyOf(privateKey, 'sign'), cert: new x509.X509Certificate(der), der };
  }

  caCertificates(): CaCertificates {
    return { eca: b64(this.#eca.der), tca: b64(this.#tca.der), tlsca: b64(this.#tlsca.der) };
  }

  async #issue(
    authority: Authority,
    options: { subject: string; publicKey: CryptoKey; validityMs: number; extensions: x509.Extension[]; kind: string; owner: string },
  ): Promise<StoredCert> {
    const now = this.#now();
    const serial = newSerial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: options.subject,
      issuer: authority.cert.subject,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + options.validityMs),
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: options.publicKey,
      signingKey: authority.cryptoKey,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ...options.extensions],
    });
    return { serial, kind: options.kind, owner: options.owner, der: b64(cert.rawData), revoked: false };
  }

  async #user(id: string): Promise<StoredUser> {
    const user = await this.#store.getUser(id);
    if (!user) throw new CaError(401, `Identity ${id} is not registered.`);
    return user;
  }

  /** A request signed with the member's enrollment key, within the freshness window; the member must be enrolled and not revoked. */
  async #authenticate(id: string, timestamp: unknown, signature: unknown, bytes: Uint8Array): Promise<StoredUser> {
    const user = await this.#user(id);
    if (user.state !== 1 || !user.publicKey) throw new CaError(401, `Identity ${id} is not enrolled.`);
    if (user.revoked) throw new CaError(403, `Identity ${id} is revoked.`);
    if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || Math.abs(timestamp - this.#now().getTime()) > REQUEST_FRESHNESS_MS) {
      throw new CaError(401, `Request timestamp is missing or more than ${REQUEST_FRESHNESS_MS / 1000} s from the CA's clock.`);
    }
    const key = createPublicKey({ key: Buffer.from(user.publicKey, 'base64'), format: 'der', type: 'spki' });
    if (!verifyBytes(key, bytes, fromB64(signature, 'signature', SIGNATURE_B64_MAX))) {
      throw new CaError(401, `Signature of ${id}'s request does not verify with its enrollment key.`);
    }
    return user;
  }

  // ---- ECA

  async enroll(request: EnrollRequest): Promise<EnrollResponse> {
    const id = checkId(request?.enrollId, 'enrollment ID');
    if (typeof request.enrollSecret !== 'string' || request.enrollSecret === '') throw new CaError(400, 'enrollId and enrollSecret may not be blank.');
    const spki = fromB64(request.publicKey, 'publicKey', PUBLIC_KEY_B64_MAX);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    } catch {
      throw new CaError(400, 'publicKey is not an SPKI DER public key');
    }
    if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new CaError(400, 'publicKey must be an ECDSA P-256 key');
    }
    const user = await this.#store.getUser(id);
    if (!user) throw new CaError(401, 'Identity or token does not match.');
    if (user.revoked) throw new CaError(403, `Identity ${id} is revoked.`);
    if (user.state === 1) throw new CaError(401, `User ${id} is already enrolled: an enrollment secret can be used only once.`);
    if (user.secret !== request.enrollSecret) throw new CaError(401, 'Identity or token does not match.');
    if (!verifyBytes(publicKey, requestBytes('enroll', [id, request.publicKey]), fromB64(request.signature, 'signature', SIGNATURE_B64_MAX))) {
      throw new CaError(401, 'The enrollment request is not signed by the key it presents.');
    }
    const kdfKey = randomBytes(KDF_KEY_BYTES);
    const subject = user.affiliation ? `CN=${id}, O=${user.affiliation}` : `CN=${id}`;
    const ecert = await this.#issue(this.#eca, {
      subject,
      publicKey: await cryptoKeyOf(publicKey, 'verify'),
      validityMs: this.config.ecertValidityMs,
      extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), encodeKindExtension(CertKind.ECERT, user.roles)],
      kind: CertKind.ECERT,
      owner: id,
    });
    await this.#store.putCerts([ecert]);
    await this.#store.putUser({ ...user, state: 1, secret: '', publicKey: b64(spki), kdfKey: b64(kdfKey), ecertSerial: ecert.serial });
    const answer: EnrollResponse = { ecert: ecert.der, kdfKey: b64(kdfKey), caCerts: this.caCertificates(), chainPublicKey: b64(this.#chainKey.point) };
    // Fabric's CreateCertificatePair: the chain private key (obcPriv) to validators only.
    if ((user.roles & Role.VALIDATOR) !== 0) answer.chainPrivateKey = b64(sealChainKey(this.#chainKey, publicKey, id));
    return answer;
  }

  /** The enrollment certificate of a user (DER, base64), as Fabric's ReadCertificatePair. */
  async readECert(id: string): Promise<string> {
    const user = await this.#user(checkId(id, 'enrollment ID'));
    const cert = user.ecertSerial ? await this.#store.getCert(user.ecertSerial) : undefined;
    if (!cert) throw new CaError(404, `User ${id} has no enrollment certificate (not enrolled).`);
    return cert.der;
  }

  async register(request: RegisterRequest): Promise<{ secret: string }> {
    const registrarId = checkId(request?.registrar, 'registrar ID');
    const user = request.user;
    if (typeof user !== 'object' || user === null) throw new CaError(400, 'user must be an object with id, roles and affiliation');
    const id = checkId(user.id, 'enrollment ID');
    const registrar = await this.#authenticate(registrarId, request.timestamp, request.signature, registerRequestBytes(request));
    let roles: number;
    let rights: StoredUser['registrar'];
    try {
      roles = rolesFromNames(user.roles, 'roles');
      rights = parseRegistrar(user.registrar ? { registrar: user.registrar } : null, 'registrar');
    } catch (error) {
      throw new CaError(400, (error as Error).message);
    }
    if (roles === 0) throw new CaError(400, 'A new user needs at least one role.');
    if (!registrar.registrar || registrar.registrar.roles === 0) throw new CaError(403, `${registrarId} is not a registrar: it may not register users.`);
    if ((roles & ~registrar.registrar.roles) !== 0) throw new CaError(403, `Registrar ${registrarId} may not register users with the roles asked for.`);
    if (rights && (((rights.roles | rights.delegateRoles) & ~registrar.registrar.delegateRoles) !== 0)) {
      throw new CaError(403, `Registrar ${registrarId} may not delegate the registrar roles asked for.`);
    }
    if (typeof user.affiliation !== 'string' || (user.affiliation !== '' && !this.config.affiliations.has(user.affiliation))) {
      throw new CaError(400, `Unknown affiliation ${JSON.stringify(user.affiliation)}.`);
    }
    if (await this.#store.getUser(id)) throw new CaError(409, `User ${id} is already registered.`);
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    await this.#store.putUser({ id, roles, secret, affiliation: user.affiliation, registrar: rights, state: 0, revoked: false, registeredBy: registrarId });
    return { secret };
  }

  async revoke(request: RevokeRequest): Promise<{ revoked: number }> {
    const registrarId = checkId(request?.registrar, 'registrar ID');
    const target = await this.#user(checkId(request.target, 'enrollment ID'));
    const registrar = await this.#authenticate(registrarId, request.timestamp, request.signature, revokeRequestBytes(request));
    if (!registrar.registrar || (target.roles & ~registrar.registrar.roles) !== 0) {
      throw new CaError(403, `Registrar ${registrarId} may not revoke ${target.id}.`);
    }
    await this.#store.putUser({ ...target, revoked: true });
    return { revoked: await this.#store.revokeCertsOf(target.id) };
  }

  async revocationList(): Promise<RevocationList> {
    const body = { serials: (await this.#store.revokedSerials()).sort(), issuedAt: this.#now().getTime() };
    return { ...body, signature: b64(signBytes(this.#eca.privateKey, revocationListBytes(body))) };
  }

  // ---- TCA

  /** The attributes a user holds at this moment, of those asked for (Fabric's ACA entries with validity periods). */
  #attributesOf(user: StoredUser, names: string[]): Map<string, Uint8Array> {
    const now = this.#now().getTime();
    const held = new Map<string, Uint8Array>();
    const valid = (a: AttributeEntry): boolean => a.validFrom.getTime() <= now && (a.validTo === null || now <= a.validTo.getTime());
    for (const name of names) {
      const entry = this.config.attributes.find((a) => a.user === user.id && a.name === name && valid(a));
      if (entry) held.set(name, new TextEncoder().encode(entry.value));
    }
    return held;
  }

  async issueTCerts(request: TCertRequest): Promise<TCertResponse> {
    const id = checkId(request?.enrollId, 'enrollment ID');
    const count = request.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > TCERT_BATCH_MAX) {
      throw new CaError(400, `count must be an integer from 1 to ${TCERT_BATCH_MAX}`);
    }
    const names = request.attributes ?? [];
    if (!Array.isArray(names) || names.length > CERT_ATTRIBUTES_MAX || names.some((n) => typeof n !== 'string' || n === '' || Buffer.byteLength(n) > ATTRIBUTE_NAME_BYTES_MAX)) {
      throw new CaError(400, `attributes must be a list of at most ${CERT_ATTRIBUTES_MAX} non-empty names`);
    }
    const user = await this.#authenticate(id, request.timestamp, request.signature, tcertRequestBytes(request));
    const ecertKey = createPublicKey({ key: Buffer.from(user.publicKey ?? '', 'base64'), format: 'der', type: 'spki' });
    const kdfKey = Buffer.from(user.kdfKey ?? '', 'base64');
    const attributes = this.#attributesOf(user, [...new Set(names)]);
    const now = this.#now();
    // One template per batch (one @peculiar/x509 generation); every TCert is the template with its own fields, signed natively.
    const template = await TCertTemplate.create({
      issuer: this.#tca.cert,
      signingKey: this.#tca.privateKey,
      signingCryptoKey: this.#tca.cryptoKey,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + this.config.tcertValidityMs),
      roles: user.roles,
      attributes,
      encryptedIdBytes: this.#encryptId(id).length,
    });
    const nonceList = Array.from({ length: count }, () => randomBytes(TCERT_NONCE_BYTES));
    const points = deriveTCertPublicPoints(publicPoint(ecertKey), kdfKey, nonceList);
    const issued: StoredCert[] = [];
    const nonces: string[] = [];
    for (const [i, nonce] of nonceList.entries()) {
      const serial = newTCertSerial();
      const der = template.issue({ serial, point: points[i]!, nonce, encryptedId: this.#encryptId(id) });
      if (i === 0) TCertTemplate.check(der, this.#tca.publicKey);
      issued.push({ serial: serial.toString('hex'), kind: CertKind.TCERT, owner: id, der: b64(der), revoked: false });
      nonces.push(b64(nonce));
    }
    await this.#store.putCerts(issued);
    return { tcerts: issued.map((c) => c.der), nonces };
  }

  #encryptId(id: string): Uint8Array {
    const iv = randomBytes(GCM_NONCE_BYTES);
    return new Uint8Array(Buffer.concat([iv, gcmSeal(this.#idKey, iv, Buffer.from(id, 'utf8'))]));
  }

  /** Only the CA can tell whose a TCert is (for audit): the enrollment id decrypted from the certificate. */
  openTCert(der: Uint8Array): string {
    const fields = readCertFields(parseCertificate(der));
    const sealed = fields.encryptedEnrollmentId;
    if (fields.kind !== CertKind.TCERT || !sealed || sealed.length < GCM_NONCE_BYTES + GCM_TAG_BYTES) throw new CaError(400, 'not a transaction certificate');
    const id = gcmOpen(this.#idKey, sealed.subarray(0, GCM_NONCE_BYTES), sealed.subarray(GCM_NONCE_BYTES));
    if (id === undefined) throw new CaError(400, 'the certificate was not issued by this CA');
    return Buffer.from(id).toString('utf8');
  }

  // ---- TLSCA

  /** A certificate binding a peer's libp2p Ed25519 key to its enrollment id (role validator, or peer for a non-validating peer). */
  async issueValidatorCert(request: ValidatorCertRequest): Promise<{ cert: string }> {
    const id = checkId(request?.enrollId, 'enrollment ID');
    const raw = fromB64(request.peerPublicKey, 'peerPublicKey', 64);
    if (raw.length !== ED25519_PUBLIC_KEY_BYTES) throw new CaError(400, `peerPublicKey must be a ${ED25519_PUBLIC_KEY_BYTES}-byte Ed25519 public key`);
    const user = await this.#authenticate(id, request.timestamp, request.signature, validatorCertRequestBytes(request));
    if ((user.roles & (Role.VALIDATOR | Role.PEER)) === 0) {
      throw new CaError(403, `${id} is not a peer: only users with the validator or peer role get a network identity certificate.`);
    }
    let peerKey: CryptoKey;
    try {
      peerKey = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, true, ['verify']);
    } catch {
      throw new CaError(400, 'peerPublicKey is not an Ed25519 public key');
    }
    const cert = await this.#issue(this.#tlsca, {
      subject: `CN=${id}`,
      publicKey: peerKey,
      validityMs: this.config.validatorCertValidityMs,
      extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), encodeKindExtension(CertKind.VALIDATOR, user.roles)],
      kind: CertKind.VALIDATOR,
      owner: id,
    });
    await this.#store.putCerts([cert]);
    return { cert: cert.der };
  }
}
