// Checking a certificate against the network's CAs, as every validator does for every signed
// transaction and every validator identity: issued (and signed) by the right CA, valid at the
// given moment, not revoked, of the right kind. The hot path uses node:crypto's native X.509
// (parsing and the CA signature check in OpenSSL); @peculiar/x509 is only used to read weft's
// extensions when someone asks for them (attributes, kind). Results are cached by certificate
// hash, so a certificate seen again costs a hash and a lookup.
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { CERT_BYTES_MAX, CertKind, parseCertificate, readCertFields, type CertFields } from './cert-format.ts';
import { verifyBytes } from './keys.ts';
import type { CaCertificates } from './ca-requests.ts';

/** Certificates whose CA check is remembered. */
const VERIFIED_CACHE_MAX = 16_384;
/**
 * Signatures whose successful check is remembered: the peer that submits a transaction checks
 * it, then checks it again before it runs. A few seconds of transactions at thousands a second.
 */
const VERIFIED_SIGNATURES_MAX = 16_384;

export type CaRole = 'eca' | 'tca' | 'tlsca';

export interface VerifiedCert {
  der: Uint8Array;
  serial: string;
  publicKey: KeyObject;
  notBefore: number;
  notAfter: number;
  issuer: CaRole;
  subjectCommonName: string;
  /** weft's extensions, read on first use. */
  fields(): CertFields;
}

export type CertCheck = { ok: true; cert: VerifiedCert } | { ok: false; error: string };

interface Authority {
  role: CaRole;
  cert: X509Certificate;
  publicKey: KeyObject;
}

const ROLE_LABEL: Record<CaRole, string> = { eca: 'ECA', tca: 'TCA', tlsca: 'TLSCA' };

/** The memory key of a signature check: certificate, signature and message, each length-prefixed. */
function signatureKey(certificate: Uint8Array, message: Uint8Array, signature: Uint8Array): string {
  const lengths = new Uint32Array([certificate.length, signature.length, message.length]);
  return createHash('sha256').update(lengths).update(certificate).update(signature).update(message).digest('base64');
}

export class CertificateVerifier {
  readonly #authorities: Authority[];
  readonly #cache = new Map<string, VerifiedCert>();
  readonly #signatures = new Set<string>();
  #revoked: ReadonlySet<string> = new Set();

