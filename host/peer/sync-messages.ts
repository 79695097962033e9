// The state-transfer protocol on the transport's 'sync' channel (Fabric v0.6's SYNC_GET_BLOCKS,
// SYNC_STATE_GET_DELTAS and SYNC_STATE_GET_SNAPSHOT, as request/response pairs). Requests and
// answers are small binary records; everything decoded here came off the network and is bounded.
//
//   request  = u8 kind ‖ fields          answer = u8 kind ‖ fields
//   HEAD     —                           HEAD     u64 height ‖ bytes blockHash ‖ u64 stateBlockNumber
//   BLOCKS   u64 from ‖ u64 to ‖ u8 deltas   BLOCKS   u32 n ‖ { u64 number ‖ bytes block ‖ opt delta }*
//   SNAPSHOT u64 atLeast                 SNAPSHOT u32 id ‖ u64 blockNumber ‖ bytes stateHash ‖ u64 entries
//   CHUNK    u32 id ‖ u32 index          CHUNK    u8 last ‖ bytes chunk
import { ByteReader, ByteWriter } from '../ledger/byte-codec.ts';
import { SNAPSHOT_CHUNK_BYTES_MAX } from '../ledger/ledger-limits.ts';
import { CRYPTO_HASH_BYTES } from '../protocol/hash.ts';

/** Blocks in one BLOCKS answer, whatever the request asks (Fabric's blocksperrequest is 20). */
export const SYNC_BLOCKS_PER_ANSWER_MAX = 100;
/** Bytes of encoded blocks and deltas in one answer; the transport's sync bound is 16 MiB. */
export const SYNC_ANSWER_BYTES_MAX = 12 * 1024 * 1024;
const BLOCK_BYTES_MAX = SYNC_ANSWER_BYTES_MAX;
const DELTA_BYTES_MAX = SYNC_ANSWER_BYTES_MAX;
/** Smallest encoded block entry: number, an empty block's length and the delta flag. */
const ENTRY_BYTES_MIN = 13;

export const SyncKind = { HEAD: 1, BLOCKS: 2, SNAPSHOT: 3, CHUNK: 4 } as const;

export type SyncRequest =
  | { kind: 'head' }
  | { kind: 'blocks'; from: number; to: number; withDeltas: boolean }
  | { kind: 'snapshot'; atLeast: number }
  | { kind: 'chunk'; id: number; index: number };

export interface HeadAnswer {
  height: number;
  blockHash: Uint8Array;
  /** The block whose state the peer's world state is (height - 1 unless it is catching up). */
  stateBlockNumber: number;
}

export interface BlockEntry {
  blockNumber: number;
  /** The Block protobuf as the serving peer stores it. */
  block: Uint8Array;
  /** Its encoded state delta, when asked for and still kept. */
  delta: Uint8Array | null;
}

export interface SnapshotAnswer {
  id: number;
  blockNumber: number;
  stateHash: Uint8Array;
  entryCount: number;
}

export interface ChunkAnswer {
  last: boolean;
  chunk: Uint8Array;
}

