// Binding a libp2p peer identity to an enrolled validator: given the remote's peer id (or its
// Ed25519 public key) and the validator certificate it presents, accept it — naming the
// enrollment id it proved — or give the reason it may not take part in consensus. The transport
// calls this when a peer connects (see docs/security.md, "Validator identities").
import { peerIdFromString } from '@libp2p/peer-id';
import { Role } from './cert-format.ts';
import type { CertificateVerifier } from './cert-verifier.ts';

export const ED25519_PUBLIC_KEY_BYTES = 32;

export interface ValidatorClaim {
  /** The remote's libp2p peer id (base58, as the transport knows it after the Noise handshake). */
  peerId?: string;
  /** Or the raw 32-byte Ed25519 public key behind it. */
  publicKey?: Uint8Array;
  /** The validator certificate (DER) the remote presented. */
  certificate: Uint8Array;
  /** When set, the certificate must name this enrollment id (e.g. test_vp2 for replica vp2). */
  expectedEnrollId?: string;
  /** What the member list says the remote is: a validator (default) needs the validator role; a non-validating peer the peer role (or validator). */
  as?: 'validator' | 'peer';
}

export type ValidatorVerdict = { ok: true; enrollId: string; roles: number } | { ok: false; reason: string };

function ed25519KeyOfPeerId(peerId: string): Uint8Array {
  let parsed;
  try {
    parsed = peerIdFromString(peerId);
  } catch (error) {
    throw new Error(`malformed peer id ${peerId}: ${(error as Error).message}`);
  }
  if (parsed.type !== 'Ed25519' || !parsed.publicKey) throw new Error(`peer id ${peerId} is not an Ed25519 identity`);
  return parsed.publicKey.raw;
}

function certEd25519Key(jwk: { kty?: string; crv?: string; x?: string }): Uint8Array | undefined {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x) return undefined;
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

/** Accepts a validator, or says why not. Never throws. */
export function checkValidatorIdentity(claim: ValidatorClaim, verifier: CertificateVerifier, atMs = Date.now()): ValidatorVerdict {
  let key: Uint8Array;
  try {
    if (claim.publicKey) key = claim.publicKey;
    else if (claim.peerId) key = ed25519KeyOfPeerId(claim.peerId);
    else return { ok: false, reason: 'no peer identity given' };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  if (key.length !== ED25519_PUBLIC_KEY_BYTES) return { ok: false, reason: `peer public key must be ${ED25519_PUBLIC_KEY_BYTES} bytes of Ed25519` };
  const checked = verifier.checkValidatorCert(claim.certificate, atMs);
  if (!checked.ok) return { ok: false, reason: checked.error };
  const certKey = certEd25519Key(checked.cert.publicKey.export({ format: 'jwk' }) as { kty?: string; crv?: string; x?: string });
  if (!certKey) return { ok: false, reason: 'validator certificate: its key is not an Ed25519 peer key' };
  if (!Buffer.from(certKey).equals(key)) return { ok: false, reason: `validator certificate of ${checked.cert.subjectCommonName} is bound to another peer identity` };
  let roles: number;
  try {
    roles = checked.cert.fields().roles;
  } catch (error) {
    return { ok: false, reason: `validator certificate: ${(error as Error).message}` };
  }
  if (claim.as === 'peer') {
    if ((roles & (Role.PEER | Role.VALIDATOR)) === 0) return { ok: false, reason: `${checked.cert.subjectCommonName} is not enrolled as a peer` };
  } else if ((roles & Role.VALIDATOR) === 0) return { ok: false, reason: `${checked.cert.subjectCommonName} is not enrolled as a validator` };
  const enrollId = checked.cert.subjectCommonName;
  if (claim.expectedEnrollId !== undefined && claim.expectedEnrollId !== enrollId) {
    return { ok: false, reason: `validator certificate names ${enrollId}, expected ${claim.expectedEnrollId}` };
  }
  return { ok: true, enrollId, roles };
}
