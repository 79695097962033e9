// The payload of a PBFT request: the client transactions one replica received within a few
// milliseconds (pbft-plugin.ts bundleWindowMs), ordered, signed and deduplicated together as one request. Under load a replica
// receives tens of transactions per turn; one request (one signature, one verification per
// replica, one entry in every request store and batch) per transaction made Ed25519 verification
// alone a fifth of each peer's CPU (docs/performance.md).
//
//   u8      version (1)
//   varint  count (1..BUNDLE_TRANSACTIONS_MAX)
//   count × (varint length, then that many bytes of an encoded Transaction)
//
// Requests come from other replicas, so decoding is hostile-input parsing: exact lengths, bounded
// counts, no trailing bytes. It is also deterministic: every replica expands the same request
// into the same transactions, or refuses it the same way.
import { TRANSACTION_BYTES_MAX } from '../../host/protocol/limits.ts';
import { REQUEST_PAYLOAD_BYTES_MAX } from './constants.ts';

export const BUNDLE_VERSION = 1;
/** Transactions in one request: enough to amortise a signature, few enough to keep batches even. */
export const BUNDLE_TRANSACTIONS_MAX = 256;
/** Bytes a bundle adds around its transactions, at most: version, count, one length per transaction. */
const BUNDLE_HEADER_BYTES_MAX = 1 + 5;
const LENGTH_BYTES_MAX = 5;

/** Bytes of a bundle holding transactions of `transactionBytes` bytes in all, `count` of them (an upper bound). */
export function bundleBytesBound(count: number, transactionBytes: number): number {
  return BUNDLE_HEADER_BYTES_MAX + count * LENGTH_BYTES_MAX + transactionBytes;
}

/** Whether one more transaction of `bytes` fits a bundle that holds `count` of `transactionBytes`. */
export function fitsBundle(count: number, transactionBytes: number, bytes: number): boolean {
  return count < BUNDLE_TRANSACTIONS_MAX && bundleBytesBound(count + 1, transactionBytes + bytes) <= REQUEST_PAYLOAD_BYTES_MAX;
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length++;
  }
  return length;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

export function encodeTransactionBundle(transactions: readonly Uint8Array[]): Uint8Array {
  if (transactions.length < 1 || transactions.length > BUNDLE_TRANSACTIONS_MAX) {
    throw new RangeError(`a bundle holds 1 to ${BUNDLE_TRANSACTIONS_MAX} transactions, not ${transactions.length}`);
  }
  let bytes = 1 + varintLength(transactions.length);
  for (const tx of transactions) {
    if (tx.length < 1 || tx.length > TRANSACTION_BYTES_MAX) throw new RangeError(`a transaction of ${tx.length} bytes cannot be bundled`);
    bytes += varintLength(tx.length) + tx.length;
  }
  if (bytes > REQUEST_PAYLOAD_BYTES_MAX) throw new RangeError(`a bundle of ${bytes} bytes exceeds ${REQUEST_PAYLOAD_BYTES_MAX}`);
  const out = new Uint8Array(bytes);
  out[0] = BUNDLE_VERSION;
  let at = writeVarint(out, 1, transactions.length);
  for (const tx of transactions) {
    at = writeVarint(out, at, tx.length);
    out.set(tx, at);
    at += tx.length;
  }
  return out;
}

/** A LEB128 varint of at most LENGTH_BYTES_MAX bytes at `at`, and where it ends; null if unreadable. */
function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < LENGTH_BYTES_MAX; i++) {
    if (at >= bytes.length) return null;
    const byte = bytes[at++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: at };
    scale *= 0x80;
  }
  return null;
}

/** The transactions of a request payload (views into it), or why it is not a valid bundle. */
export function decodeTransactionBundle(payload: Uint8Array): Uint8Array[] | { error: string } {
  if (payload.length < 1 || payload[0] !== BUNDLE_VERSION) return { error: `not a transaction bundle (version ${payload[0] ?? 'missing'})` };
  const header = readVarint(payload, 1);
  const count = header?.value;
  if (header === null || count === undefined || count < 1 || count > BUNDLE_TRANSACTIONS_MAX) return { error: `bundle count ${count ?? 'unreadable'} is not 1 to ${BUNDLE_TRANSACTIONS_MAX}` };
  let at = header.next;
  const transactions: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const entry = readVarint(payload, at);
    const length = entry?.value;
    if (entry === null || length === undefined || length < 1 || length > TRANSACTION_BYTES_MAX || length > payload.length - entry.next) {
      return { error: `bundle transaction ${i} has a bad length (${length ?? 'unreadable'})` };
    }
    transactions.push(payload.subarray(entry.next, entry.next + length));
    at = entry.next + length;
  }
  if (at !== payload.length) return { error: `${payload.length - at} bytes after the last transaction of the bundle` };
  return transactions;
}

/**
 * The count a bundle declares, read from its header alone (the primary sizes batches with it
 * without decoding every request): an upper bound on what it executes as; 0 for a payload that
 * is not a bundle (it executes as nothing).
 */
export function declaredTransactionCount(payload: Uint8Array): number {
  if (payload.length < 1 || payload[0] !== BUNDLE_VERSION) return 0;
  // The same reading as decodeTransactionBundle's: a count it would accept is the count declared.
  const count = readVarint(payload, 1)?.value ?? 0;
  return count >= 1 && count <= BUNDLE_TRANSACTIONS_MAX ? count : 0;
}