function writeU64(writer: ByteWriter, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a block number: ${value}`);
  writer.u32(Math.floor(value / 2 ** 32));
  writer.u32(value >>> 0);
}

function readU64(reader: ByteReader, what: string): number {
  const high = reader.u32();
  const low = reader.u32();
  const value = high * 2 ** 32 + low;
  if (!Number.isSafeInteger(value)) reader.fail(`${what} is too large`);
  return value;
}

export function encodeSyncRequest(request: SyncRequest): Uint8Array {
  const writer = new ByteWriter(32);
  switch (request.kind) {
    case 'head':
      writer.u8(SyncKind.HEAD);
      break;
    case 'blocks':
      writer.u8(SyncKind.BLOCKS);
      writeU64(writer, request.from);
      writeU64(writer, request.to);
      writer.u8(request.withDeltas ? 1 : 0);
      break;
    case 'snapshot':
      writer.u8(SyncKind.SNAPSHOT);
      writeU64(writer, request.atLeast);
      break;
    case 'chunk':
      writer.u8(SyncKind.CHUNK);
      writer.u32(request.id);
      writer.u32(request.index);
      break;
  }
  return writer.finish();
}

export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  const reader = new ByteReader(bytes, 'sync request');
  const kind = reader.u8();
  let request: SyncRequest;
  if (kind === SyncKind.HEAD) request = { kind: 'head' };
  else if (kind === SyncKind.BLOCKS) {
    const from = readU64(reader, 'from');
    const to = readU64(reader, 'to');
    const flag = reader.u8();
    if (flag > 1) reader.fail(`deltas flag ${flag}`);
    request = { kind: 'blocks', from, to, withDeltas: flag === 1 };
  } else if (kind === SyncKind.SNAPSHOT) request = { kind: 'snapshot', atLeast: readU64(reader, 'atLeast') };
  else if (kind === SyncKind.CHUNK) request = { kind: 'chunk', id: reader.u32(), index: reader.u32() };
  else return reader.fail(`unknown request kind ${kind}`);
  reader.end();
  return request;
}

export function encodeHeadAnswer(answer: HeadAnswer): Uint8Array {
  const writer = new ByteWriter(96);
  writer.u8(SyncKind.HEAD);
  writeU64(writer, answer.height);
  writer.bytes(answer.blockHash);
  writeU64(writer, answer.stateBlockNumber);
  return writer.finish();
}

export function decodeHeadAnswer(bytes: Uint8Array): HeadAnswer {
  const reader = new ByteReader(bytes, 'head answer');
  if (reader.u8() !== SyncKind.HEAD) reader.fail('not a head answer');
  const height = readU64(reader, 'height');
  const blockHash = reader.bytes(CRYPTO_HASH_BYTES, 'block hash');
  if (blockHash.length !== CRYPTO_HASH_BYTES) reader.fail(`block hash is not ${CRYPTO_HASH_BYTES} bytes`);
  const stateBlockNumber = readU64(reader, 'stateBlockNumber');
  reader.end();
  if (height < 1 || stateBlockNumber >= height) reader.fail('inconsistent height and state block');
  return { height, blockHash, stateBlockNumber };
}

export function encodeBlocksAnswer(entries: BlockEntry[]): Uint8Array {
  const writer = new ByteWriter(64 * 1024);
  writer.u8(SyncKind.BLOCKS);
  writer.u32(entries.length);
  for (const entry of entries) {
    writeU64(writer, entry.blockNumber);
    writer.bytes(entry.block);
    writer.optionalBytes(entry.delta);
  }
  return writer.finish();
}

export function decodeBlocksAnswer(bytes: Uint8Array): BlockEntry[] {
  const reader = new ByteReader(bytes, 'blocks answer');
  if (reader.u8() !== SyncKind.BLOCKS) reader.fail('not a blocks answer');
  const count = reader.count(ENTRY_BYTES_MIN, SYNC_BLOCKS_PER_ANSWER_MAX, 'block');
  const entries: BlockEntry[] = [];
  for (let i = 0; i < count; i++) {
    const blockNumber = readU64(reader, 'block number');
    const block = reader.bytes(BLOCK_BYTES_MAX, 'block');
    const delta = reader.optionalBytes(DELTA_BYTES_MAX, 'delta');
    entries.push({ blockNumber, block, delta });
  }
  reader.end();
  return entries;
}

export function encodeSnapshotAnswer(answer: SnapshotAnswer): Uint8Array {
  const writer = new ByteWriter(96);
  writer.u8(SyncKind.SNAPSHOT);
  writer.u32(answer.id);
  writeU64(writer, answer.blockNumber);
  writer.bytes(answer.stateHash);
  writeU64(writer, answer.entryCount);
  return writer.finish();
}

export function decodeSnapshotAnswer(bytes: Uint8Array): SnapshotAnswer {
  const reader = new ByteReader(bytes, 'snapshot answer');
  if (reader.u8() !== SyncKind.SNAPSHOT) reader.fail('not a snapshot answer');
  const id = reader.u32();
  const blockNumber = readU64(reader, 'block number');
  const stateHash = reader.bytes(CRYPTO_HASH_BYTES, 'state hash');
  const entryCount = readU64(reader, 'entry count');
  reader.end();
  return { id, blockNumber, stateHash, entryCount };
}

export function encodeChunkAnswer(answer: ChunkAnswer): Uint8Array {
  const writer = new ByteWriter(answer.chunk.length + 16);
  writer.u8(SyncKind.CHUNK);
  writer.u8(answer.last ? 1 : 0);
  writer.bytes(answer.chunk);
  return writer.finish();
}

export function decodeChunkAnswer(bytes: Uint8Array): ChunkAnswer {
  const reader = new ByteReader(bytes, 'chunk answer');
  if (reader.u8() !== SyncKind.CHUNK) reader.fail('not a chunk answer');
  const flag = reader.u8();
  if (flag > 1) reader.fail(`last flag ${flag}`);
  const chunk = reader.bytes(SNAPSHOT_CHUNK_BYTES_MAX, 'chunk');
  reader.end();
  return { last: flag === 1, chunk };
}
