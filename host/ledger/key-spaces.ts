// The ledger's LevelDB key layout: Fabric v0.6's five column families as key prefixes in one
// LevelDB (one database means one write batch, hence one atomic commit across all of them).
//
//   0x01 blockchain   0x01 u64be(n)                → Block protobuf of block n
//                     0x01 "blockCount"            → u64be height (genesis included)
//                     0x01 "formatVersion"         → u32be LEDGER_FORMAT_VERSION
//   0x02 state        0x02 'g' u32be(gen) ck       → value (ck = chaincode 0x00 key, UTF-8)
//                     0x02 'm' "generation"        → u32be generation of the live state
//                     0x02 'm' "blockNumber"       → u64be block the state belongs to
//   0x03 state deltas 0x03 u64be(n)                → encoded StateDelta of block n
//   0x04 indexes      0x04 0x01 blockHash          → u64be block number
//                     0x04 0x02 txid (UTF-8)       → u64be block number, u32be index in block
//   0x05 persist      0x05 key (UTF-8)             → peer-local value (consensus.*, discovery)
//
// Block keys are always 9 bytes and the named blockchain keys longer, so they cannot collide.
// The state generation lets a snapshot install write a whole new state in several batches and
// switch to it with one small atomic batch; entries of any other generation are garbage.
// Prefix bytes are never reused: retire one by leaving it here as a comment.
//   (none retired yet)

export const PREFIX_BLOCKCHAIN = 0x01;
export const PREFIX_STATE = 0x02;
export const PREFIX_STATE_DELTA = 0x03;
export const PREFIX_INDEXES = 0x04;
export const PREFIX_PERSIST = 0x05;

const STATE_DATA = 0x67; // 'g'
const STATE_META = 0x6d; // 'm'
const INDEX_BLOCK_HASH = 0x01;
const INDEX_TXID = 0x02;

/**
 * Bumped when the layout or a hash over it changes incompatibly; open refuses other versions.
 * 2: the state trie's nodes hash with SHA-256 (state-hash.ts), so every state hash differs from 1's.
 */
export const LEDGER_FORMAT_VERSION = 2;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function encodeUtf8(text: string): Uint8Array {
  return utf8.encode(text);
}

/** Throws on bytes that are not well-formed UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Strict.decode(bytes);
}

function prefixed(prefix: number[], rest: Uint8Array): Uint8Array {
  const key = new Uint8Array(prefix.length + rest.length);
  key.set(prefix, 0);
  key.set(rest, prefix.length);
  return key;
}

// Big-endian integers are written and read byte by byte, not through a DataView: asking a small
// Uint8Array for its .buffer makes V8 move it off the heap (a malloc, an ArrayBuffer, and later
// a sweep), which cost ~0.3 µs per u64 and ~0.7 µs per transaction location against ~0.03 µs.

/** Writes a non-negative integer below 2^32 big-endian at `offset`. */
function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}

/** Writes a safe non-negative integer as u64 big-endian at `offset`. */
function writeU64(bytes: Uint8Array, offset: number, value: number): void {
  writeU32(bytes, offset, Math.floor(value / 0x1_0000_0000));
  writeU32(bytes, offset + 4, value >>> 0);
}

function checkU32(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`not a u32: ${value}`);
}

