// The signed requests a member sends to the CA after enrolling (TCert batches, a validator's
// network identity, registering and revoking users): the exact bytes each signature covers, so
// the client and the CA build them the same way, and the freshness window that bounds replays.

/** A signed request's timestamp may be at most this far from the CA's clock. */
export const REQUEST_FRESHNESS_MS = 5 * 60_000;
/** TCerts one request may ask for (Fabric's REST clamps /tcert?count= to 500). */
export const TCERT_BATCH_MAX = 500;

/** The bytes a signed request's signature covers: UTF-8 JSON of [kind, …fields] (one encoding, no key order to agree on). */
export function requestBytes(kind: string, fields: unknown[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([`weft-ca-${kind}`, ...fields]));
}

export interface EnrollRequest {
  enrollId: string;
  enrollSecret: string;
  /** SPKI DER of the member's new P-256 signing key, base64. */
  publicKey: string;
  /** Proof of possession: the key's signature of requestBytes('enroll', [enrollId, publicKey]), base64. */
  signature: string;
}

export interface EnrollResponse {
  /** DER, base64. */
  ecert: string;
  /** The member's TCert key-derivation key, base64: with it, the member derives each TCert's private key. */
  kdfKey: string;
  /** The CA certificates (DER, base64) the member's peer trusts. */
  caCerts: CaCertificates;
  /** Privacy mode's chain public key (uncompressed P-256 point, base64): what transactions' keys are sealed to. */
  chainPublicKey: string;
  /** Only for a member with the validator role: the chain private key, ECIES-sealed to the member's key (base64). */
  chainPrivateKey?: string;
}

export interface CaCertificates {
  eca: string;
  tca: string;
  tlsca: string;
}

export interface TCertRequest {
  enrollId: string;
  count: number;
  attributes: string[];
  timestamp: number;
  signature: string;
}

/** The TCA's answer: the certificates (DER, base64) and, in the same order, each one's derivation nonce (base64). */
export interface TCertResponse {
  tcerts: string[];
  /** The owner derives each TCert's private key from its nonce (also inside the certificate, extension 1.2.3.4.5.6.7). */
  nonces: string[];
}

export function tcertRequestBytes(r: Omit<TCertRequest, 'signature'>): Uint8Array {
  return requestBytes('tcerts', [r.enrollId, r.count, r.attributes, r.timestamp]);
}

export interface ValidatorCertRequest {
  enrollId: string;
  /** The libp2p Ed25519 public key (32 bytes raw), base64. */
  peerPublicKey: string;
  timestamp: number;
  signature: string;
}

export function validatorCertRequestBytes(r: Omit<ValidatorCertRequest, 'signature'>): Uint8Array {
  return requestBytes('validator', [r.enrollId, r.peerPublicKey, r.timestamp]);
}

export interface NewUser {
  id: string;
  roles: string[];
  affiliation: string;
  registrar?: { roles: string[]; delegateRoles: string[] } | undefined;
}

export interface RegisterRequest {
  registrar: string;
  user: NewUser;
  timestamp: number;
  signature: string;
}

export function registerRequestBytes(r: Omit<RegisterRequest, 'signature'>): Uint8Array {
  const u = r.user;
  return requestBytes('register', [r.registrar, u.id, u.roles, u.affiliation, u.registrar ?? null, r.timestamp]);
}

export interface RevokeRequest {
  registrar: string;
  target: string;
  timestamp: number;
  signature: string;
}

export function revokeRequestBytes(r: Omit<RevokeRequest, 'signature'>): Uint8Array {
  return requestBytes('revoke', [r.registrar, r.target, r.timestamp]);
}

/** The CA's list of revoked certificate serials (hex), signed by the ECA. */
export interface RevocationList {
  serials: string[];
  issuedAt: number;
  signature: string;
}

export function revocationListBytes(r: Omit<RevocationList, 'signature'>): Uint8Array {
  return requestBytes('crl', [r.serials, r.issuedAt]);
}