  constructor(caCerts: CaCertificates) {
    this.#authorities = (['eca', 'tca', 'tlsca'] as const).map((role) => {
      const cert = new X509Certificate(Buffer.from(caCerts[role], 'base64'));
      if (!cert.ca) throw new Error(`the ${ROLE_LABEL[role]} certificate is not a CA certificate`);
      return { role, cert, publicKey: cert.publicKey };
    });
  }

  /** Serial numbers (hex, any case) the CA has revoked. */
  setRevoked(serials: Iterable<string>): void {
    this.#revoked = new Set([...serials].map((s) => s.toUpperCase()));
  }

  isRevoked(serial: string): boolean {
    return this.#revoked.has(serial.toUpperCase());
  }

  /** Which CA issued the certificate, checked by signature; a clear reason when none did. */
  #verifyIssuer(der: Uint8Array): { ok: true; cert: VerifiedCert } | { ok: false; error: string } {
    if (der.length === 0) return { ok: false, error: 'certificate is missing' };
    if (der.length > CERT_BYTES_MAX) return { ok: false, error: `certificate chain of ${der.length} bytes exceeds CERT_BYTES_MAX (${CERT_BYTES_MAX}): one certificate is expected` };
    const key = createHash('sha256').update(der).digest('base64');
    const cached = this.#cache.get(key);
    if (cached) return { ok: true, cert: cached };
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch (error) {
      return { ok: false, error: `malformed certificate: ${(error as Error).message}` };
    }
    if (cert.raw.length !== der.length) return { ok: false, error: 'malformed certificate: trailing bytes after the certificate (one certificate is expected, not a chain)' };
    const authority = this.#authorities.find((a) => cert.checkIssued(a.cert) && cert.verify(a.publicKey));
    if (!authority) return { ok: false, error: "certificate was not issued by this network's membership services" };
    if (cert.ca) return { ok: false, error: 'a CA certificate cannot sign transactions' };
    let fields: CertFields | undefined;
    const verified: VerifiedCert = {
      der,
      serial: cert.serialNumber.toUpperCase(),
      publicKey: cert.publicKey,
      notBefore: cert.validFromDate.getTime(),
      notAfter: cert.validToDate.getTime(),
      issuer: authority.role,
      subjectCommonName: /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '',
      fields: () => (fields ??= readCertFields(parseCertificate(der))),
    };
    if (this.#cache.size >= VERIFIED_CACHE_MAX) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(key, verified);
    return { ok: true, cert: verified };
  }

  /**
   * A certificate issued by `role`, valid at `atMs`, not revoked. `atMs` is the transaction's
   * timestamp when validators check a transaction, so every validator reaches the same answer.
   * revocation: false leaves the revocation list out — the list is fetched by each peer, not
   * agreed on the chain, so checks that must be deterministic cannot use it.
   */
  check(der: Uint8Array, role: CaRole, atMs: number, what: string, options: { revocation?: boolean } = {}): CertCheck {
    const issued = this.#verifyIssuer(der);
    if (!issued.ok) return { ok: false, error: `${what}: ${issued.error}` };
    const cert = issued.cert;
    if (cert.issuer !== role) {
      const kind = cert.issuer === 'eca' ? 'an enrollment certificate' : cert.issuer === 'tca' ? 'a transaction certificate' : 'a validator certificate';
      return { ok: false, error: `${what}: ${kind} (issued by the ${ROLE_LABEL[cert.issuer]}) where one from the ${ROLE_LABEL[role]} is required` };
    }
    if (atMs < cert.notBefore) return { ok: false, error: `${what}: certificate is not valid before ${new Date(cert.notBefore).toISOString()}` };
    if (atMs > cert.notAfter) return { ok: false, error: `${what}: certificate expired at ${new Date(cert.notAfter).toISOString()}` };
    if (options.revocation !== false && this.isRevoked(cert.serial)) return { ok: false, error: `${what}: certificate ${cert.serial} is revoked` };
    return { ok: true, cert };
  }

  /**
   * ECDSA P-256/SHA-256 verification of message by a verified certificate's key. Only successes
   * are remembered, keyed by a hash of certificate, signature and message (each length-prefixed):
   * the same three inputs always give the same answer, so a repeated check is a hash and a lookup.
   */
  verifySignature(cert: VerifiedCert, message: Uint8Array, signature: Uint8Array): boolean {
    const key = signatureKey(cert.der, message, signature);
    if (this.#signatures.has(key)) return true;
    if (!verifyBytes(cert.publicKey, message, signature)) return false;
    this.#rememberSignature(key);
    return true;
  }

  /**
   * A signature this peer made itself with a key it has checked against the certificate (see
   * PeerSecurity's TCert pools): remembered as verified without verifying it. Other validators
   * verify it as any other.
   */
  rememberOwnSignature(certificate: Uint8Array, message: Uint8Array, signature: Uint8Array): void {
    this.#rememberSignature(signatureKey(certificate, message, signature));
  }

  #rememberSignature(key: string): void {
    if (this.#signatures.size >= VERIFIED_SIGNATURES_MAX) {
      const oldest = this.#signatures.values().next().value;
      if (oldest !== undefined) this.#signatures.delete(oldest);
    }
    this.#signatures.add(key);
  }

  /** A validator network identity certificate: from the TLSCA, of kind validator. */
  checkValidatorCert(der: Uint8Array, atMs: number): CertCheck {
    const checked = this.check(der, 'tlsca', atMs, 'validator certificate');
    if (!checked.ok) return checked;
    let kind: string;
    try {
      kind = checked.cert.fields().kind;
    } catch (error) {
      return { ok: false, error: `validator certificate: ${(error as Error).message}` };
    }
    if (kind !== CertKind.VALIDATOR) return { ok: false, error: `validator certificate: certificate of kind "${kind}" is not a validator certificate` };
    return checked;
  }
}
