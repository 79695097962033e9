// Full state snapshots for state transfer (Fabric's SYNC_STATE_SNAPSHOT): the world state of one
// block as a stream of bounded chunks, entries in UTF-8 byte order of their composite key. The
// exporter cuts chunks from a frozen copy of the state; the chunk codec lets the transport carry
// them as bytes and treats incoming bytes as hostile.
//
//   chunk = u8 version(1) u32 entryCount { string chaincodeName string key bytes value }*
import { CHAINCODE_NAME_BYTES_MAX, STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX } from '../protocol/limits.ts';
import { ByteReader, ByteWriter, DecodeError } from './byte-codec.ts';
import { SNAPSHOT_CHUNK_BYTES_MAX, SNAPSHOT_CHUNK_ENTRIES_MAX } from './ledger-limits.ts';
import { splitCompositeKey } from './world-state.ts';

const SNAPSHOT_CHUNK_VERSION = 1;
/** Encoded bytes of an entry besides its name, key and value: three u32 lengths. */
const ENTRY_OVERHEAD_BYTES = 12;
const CHUNK_HEADER_BYTES = 5;

export interface SnapshotEntry {
  chaincodeName: string;
  key: string;
  value: Uint8Array;
}

export interface StateSnapshotChunk {
  entries: SnapshotEntry[];
}

/** A state snapshot: the block whose state it is, that state's hash, and its chunks (iterate once). */
export interface StateSnapshot {
  blockNumber: number;
  stateHash: Uint8Array;
  /** Entry count of the whole snapshot. */
  entryCount: number;
  chunks: Iterable<StateSnapshotChunk>;
}

/** Cuts entries (composite key → value, in order) into chunks of about `chunkBytes` encoded bytes. */
export function* chunkState(
  entries: Iterable<[string, Uint8Array]>,
  chunkBytes: number,
): Generator<StateSnapshotChunk, undefined, undefined> {
  let chunk: SnapshotEntry[] = [];
  let bytes = CHUNK_HEADER_BYTES;
  for (const [composite, value] of entries) {
    const { chaincodeName, key } = splitCompositeKey(composite);
    const entryBytes = ENTRY_OVERHEAD_BYTES + Buffer.byteLength(composite, 'utf8') - 1 + value.length;
    if (chunk.length > 0 && (bytes + entryBytes > chunkBytes || chunk.length >= SNAPSHOT_CHUNK_ENTRIES_MAX)) {
      yield { entries: chunk };
      chunk = [];
      bytes = CHUNK_HEADER_BYTES;
    }
    chunk.push({ chaincodeName, key, value });
    bytes += entryBytes;
  }
  if (chunk.length > 0) yield { entries: chunk };
}

export function encodeSnapshotChunk(chunk: StateSnapshotChunk): Uint8Array {
  const writer = new ByteWriter(64 * 1024);
  writer.u8(SNAPSHOT_CHUNK_VERSION);
  writer.u32(chunk.entries.length);
  for (const entry of chunk.entries) {
    writer.string(entry.chaincodeName);
    writer.string(entry.key);
    writer.bytes(entry.value);
  }
  const bytes = writer.finish();
  if (bytes.length > SNAPSHOT_CHUNK_BYTES_MAX) throw new RangeError(`snapshot chunk of ${bytes.length} bytes exceeds ${SNAPSHOT_CHUNK_BYTES_MAX}`);
  return bytes;
}

/** Decodes a chunk's bytes; entry contents (names, order) are validated when the snapshot is installed. */
export function decodeSnapshotChunk(bytes: Uint8Array): StateSnapshotChunk {
  if (bytes.length > SNAPSHOT_CHUNK_BYTES_MAX) throw new DecodeError(`snapshot chunk: ${bytes.length} bytes exceed ${SNAPSHOT_CHUNK_BYTES_MAX}`);
  const reader = new ByteReader(bytes, 'snapshot chunk');
  const version = reader.u8();
  if (version !== SNAPSHOT_CHUNK_VERSION) reader.fail(`unknown version ${version}`);
  const count = reader.count(ENTRY_OVERHEAD_BYTES, SNAPSHOT_CHUNK_ENTRIES_MAX, 'entry');
  const entries: SnapshotEntry[] = [];
  for (let i = 0; i < count; i++) {
    const chaincodeName = reader.string(CHAINCODE_NAME_BYTES_MAX, 'chaincode name');
    const key = reader.string(STATE_KEY_BYTES_MAX, 'state key');
    const value = reader.bytes(STATE_VALUE_BYTES_MAX, 'value');
    entries.push({ chaincodeName, key, value });
  }
  reader.end();
  return { entries };
}
