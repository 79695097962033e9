// The batch digest on the driver side: base64 of Fabric's crypto hash (SHAKE256-64) of the
// encoded batch. Kept out of the pure core (it needs node:crypto); the core receives it as a
// function in its ReplicaEnvironment.
import { cryptoHash } from '../../host/protocol/hash.ts';

export function batchDigest(encodedBatch: Uint8Array): string {
  const hash = cryptoHash(encodedBatch);
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('base64');
}
