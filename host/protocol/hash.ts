// Fabric v0.6's crypto hash: SHAKE256 with a 64-byte output, used for block hashes,
// state hashes, chaincode names and PBFT digests. node:crypto runs it natively.
import { createHash } from 'node:crypto';

export const CRYPTO_HASH_BYTES = 64;

export function cryptoHash(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('shake256', { outputLength: CRYPTO_HASH_BYTES });
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
