// Small byte helpers the ledger's modules share: comparison, short hex for error messages, and
// write-batch operations.
import type { BatchOp } from './level-db.ts';

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || Buffer.compare(a, b) === 0;
}

/** The first 8 bytes in hex, for error messages. */
export function shortHex(bytes: Uint8Array): string {
  return bytes.length === 0 ? '(empty)' : `${Buffer.from(bytes).toString('hex').slice(0, 16)}…`;
}

export function put(key: Uint8Array, value: Uint8Array): BatchOp {
  return { type: 'put', key, value };
}

export function del(key: Uint8Array): BatchOp {
  return { type: 'del', key };
}
