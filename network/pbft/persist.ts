// What a replica keeps on disk, under the ledger's persist key space (keys prefixed
// "consensus.", Fabric's names where Fabric had them), and how a restart reads it back. Values
// are written by the core (Ready.persist) and decoded here strictly; a batch whose bytes do not
// hash to its key is left out.
import { decodeLastExec, decodePQ, decodeRequestBatch, decodeText, decodeUint, decodeViewRecord, encodeRequestBatch } from './codec.ts';
import type { Digest, PQEntry, RequestBatch } from './messages.ts';

export const PERSIST_PREFIX = 'consensus.';
export const PERSIST_KEYS = {
  /** view and whether it is active */
  view: 'consensus.view',
  /** the P set (prepared), as a view-change would carry it */
  pset: 'consensus.pset',
  /** the Q set (pre-prepared) */
  qset: 'consensus.qset',
  /** the low watermark */
  h: 'consensus.h',
  /** the last executed seqNo and the head it left (null requests advance it without a block) */
  lastExec: 'consensus.lastExec',
  /** request counters reserved by this origin */
  counter: 'consensus.counter',
  /** consensus.reqBatch.<digest>: a request batch in the log */
  batchPrefix: 'consensus.reqBatch.',
  /** consensus.chkpt.<seqNo>: this replica's checkpoint id */
  checkpointPrefix: 'consensus.chkpt.',
} as const;

export interface PersistedState {
  view: number;
  activeView: boolean;
  h: number;
  counterReserved: number;
  lastExec: { seqNo: number; checkpointId: string } | null;
  checkpoints: Map<number, string>;
  batches: Map<Digest, RequestBatch>;
  pset: PQEntry[];
  qset: PQEntry[];
  /** What was left out, worded for the log. */
  problems: string[];
}

/** Reads the persisted entries (throws CodecError on a malformed record: the store is corrupt). */
export function readPersisted(persisted: ReadonlyMap<string, Uint8Array>, digest: (bytes: Uint8Array) => string): PersistedState {
  const get = (key: string): Uint8Array | undefined => persisted.get(key);
  const view = get(PERSIST_KEYS.view);
  const record = view === undefined ? { view: 0, activeView: true } : decodeViewRecord(view);
  const h = get(PERSIST_KEYS.h);
  const counter = get(PERSIST_KEYS.counter);
  const lastExec = get(PERSIST_KEYS.lastExec);
  const pset = get(PERSIST_KEYS.pset);
  const qset = get(PERSIST_KEYS.qset);
  const state: PersistedState = {
    ...record,
    h: h === undefined ? 0 : decodeUint(h, 'h'),
    counterReserved: counter === undefined ? 0 : decodeUint(counter, 'counter'),
    lastExec: lastExec === undefined ? null : decodeLastExec(lastExec),
    checkpoints: new Map(),
    batches: new Map(),
    pset: pset === undefined ? [] : decodePQ(pset, 'pset'),
    qset: qset === undefined ? [] : decodePQ(qset, 'qset'),
    problems: [],
  };
  for (const [key, value] of persisted) {
    if (key.startsWith(PERSIST_KEYS.checkpointPrefix)) {
      const seqNo = Number(key.slice(PERSIST_KEYS.checkpointPrefix.length));
      if (Number.isSafeInteger(seqNo) && seqNo > 0) state.checkpoints.set(seqNo, decodeText(value, 'checkpoint id'));
      else state.problems.push(`persisted checkpoint key ${key} is not a seqNo; ignored`);
    } else if (key.startsWith(PERSIST_KEYS.batchPrefix)) {
      const expected = key.slice(PERSIST_KEYS.batchPrefix.length);
      const batch = decodeRequestBatch(value);
      if (digest(encodeRequestBatch(batch)) === expected) state.batches.set(expected, batch);
      else state.problems.push(`persisted request batch ${expected} does not match its digest; dropped`);
    }
  }
  return state;
}