function checkU64(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a u64 this ledger can hold (a safe non-negative integer): ${value}`);
}

export function u64(value: number): Uint8Array {
  checkU64(value);
  const bytes = new Uint8Array(8);
  writeU64(bytes, 0, value);
  return bytes;
}

export function readU64(bytes: Uint8Array, offset = 0): number {
  if (bytes.length < offset + 8) throw new RangeError('u64 out of bounds');
  const high = readU32(bytes, offset);
  // MAX_SAFE_INTEGER is 2^53 - 1: the high word must stay below 2^21.
  if (high >= 0x20_0000) throw new RangeError('u64 above MAX_SAFE_INTEGER');
  return high * 0x1_0000_0000 + readU32(bytes, offset + 4);
}

export function u32(value: number): Uint8Array {
  checkU32(value);
  const bytes = new Uint8Array(4);
  writeU32(bytes, 0, value);
  return bytes;
}

export function readU32(bytes: Uint8Array, offset = 0): number {
  if (bytes.length < offset + 4) throw new RangeError('u32 out of bounds');
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

// ---- blockchain ----

export function blockKey(blockNumber: number): Uint8Array {
  return prefixed([PREFIX_BLOCKCHAIN], u64(blockNumber));
}

export const BLOCK_COUNT_KEY = prefixed([PREFIX_BLOCKCHAIN], encodeUtf8('blockCount'));
export const FORMAT_VERSION_KEY = prefixed([PREFIX_BLOCKCHAIN], encodeUtf8('formatVersion'));

// ---- state ----

const STATE_DATA_HEADER_BYTES = 6; // prefix, 'g', u32 generation

export function stateKey(generation: number, compositeKeyBytes: Uint8Array): Uint8Array {
  const key = new Uint8Array(STATE_DATA_HEADER_BYTES + compositeKeyBytes.length);
  key[0] = PREFIX_STATE;
  key[1] = STATE_DATA;
  checkU32(generation);
  writeU32(key, 2, generation);
  key.set(compositeKeyBytes, STATE_DATA_HEADER_BYTES);
  return key;
}

/** The composite key (UTF-8 bytes) of a state data key. */
export function compositeKeyOfStateKey(key: Uint8Array): Uint8Array {
  return key.subarray(STATE_DATA_HEADER_BYTES);
}

/** [gte, lt) covering every state entry of one generation. */
export function stateGenerationRange(generation: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: stateKey(generation, new Uint8Array(0)), lt: stateGenerationEnd(generation) };
}

function stateGenerationEnd(generation: number): Uint8Array {
  // The next generation's first key, or the end of the data sub-space after the last one.
  return generation === 0xffff_ffff
    ? new Uint8Array([PREFIX_STATE, STATE_DATA + 1])
    : stateKey(generation + 1, new Uint8Array(0));
}

/** [gte, lt) covering the state data of every generation. */
export const STATE_DATA_RANGE = {
  gte: new Uint8Array([PREFIX_STATE, STATE_DATA]),
  lt: new Uint8Array([PREFIX_STATE, STATE_DATA + 1]),
};

export const STATE_GENERATION_KEY = prefixed([PREFIX_STATE, STATE_META], encodeUtf8('generation'));
export const STATE_BLOCK_NUMBER_KEY = prefixed([PREFIX_STATE, STATE_META], encodeUtf8('blockNumber'));

// ---- state deltas ----

export function stateDeltaKey(blockNumber: number): Uint8Array {
  return prefixed([PREFIX_STATE_DELTA], u64(blockNumber));
}

/** [gte, lt) of the deltas of blocks below `blockNumber`. */
export function stateDeltasBelow(blockNumber: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: new Uint8Array([PREFIX_STATE_DELTA]), lt: stateDeltaKey(blockNumber) };
}

// ---- indexes ----

export function blockHashIndexKey(blockHash: Uint8Array): Uint8Array {
  return prefixed([PREFIX_INDEXES, INDEX_BLOCK_HASH], blockHash);
}

export function txidIndexKey(txid: string): Uint8Array {
  return prefixed([PREFIX_INDEXES, INDEX_TXID], encodeUtf8(txid));
}

export function encodeTxLocation(blockNumber: number, index: number): Uint8Array {
  checkU64(blockNumber);
  checkU32(index);
  const bytes = new Uint8Array(12);
  writeU64(bytes, 0, blockNumber);
  writeU32(bytes, 8, index);
  return bytes;
}

export function decodeTxLocation(bytes: Uint8Array): { blockNumber: number; index: number } {
  if (bytes.length !== 12) throw new RangeError(`transaction index entry has ${bytes.length} bytes, expected 12`);
  return { blockNumber: readU64(bytes, 0), index: readU32(bytes, 8) };
}

// ---- persist ----

export function persistKey(key: string): Uint8Array {
  return prefixed([PREFIX_PERSIST], encodeUtf8(key));
}

/** [gte, lt) of the persist keys starting with `prefix`. */
export function persistPrefixRange(prefix: string): { gte: Uint8Array; lt: Uint8Array } {
  const gte = persistKey(prefix);
  return { gte, lt: prefixUpperBound(gte) };
}

export function persistKeyName(key: Uint8Array): string {
  return decodeUtf8(key.subarray(1));
}

/** The smallest key above every key starting with `prefix` (bytes). */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const upper = prefix.slice(0, end);
  upper[end - 1]! += 1;
  return upper;
}
