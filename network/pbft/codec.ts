// Binary encoding of PBFT messages, request batches, block metadata, persisted records and
// checkpoint ids. Hand written rather than protobuf: the format is small, decoding is strict
// (canonical varints, exact lengths, every count and size bounded, nothing trailing) and the
// batch encoding is canonical, so a batch digest is the same on every replica. Pure: no I/O.
//
// Layout: every message is [version 1][type tag][fields]; integers are unsigned LEB128 varints
// (safe integers only), byte strings and text are length-prefixed, lists count-prefixed.
import { decodeBase64, encodeBase64, isBase64 } from './base64.ts';
import {
  BATCH_BYTES_MAX,
  BATCH_REQUESTS_MAX,
  CHECKPOINT_ID_CHARS_MAX,
  CSET_ENTRIES_MAX,
  DEDUP_RANGES_PER_ORIGIN_MAX,
  DIGEST_CHARS_MAX,
  MESSAGE_BYTES_MAX,
  PQ_ENTRIES_MAX,
  REPLICAS_MAX,
  REQUEST_PAYLOAD_BYTES_MAX,
  SIGNATURE_BYTES_MAX,
} from './constants.ts';
import type { DedupMark } from './dedup.ts';
import type {
  Assignment,
  CheckpointEntry,
  PbftMessage,
  PbftMessageType,
  PQEntry,
  Request,
  RequestBatch,
  ViewChange,
} from './messages.ts';

export class CodecError extends Error {
  override name = 'CodecError';
}

const VERSION = 1;
const TAGS: Record<PbftMessageType, number> = {
  request: 1,
  'pre-prepare': 2,
  prepare: 3,
  commit: 4,
  checkpoint: 5,
  'view-change': 6,
  'new-view': 7,
  'fetch-request-batch': 8,
  'return-request-batch': 9,
  status: 10,
};
const TYPES = new Map<number, PbftMessageType>(Object.entries(TAGS).map(([type, tag]) => [tag, type as PbftMessageType]));

/** Domain prefixes of signed content, so a signature over one kind can never pass for another. */
const REQUEST_SIGNING_DOMAIN = new TextEncoder().encode('weft/pbft/request/1\0');
const VIEW_CHANGE_SIGNING_DOMAIN = new TextEncoder().encode('weft/pbft/view-change/1\0');

// ---------------------------------------------------------------------------------------------
// writer and reader

class Writer {
  #buffer = new Uint8Array(256);
  #length = 0;

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  uint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new CodecError(`cannot encode ${value}: not a non-negative safe integer`);
    this.#reserve(8);
    let rest = value;
    while (rest >= 0x80) {
      this.#buffer[this.#length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#buffer[this.#length++] = rest;
  }

  bytes(value: Uint8Array): void {
    this.uint(value.length);
    this.#reserve(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
  }

  /** ASCII text (digests, checkpoint ids): one byte per character. */
  ascii(value: string): void {
    this.uint(value.length);
    this.#reserve(value.length);
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code > 0x7e || code < 0x20) throw new CodecError('cannot encode non-ASCII text');
      this.#buffer[this.#length++] = code;
    }
  }

  raw(value: Uint8Array): void {
    this.#reserve(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
  }

  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

