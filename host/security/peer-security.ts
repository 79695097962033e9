// A peer's membership services with security.enabled: the CA's certificates (fetched once from
// peer.pki.eca.paddr, then pinned under the data directory), the peer's own enrollment
// (security.enrollID), users' logins, TCert pools, signing the transactions submitted for a
// logged-in user, and the checks every validator makes before a transaction may run.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CoreConfig } from '../config/core-config.ts';
import type { Logger } from '../logging.ts';
import type { SeenBefore } from '../peer/executor.ts';
import type { Transaction } from '../protocol/messages.ts';
import type { CallerIdentity } from '../runtime/types.ts';
import { CaClient, type Enrollment } from './ca-client.ts';
import { TCERT_BATCH_MAX, type CaCertificates } from './ca-requests.ts';
import { toPem } from './cert-format.ts';
import { CertificateVerifier } from './cert-verifier.ts';
import { CredentialStore } from './credentials.ts';
import { publicPoint, signBytes, tcertKeyDeriver } from './keys.ts';
import { NONCE_BYTES, signTransactionBytes, transactionBinding, verifyTransaction, type TransactionCheck } from './transaction-security.ts';
import { randomBytes, type KeyObject } from 'node:crypto';
import { payloadBytes } from '../peer/transactions.ts';

/** How often the peer refreshes the CA's revocation list. */
const CRL_REFRESH_MS = 30_000;
/** A transaction this peer submits must carry a timestamp at most this far from its clock. */
export const SUBMIT_FRESHNESS_MS = 5 * 60_000;
/** Pools of TCerts kept per user and attribute set. */
const TCERT_POOLS_MAX = 1_000;
/**
 * A pool asks for more TCerts while it holds (or has on its way) fewer than this many batches, so
 * signing takes a TCert already there and never waits for the TCA once the pool is warm.
 */
const POOL_AHEAD_BATCHES = 2;
/**
 * A login token seen on disk is trusted for this long before the file is looked at again: the
 * peer itself logs users in and out (and updates this memory at once), so only a token deleted
 * by hand takes up to this long to count. Saves two file system calls per signed transaction.
 */
const LOGIN_RECHECK_MS = 1_000;
/** Batch requests one pool may have on their way at once. */
const REFILLS_IN_FLIGHT_MAX = 2;
/** security.tcertBatch.reuse: transactions one TCert may sign, at most. */
export const TCERT_REUSE_MAX = 100_000;
/** A reused TCert is put aside this long before it expires, so no transaction carries one about to lapse. */
const TCERT_REUSE_MARGIN_MS = 5 * 60_000;

export class SecurityError extends Error {
  override name = 'SecurityError';
}

interface PooledTCert {
  der: Uint8Array;
  key: KeyObject;
  notAfter: number;
}

/** The TCerts of one user and attribute set, and the batch requests on their way. */
interface TCertPool {
  attributes: string[];
  certs: PooledTCert[];
  refills: Set<Promise<void>>;
  /** With security.tcertBatch.reuse > 1: the TCert signing now, and how many transactions it has signed. */
  current: { tcert: PooledTCert; uses: number } | undefined;
}

export interface PeerSecurityOptions {
  config: CoreConfig;
  dataDir: string;
  log: Logger;
}

export class PeerSecurity {
  readonly credentials: CredentialStore;
  readonly #config: CoreConfig;
  readonly #dataDir: string;
  readonly #log: Logger;
  readonly #ca: CaClient;
  readonly #batchSize: number;
  /** Transactions one TCert signs (1: a fresh TCert each, Fabric's behaviour and the default). */
  readonly #reuse: number;
  readonly #pools = new Map<string, TCertPool>();
  readonly #enrollments = new Map<string, Enrollment>();
  /** When each user's login token was last seen on disk (see LOGIN_RECHECK_MS). */
  readonly #loginSeen = new Map<string, number>();
  /** Looks at the disk under way, by user: at most one at a time each. */
  readonly #loginLooks = new Map<string, Promise<boolean>>();
  #verifier: CertificateVerifier | undefined;
  #self: Enrollment | undefined;
  #crlTimer: NodeJS.Timeout | undefined;

