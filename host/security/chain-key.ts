// The chain key of privacy mode (Fabric's eca.obcPub / obcPriv): one P-256 key pair held by
// membership services. Every enrollment answer carries its public key, to which submitting peers
// seal each transaction's keys; only an enrollment with the validator role also carries the
// private key, sealed (ECIES) to the enrollee's own key, so the validators — and no one else
// outside the CA — can open confidential transactions and state.
import type { KeyObject } from 'node:crypto';
import { EciesRecipient, P256_POINT_BYTES, eciesSeal } from './ecies.ts';
import { privateScalarBytes, publicKeyFromPoint, publicPoint } from './keys.ts';

/** The chain key as a peer holds it: the public point always, the private key on validators. */
export interface ChainKeys {
  publicPoint: Uint8Array;
  privateKey?: EciesRecipient | undefined;
}

/** Sealed chain private keys are bound to the enrollment id they were issued for. */
function label(enrollId: string): string {
  return `weft-chain-key\u0000${enrollId}`;
}

/** The CA's side: the chain private key sealed to the enrollee's key (its P-256 public key). */
export function sealChainKey(chainKey: EciesRecipient, enrolleeKey: KeyObject, enrollId: string): Uint8Array {
  return eciesSeal(publicPoint(enrolleeKey), chainKey.scalar(), label(enrollId));
}

/**
 * The enrollee's side: the chain private key opened with its enrollment key, checked against the
 * chain public key of the same answer. Throws a clear error for anything else.
 */
export function openChainKey(sealed: Uint8Array, enrollmentKey: KeyObject, enrollId: string, chainPublicPoint: Uint8Array): EciesRecipient {
  const scalar = new EciesRecipient(privateScalarBytes(enrollmentKey)).open(sealed, label(enrollId));
  if (scalar === undefined) throw new Error(`the chain private key in the enrollment answer of ${enrollId} is not sealed to its enrollment key`);
  let key: EciesRecipient;
  try {
    key = new EciesRecipient(scalar);
  } catch (error) {
    throw new Error(`the chain private key in the enrollment answer of ${enrollId} is not a P-256 key: ${(error as Error).message}`);
  }
  if (!Buffer.from(key.point).equals(Buffer.from(chainPublicPoint))) throw new Error(`the chain private key in the enrollment answer of ${enrollId} does not match its chain public key`);
  return key;
}

/** A chain public key as the enrollment answer carries it (uncompressed point, base64); throws if it is not one. */
export function chainPublicPointFrom(text: unknown): Uint8Array {
  const point = typeof text === 'string' && text.length <= 128 ? new Uint8Array(Buffer.from(text, 'base64')) : new Uint8Array(0);
  const problem = new Error('the chain public key in the enrollment answer is not an uncompressed P-256 point');
  if (point.length !== P256_POINT_BYTES || point[0] !== 4) throw problem;
  try {
    publicKeyFromPoint(point);
  } catch {
    throw problem; // not on the curve
  }
  return point;
}