class Reader {
  readonly #bytes: Uint8Array;
  #position = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  byte(what: string): number {
    const value = this.#bytes[this.#position];
    if (value === undefined) throw new CodecError(`truncated: ${what} missing`);
    this.#position++;
    return value;
  }

  uint(what: string, max = Number.MAX_SAFE_INTEGER): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte(what);
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new CodecError(`${what}: non-canonical varint`);
        if (!Number.isSafeInteger(value)) throw new CodecError(`${what}: larger than a safe integer`);
        if (value > max) throw new CodecError(`${what} is ${value}, at most ${max} allowed`);
        return value;
      }
      scale *= 0x80;
    }
    throw new CodecError(`${what}: varint longer than 8 bytes`);
  }

  bytes(what: string, max: number): Uint8Array {
    const length = this.uint(`${what} length`, max);
    if (this.#position + length > this.#bytes.length) throw new CodecError(`truncated: ${what} needs ${length} bytes`);
    const value = this.#bytes.slice(this.#position, this.#position + length);
    this.#position += length;
    return value;
  }

  ascii(what: string, max: number): string {
    const length = this.uint(`${what} length`, max);
    if (this.#position + length > this.#bytes.length) throw new CodecError(`truncated: ${what} needs ${length} bytes`);
    let text = '';
    for (let i = 0; i < length; i++) {
      const code = this.#bytes[this.#position + i] as number;
      if (code > 0x7e || code < 0x20) throw new CodecError(`${what}: not printable ASCII`);
      text += String.fromCharCode(code);
    }
    this.#position += length;
    return text;
  }

  bool(what: string): boolean {
    const b = this.byte(what);
    if (b > 1) throw new CodecError(`${what}: ${b} is not a boolean`);
    return b === 1;
  }

  count(what: string, max: number): number {
    return this.uint(`${what} count`, max);
  }

  end(what: string): void {
    if (this.#position !== this.#bytes.length) throw new CodecError(`${what}: ${this.#bytes.length - this.#position} trailing bytes`);
  }
}

// ---------------------------------------------------------------------------------------------
// fields

function writeDigest(w: Writer, digest: string): void {
  w.ascii(digest);
}

function readDigest(r: Reader, what: string): string {
  const digest = r.ascii(what, DIGEST_CHARS_MAX);
  if (digest !== '' && !isBase64(digest)) throw new CodecError(`${what} is not base64`);
  return digest;
}

function readCheckpointId(r: Reader, what: string): string {
  const id = r.ascii(what, CHECKPOINT_ID_CHARS_MAX);
  if (id === '') throw new CodecError(`${what} is empty`);
  return id;
}

function readReplica(r: Reader, what: string): number {
  return r.uint(what, REPLICAS_MAX - 1);
}

function writeRequest(w: Writer, request: Request): void {
  w.uint(request.origin);
  w.uint(request.counter);
  w.bytes(request.payload);
  w.bytes(request.signature);
}

function readRequest(r: Reader): Request {
  const origin = readReplica(r, 'request origin');
  const counter = r.uint('request counter');
  if (counter === 0) throw new CodecError('request counter must be at least 1');
  const payload = r.bytes('request payload', REQUEST_PAYLOAD_BYTES_MAX);
  const signature = r.bytes('request signature', SIGNATURE_BYTES_MAX);
  return { origin, counter, payload, signature };
}

function writeBatch(w: Writer, batch: RequestBatch): void {
  w.uint(batch.requests.length);
  for (const request of batch.requests) writeRequest(w, request);
}

function readBatch(r: Reader): RequestBatch {
  const count = r.count('batch requests', BATCH_REQUESTS_MAX);
  const requests: Request[] = [];
  for (let i = 0; i < count; i++) requests.push(readRequest(r));
  return { requests };
}

function writePQ(w: Writer, entries: readonly PQEntry[]): void {
  w.uint(entries.length);
  for (const e of entries) {
    w.uint(e.seqNo);
    writeDigest(w, e.digest);
    w.uint(e.view);
  }
}

function readPQ(r: Reader, what: string): PQEntry[] {
  const count = r.count(what, PQ_ENTRIES_MAX);
  const entries: PQEntry[] = [];
  for (let i = 0; i < count; i++) {
    entries.push({ seqNo: r.uint(`${what} seqNo`), digest: readDigest(r, `${what} digest`), view: r.uint(`${what} view`) });
  }
  return entries;
}

function writeViewChangeBody(w: Writer, vc: ViewChange): void {
  w.uint(vc.view);
  w.uint(vc.h);
  w.uint(vc.cset.length);
  for (const c of vc.cset) {
    w.uint(c.seqNo);
    w.ascii(c.id);
  }
  writePQ(w, vc.pset);
  writePQ(w, vc.qset);
  w.uint(vc.replicaId);
}

function readViewChange(r: Reader): ViewChange {
  const view = r.uint('view-change view');
  const h = r.uint('view-change h');
  const csetCount = r.count('view-change cset', CSET_ENTRIES_MAX);
  const cset: CheckpointEntry[] = [];
  for (let i = 0; i < csetCount; i++) cset.push({ seqNo: r.uint('cset seqNo'), id: readCheckpointId(r, 'cset id') });
  const pset = readPQ(r, 'view-change pset');
  const qset = readPQ(r, 'view-change qset');
  const replicaId = readReplica(r, 'view-change replicaId');
  const signature = r.bytes('view-change signature', SIGNATURE_BYTES_MAX);
  return { type: 'view-change', view, h, cset, pset, qset, replicaId, signature };
}

function writeViewChange(w: Writer, vc: ViewChange): void {
  writeViewChangeBody(w, vc);
  w.bytes(vc.signature);
}

// ---------------------------------------------------------------------------------------------
// messages

export function encodeMessage(message: PbftMessage): Uint8Array {
  const w = new Writer();
  w.byte(VERSION);
  w.byte(TAGS[message.type]);
  switch (message.type) {
    case 'request':
      writeRequest(w, message.request);
      break;
    case 'pre-prepare':
      w.uint(message.view);
      w.uint(message.seqNo);
      writeDigest(w, message.digest);
      w.byte(message.batch === null ? 0 : 1);
      if (message.batch !== null) writeBatch(w, message.batch);
      w.uint(message.replicaId);
      break;
    case 'prepare':
    case 'commit':
      w.uint(message.view);
      w.uint(message.seqNo);
      writeDigest(w, message.digest);
      w.uint(message.replicaId);
      break;
    case 'checkpoint':
      w.uint(message.seqNo);
      w.ascii(message.id);
      w.uint(message.replicaId);
      break;
    case 'view-change':
      writeViewChange(w, message);
      break;
    case 'new-view':
      w.uint(message.view);
      w.uint(message.vset.length);
      for (const vc of message.vset) writeViewChange(w, vc);
      w.uint(message.xset.length);
      for (const x of message.xset) {
        w.uint(x.seqNo);
        writeDigest(w, x.digest);
      }
      w.uint(message.replicaId);
      break;
    case 'fetch-request-batch':
      writeDigest(w, message.digest);
      w.uint(message.replicaId);
      break;
    case 'return-request-batch':
      writeBatch(w, message.batch);
      w.uint(message.replicaId);
      break;
    case 'status':
      w.uint(message.view);
      w.byte(message.activeView ? 1 : 0);
      w.uint(message.lastExec);
      w.ascii(message.headId);
      w.uint(message.h);
      w.uint(message.replicaId);
      break;
  }
  return w.finish();
}

/** Decodes one message; throws CodecError with the reason on anything malformed or oversized. */
export function decodeMessage(bytes: Uint8Array): PbftMessage {
  if (bytes.length > MESSAGE_BYTES_MAX) throw new CodecError(`message of ${bytes.length} bytes exceeds ${MESSAGE_BYTES_MAX}`);
  const r = new Reader(bytes);
  const version = r.byte('version');
  if (version !== VERSION) throw new CodecError(`unknown message version ${version}`);
  const tag = r.byte('type');
  const type = TYPES.get(tag);
  if (type === undefined) throw new CodecError(`unknown message type ${tag}`);
  const message = decodeBody(r, type);
  r.end(type);
  return message;
}

function decodeBody(r: Reader, type: PbftMessageType): PbftMessage {
  switch (type) {
    case 'request':
      return { type, request: readRequest(r) };
    case 'pre-prepare': {
      const view = r.uint('view');
      const seqNo = r.uint('seqNo');
      const digest = readDigest(r, 'digest');
      const batch = r.bool('has batch') ? readBatch(r) : null;
      return { type, view, seqNo, digest, batch, replicaId: readReplica(r, 'replicaId') };
    }
    case 'prepare':
    case 'commit': {
      const view = r.uint('view');
      const seqNo = r.uint('seqNo');
      const digest = readDigest(r, 'digest');
      return { type, view, seqNo, digest, replicaId: readReplica(r, 'replicaId') };
    }
    case 'checkpoint': {
      const seqNo = r.uint('seqNo');
      const id = readCheckpointId(r, 'checkpoint id');
      return { type, seqNo, id, replicaId: readReplica(r, 'replicaId') };
    }
    case 'view-change':
      return readViewChange(r);
    case 'new-view': {
      const view = r.uint('view');
      const vsetCount = r.count('new-view vset', REPLICAS_MAX);
      const vset: ViewChange[] = [];
      for (let i = 0; i < vsetCount; i++) vset.push(readViewChange(r));
      const xsetCount = r.count('new-view xset', PQ_ENTRIES_MAX);
      const xset: Assignment[] = [];
      for (let i = 0; i < xsetCount; i++) xset.push({ seqNo: r.uint('xset seqNo'), digest: readDigest(r, 'xset digest') });
      return { type, view, vset, xset, replicaId: readReplica(r, 'replicaId') };
    }
    case 'fetch-request-batch': {
      const digest = readDigest(r, 'digest');
      return { type, digest, replicaId: readReplica(r, 'replicaId') };
    }
    case 'return-request-batch': {
      const batch = readBatch(r);
      return { type, batch, replicaId: readReplica(r, 'replicaId') };
    }
    case 'status': {
      const view = r.uint('view');
      const activeView = r.bool('activeView');
      const lastExec = r.uint('lastExec');
      const headId = readCheckpointId(r, 'head id');
      const h = r.uint('h');
      return { type, view, activeView, lastExec, headId, h, replicaId: readReplica(r, 'replicaId') };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// batches and signed content

/** The canonical bytes of a batch: what its digest hashes and what is persisted. */
export function encodeRequestBatch(batch: RequestBatch): Uint8Array {
  const w = new Writer();
  w.byte(VERSION);
  writeBatch(w, batch);
  return w.finish();
}

export function decodeRequestBatch(bytes: Uint8Array): RequestBatch {
  if (bytes.length > BATCH_BYTES_MAX + 1_024) throw new CodecError(`batch of ${bytes.length} bytes is too large`);
  const r = new Reader(bytes);
  const version = r.byte('version');
  if (version !== VERSION) throw new CodecError(`unknown batch version ${version}`);
  const batch = readBatch(r);
  r.end('batch');
  return batch;
}

/** Bytes one request adds to an encoded batch (for cutting batches by size). */
export function encodedRequestBytes(request: Request): number {
  return 4 * 8 + request.payload.length + request.signature.length;
}

export function encodeRequestForSigning(request: Pick<Request, 'origin' | 'counter' | 'payload'>): Uint8Array {
  const w = new Writer();
  w.raw(REQUEST_SIGNING_DOMAIN);
  w.uint(request.origin);
  w.uint(request.counter);
  w.bytes(request.payload);
  return w.finish();
}

export function encodeViewChangeForSigning(vc: ViewChange): Uint8Array {
  const w = new Writer();
  w.raw(VIEW_CHANGE_SIGNING_DOMAIN);
  writeViewChangeBody(w, vc);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// block metadata: the seqNo of the block's batch and the executed-request record after it

export interface BlockMetadata {
  seqNo: number;
  executed: DedupMark[];
}

export function encodeMetadata(metadata: BlockMetadata): Uint8Array {
  const w = new Writer();
  w.byte(VERSION);
  w.uint(metadata.seqNo);
  w.uint(metadata.executed.length);
  for (const mark of metadata.executed) {
    w.uint(mark.origin);
    w.uint(mark.low);
    w.uint(mark.ranges.length);
    for (const [start, end] of mark.ranges) {
      w.uint(start);
      w.uint(end);
    }
  }
  return w.finish();
}

/** Empty metadata (genesis, or blocks written by noops) is seqNo 0 with nothing executed. */
export function decodeMetadata(bytes: Uint8Array): BlockMetadata {
  if (bytes.length === 0) return { seqNo: 0, executed: [] };
  const r = new Reader(bytes);
  const version = r.byte('metadata version');
  if (version !== VERSION) throw new CodecError(`unknown metadata version ${version}`);
  const seqNo = r.uint('metadata seqNo');
  const origins = r.count('metadata origins', REPLICAS_MAX);
  const executed: DedupMark[] = [];
  let previousOrigin = -1;
  for (let i = 0; i < origins; i++) {
    const origin = readReplica(r, 'metadata origin');
    if (origin <= previousOrigin) throw new CodecError('metadata origins must ascend');
    previousOrigin = origin;
    const low = r.uint('metadata low');
    const count = r.count('metadata ranges', DEDUP_RANGES_PER_ORIGIN_MAX);
    const ranges: Array<[number, number]> = [];
    let previousEnd = low;
    for (let j = 0; j < count; j++) {
      const start = r.uint('range start');
      const end = r.uint('range end');
      if (start <= previousEnd + 1 || end < start) throw new CodecError('metadata ranges must ascend with gaps');
      ranges.push([start, end]);
      previousEnd = end;
    }
    executed.push({ origin, low, ranges });
  }
  r.end('metadata');
  return { seqNo, executed };
}

// ---------------------------------------------------------------------------------------------
// checkpoint ids: the ledger head after executing a checkpoint's seqNo

export interface LedgerHead {
  height: number;
  blockHash: Uint8Array;
  stateHash: Uint8Array;
}

const HASH_BYTES_MAX = 256;

export function checkpointIdOf(head: LedgerHead): string {
  const w = new Writer();
  w.byte(VERSION);
  w.uint(head.height);
  w.bytes(head.blockHash);
  w.bytes(head.stateHash);
  return encodeBase64(w.finish());
}

export function decodeCheckpointId(id: string): LedgerHead {
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(id);
  } catch {
    throw new CodecError('checkpoint id is not base64');
  }
  const r = new Reader(bytes);
  const version = r.byte('checkpoint id version');
  if (version !== VERSION) throw new CodecError(`unknown checkpoint id version ${version}`);
  const height = r.uint('height');
  const blockHash = r.bytes('block hash', HASH_BYTES_MAX);
  const stateHash = r.bytes('state hash', HASH_BYTES_MAX);
  r.end('checkpoint id');
  return { height, blockHash, stateHash };
}

// ---------------------------------------------------------------------------------------------
// persisted records (values under the consensus.* keys)

export function encodeUint(value: number): Uint8Array {
  const w = new Writer();
  w.uint(value);
  return w.finish();
}

export function decodeUint(bytes: Uint8Array, what: string): number {
  const r = new Reader(bytes);
  const value = r.uint(what);
  r.end(what);
  return value;
}

export function encodeText(value: string): Uint8Array {
  const w = new Writer();
  w.ascii(value);
  return w.finish();
}

export function decodeText(bytes: Uint8Array, what: string): string {
  const r = new Reader(bytes);
  const value = r.ascii(what, CHECKPOINT_ID_CHARS_MAX);
  r.end(what);
  return value;
}

export function encodeViewRecord(view: number, activeView: boolean): Uint8Array {
  const w = new Writer();
  w.uint(view);
  w.byte(activeView ? 1 : 0);
  return w.finish();
}

export function decodeViewRecord(bytes: Uint8Array): { view: number; activeView: boolean } {
  const r = new Reader(bytes);
  const view = r.uint('view');
  const activeView = r.bool('activeView');
  r.end('view record');
  return { view, activeView };
}

export function encodePQ(entries: readonly PQEntry[]): Uint8Array {
  const w = new Writer();
  writePQ(w, entries);
  return w.finish();
}

export function decodePQ(bytes: Uint8Array, what: string): PQEntry[] {
  const r = new Reader(bytes);
  const entries = readPQ(r, what);
  r.end(what);
  return entries;
}

export function encodeLastExec(seqNo: number, checkpointId: string): Uint8Array {
  const w = new Writer();
  w.uint(seqNo);
  w.ascii(checkpointId);
  return w.finish();
}

export function decodeLastExec(bytes: Uint8Array): { seqNo: number; checkpointId: string } {
  const r = new Reader(bytes);
  const seqNo = r.uint('lastExec seqNo');
  const checkpointId = readCheckpointId(r, 'lastExec checkpoint id');
  r.end('lastExec record');
  return { seqNo, checkpointId };
}