  constructor(options: PeerSecurityOptions) {
    this.#config = options.config;
    this.#dataDir = options.dataDir;
    this.#log = options.log;
    this.credentials = new CredentialStore(options.dataDir);
    this.#ca = new CaClient(options.config.string('peer.pki.eca.paddr'));
    const batch = options.config.number('security.tcertBatch.size');
    if (!Number.isInteger(batch) || batch < 1 || batch > TCERT_BATCH_MAX) throw new SecurityError(`security.tcertBatch.size must be 1 to ${TCERT_BATCH_MAX}, got ${batch}`);
    this.#batchSize = batch;
    const reuse = options.config.number('security.tcertBatch.reuse');
    if (!Number.isInteger(reuse) || reuse < 1 || reuse > TCERT_REUSE_MAX) throw new SecurityError(`security.tcertBatch.reuse must be 1 to ${TCERT_REUSE_MAX}, got ${reuse}`);
    this.#reuse = reuse;
  }

  get verifier(): CertificateVerifier {
    if (!this.#verifier) throw new SecurityError('security is not started');
    return this.#verifier;
  }

  /** The peer's own enrollment (security.enrollID), once started. */
  get enrollment(): Enrollment | undefined {
    return this.#self;
  }

  get caClient(): CaClient {
    return this.#ca;
  }

  async start(): Promise<void> {
    this.#verifier = new CertificateVerifier(await this.#caCertificates());
    await this.#refreshRevocations();
    this.#crlTimer = setInterval(() => void this.#refreshRevocations(), CRL_REFRESH_MS);
    this.#crlTimer.unref();
    const id = this.#config.string('security.enrollID');
    if (id !== '') this.#self = await this.#enrollSelf(id, this.#config.string('security.enrollSecret'));
  }

  stop(): void {
    if (this.#crlTimer) clearInterval(this.#crlTimer);
    this.#crlTimer = undefined;
  }

  /** The CA certificates, pinned on first contact: a CA that later presents others is not trusted. */
  async #caCertificates(): Promise<CaCertificates> {
    const file = join(this.#dataDir, 'crypto', 'ca-certs.json');
    try {
      return JSON.parse(await readFile(file, 'utf8')) as CaCertificates;
    } catch {
      // Not pinned yet.
    }
    let certs: CaCertificates;
    try {
      certs = await this.#ca.caCertificates();
    } catch (error) {
      throw new SecurityError(`security.enabled is true but membership services cannot be reached (peer.pki.eca.paddr ${this.#config.string('peer.pki.eca.paddr')}): ${(error as Error).message}`);
    }
    await mkdir(join(this.#dataDir, 'crypto'), { recursive: true, mode: 0o700 });
    await writeFile(file, JSON.stringify(certs), { mode: 0o600 });
    await chmod(file, 0o600);
    return certs;
  }

  async #refreshRevocations(): Promise<void> {
    try {
      const crl = await this.#ca.revocationList();
      this.#verifier?.setRevoked(crl.serials);
    } catch (error) {
      this.#log.warning('Cannot refresh the revocation list from membership services', { error: (error as Error).message });
    }
  }

  /** The peer enrolls once as security.enrollID; the enrollment is kept in crypto/peer. */
  async #enrollSelf(id: string, secret: string): Promise<Enrollment> {
    const store = new CredentialStore(join(this.#dataDir, 'crypto', 'peer'));
    const saved = await store.load(id);
    if (saved) return saved;
    try {
      const enrollment = await this.#ca.enroll(id, secret);
      await store.save(enrollment);
      this.#log.notice('Peer enrolled with membership services', { enrollID: id });
      return enrollment;
    } catch (error) {
      throw new SecurityError(`the peer cannot enroll as ${id} (security.enrollID): ${(error as Error).message}`);
    }
  }

  /**
   * This validator's network identity certificate: its libp2p Ed25519 key bound to its enrollment
   * by the TLSCA (requested once, kept in crypto/peer/validator-cert.der). What the transport
   * presents to other validators.
   */
  async validatorCertificate(peerPublicKey: Uint8Array): Promise<Uint8Array> {
    if (!this.#self) throw new SecurityError('the peer has no enrollment (security.enrollID is empty): with security on, every peer joins the network with a certificate for its enrollment (role validator, or peer for a non-validating peer)');
    const file = join(this.#dataDir, 'crypto', 'peer', 'validator-cert.der');
    try {
      return new Uint8Array(await readFile(file));
    } catch {
      // Not requested yet.
    }
    const cert = await this.#ca.validatorCert(this.#self, peerPublicKey);
    await writeFile(file, cert, { mode: 0o600 });
    return cert;
  }

  // ---- users (REST /registrar, `weft network login`)

  /** Fabric's Login: enroll with the CA and keep the keys; 'already' when a token exists. */
  async login(id: string, secret: string): Promise<'new' | 'already'> {
    if (await this.credentials.isLoggedIn(id)) return 'already';
    const enrollment = await this.#ca.enroll(id, secret);
    await this.credentials.save(enrollment);
    this.#enrollments.set(id, enrollment);
    // The user's first transactions (without attributes) find TCerts waiting.
    this.#topUp(this.#pool(enrollment, []), enrollment);
    return 'new';
  }

  async logout(id: string): Promise<boolean> {
    this.#loginSeen.delete(id);
    this.#enrollments.delete(id);
    for (const key of [...this.#pools.keys()]) if (key.startsWith(`${id}\n`)) this.#pools.delete(key);
    const was = await this.credentials.remove(id);
    // Again: a check that ran while the files were being removed may have seen the token.
    this.#loginSeen.delete(id);
    this.#enrollments.delete(id);
    return was;
  }

  async isLoggedIn(id: string): Promise<boolean> {
    const seen = this.#loginSeen.get(id);
    if (seen !== undefined && Date.now() - seen < LOGIN_RECHECK_MS) return true;
    // Requests that arrive while the token file is being looked at share that one look.
    let looking = this.#loginLooks.get(id);
    if (!looking) {
      looking = this.credentials.isLoggedIn(id).finally(() => this.#loginLooks.delete(id));
      this.#loginLooks.set(id, looking);
    }
    const loggedIn = await looking;
    if (loggedIn) {
      if (this.#loginSeen.size >= TCERT_POOLS_MAX) this.#loginSeen.delete(this.#loginSeen.keys().next().value as string);
      this.#loginSeen.set(id, Date.now());
    } else this.#loginSeen.delete(id);
    return loggedIn;
  }

  async #user(id: string): Promise<Enrollment | undefined> {
    const cached = this.#enrollments.get(id);
    if (cached) {
      if (await this.isLoggedIn(id)) return cached;
      this.#enrollments.delete(id);
      return undefined;
    }
    const loaded = await this.credentials.load(id);
    if (loaded) this.#enrollments.set(id, loaded);
    return loaded;
  }

  async ecertPem(id: string): Promise<string | undefined> {
    const user = await this.#user(id);
    return user ? toPem(user.ecert) : undefined;
  }

  /** New TCerts of a logged-in user (PEM), as Fabric's GET /registrar/{id}/tcert. */
  async tcertsPem(id: string, count: number): Promise<string[] | undefined> {
    const user = await this.#user(id);
    if (!user) return undefined;
    return (await this.#ca.tcerts(user, count)).map((der) => toPem(der));
  }

  // ---- transactions

  /** Starts TCert batch requests until the pool holds, or has on its way, POOL_AHEAD_BATCHES batches (at most REFILLS_IN_FLIGHT_MAX at once). */
  #topUp(pool: TCertPool, user: Enrollment): void {
    while (pool.certs.length + pool.refills.size * this.#batchSize < POOL_AHEAD_BATCHES * this.#batchSize && pool.refills.size < REFILLS_IN_FLIGHT_MAX) {
      const refill = this.#fetchBatch(pool, user);
      pool.refills.add(refill);
      refill
        .finally(() => pool.refills.delete(refill))
        .catch((error: Error) => this.#log.warning('TCert refill failed', { enrollID: user.enrollId, error: error.message }));
    }
  }

  async #fetchBatch(pool: TCertPool, user: Enrollment): Promise<void> {
    const batch = await this.#ca.tcertBatch(user, this.#batchSize, pool.attributes);
    const derive = tcertKeyDeriver(user.privateKey, user.kdfKey);
    for (const { der, nonce } of batch) {
      // Checked now, in the background, as this peer will check it at submission: that check then finds it verified.
      const checked = this.verifier.check(der, 'tca', Date.now(), 'a TCert from the TCA', { revocation: false });
      if (!checked.ok) throw new SecurityError(checked.error);
      const { privateKey, point } = derive(nonce);
      // The key derived from the nonce must be the certificate's: otherwise every transaction signed with it would be refused.
      if (!Buffer.from(publicPoint(checked.cert.publicKey)).equals(point)) throw new SecurityError('the TCA returned a certificate whose key does not derive from its nonce');
      pool.certs.push({ der, key: privateKey, notAfter: checked.cert.notAfter });
    }
  }

  async #tcert(user: Enrollment, attributes: string[]): Promise<PooledTCert> {
    const names = [...new Set(attributes)].sort();
    const pool = this.#pool(user, names);
    const current = pool.current;
    if (current && current.uses < this.#reuse && Date.now() < current.tcert.notAfter - TCERT_REUSE_MARGIN_MS) {
      current.uses++;
      return current.tcert;
    }
    pool.current = undefined;
    for (;;) {
      this.#topUp(pool, user);
      const tcert = pool.certs.shift();
      if (tcert) {
        this.#topUp(pool, user);
        if (this.#reuse > 1) pool.current = { tcert, uses: 1 };
        return tcert;
      }
      // Empty: wait for the first batch on its way (its failure is this signing's failure).
      await Promise.race(pool.refills);
    }
  }

  #pool(user: Enrollment, names: string[]): TCertPool {
    const key = `${user.enrollId}\n${names.join('\n')}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      if (this.#pools.size >= TCERT_POOLS_MAX) this.#pools.delete(this.#pools.keys().next().value as string);
      pool = { attributes: names, certs: [], refills: new Set(), current: undefined };
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Signs a transaction for a logged-in user with a fresh TCert carrying the attributes asked for.
   * signMetadata (weft extension, for chaincodes like asset_management): the metadata becomes the
   * user's enrollment-key signature of payload ‖ binding, which chaincode checks with
   * verifySignature against the user's ECert.
   */
  async sign(
    transaction: Transaction,
    userId: string,
    attributes: string[],
    options: { signMetadata?: boolean; encrypt?: ((transaction: Transaction) => Transaction) | undefined } = {},
  ): Promise<Transaction> {
    const user = await this.#user(userId);
    if (!user) throw new SecurityError(`User ${userId} not logged in.`);
    const tcert = await this.#tcert(user, attributes);
    let unsigned = transaction;
    if (options.signMetadata) {
      const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
      const binding = transactionBinding({ nonce, cert: tcert.der });
      const sigma = signBytes(user.privateKey, Buffer.concat([payloadBytes(transaction), binding]));
      unsigned = { ...transaction, nonce, metadata: sigma };
    }
    // Privacy mode: the signature covers the encrypted transaction, which validators verify before they decrypt it.
    if (options.encrypt) unsigned = options.encrypt(unsigned);
    const { transaction: signed, signed: bytes } = signTransactionBytes(unsigned, tcert.der, tcert.key);
    // The key was checked against this certificate when the TCert arrived: no need to verify what it just signed.
    this.verifier.rememberOwnSignature(tcert.der, bytes, signed.signature);
    return signed;
  }

  /** The checks this peer makes before it submits a transaction for ordering: validity, signature, revocation and a fresh timestamp. */
  checkForSubmission(transaction: Transaction, nowMs = Date.now()): TransactionCheck {
    const t = transaction.timestamp;
    const at = t ? t.seconds * 1000 + Math.floor(t.nanos / 1e6) : 0;
    if (Math.abs(at - nowMs) > SUBMIT_FRESHNESS_MS) return { ok: false, error: `transaction ${transaction.txid}: timestamp is more than ${SUBMIT_FRESHNESS_MS / 1000} s from this peer's clock` };
    return verifyTransaction(transaction, this.verifier, { revocation: true });
  }

  /**
   * What every validator checks before a transaction runs: certificate, signature, and that the
   * chain does not already hold its id (`seen`: committed, or admitted and failed — the executor
   * reads both; its recent-block window catches duplicates within a batch).
   * Deterministic: it depends on the transaction and the chain only — so not on the revocation
   * list, which each peer fetches for itself (checked at submission instead).
   */
  checkForExecution(transaction: Transaction, seen: SeenBefore): TransactionCheck {
    const checked = verifyTransaction(transaction, this.verifier);
    if (!checked.ok) return checked;
    if (seen !== null) return { ok: false, error: `transaction ${transaction.txid} is a replay of a ${seen} transaction` };
    return checked;
  }

  /** The caller identity of a query for a logged-in user (a signed query transaction, checked here). */
  async queryCaller(transaction: Transaction, userId: string, attributes: string[], options: { signMetadata?: boolean } = {}): Promise<CallerIdentity> {
    const checked = verifyTransaction(await this.sign(transaction, userId, attributes, options), this.verifier);
    if (!checked.ok) throw new SecurityError(checked.error);
    return checked.caller;
  }
}
