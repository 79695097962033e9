// The PBFT messages as the core sees them (Fabric v0.6's consensus/pbft/messages.proto, hand
// written, plus weft's `status`). Plain data: the codec (codec.ts) turns them into bytes at the
// edge. Vocabulary is PBFT's: view, seqNo, digest, replicaId, primary.

/** A replica's number, 0 … N-1 (peer id vpN). */
export type ReplicaId = number;
/** base64 of the crypto hash of an encoded request batch; '' is the null request. */
export type Digest = string;

/**
 * A client transaction as consensus orders it. The origin replica received it from a client and
 * numbers its requests 1, 2, 3…; (origin, counter) identifies the request for deduplication, and
 * the origin's signature stops anyone else from spending its counters.
 */
export interface Request {
  origin: ReplicaId;
  counter: number;
  /** The encoded Transaction, timestamp included: every replica executes the same bytes. */
  payload: Uint8Array;
  signature: Uint8Array;
}

export interface RequestBatch {
  requests: Request[];
}

/** A client request broadcast by its origin (Fabric's BatchMessage.request). */
export interface RequestMessage {
  type: 'request';
  request: Request;
}

export interface PrePrepare {
  type: 'pre-prepare';
  view: number;
  seqNo: number;
  digest: Digest;
  /** The batch itself; null for the null request (digest ''). */
  batch: RequestBatch | null;
  replicaId: ReplicaId;
}

export interface Prepare {
  type: 'prepare';
  view: number;
  seqNo: number;
  digest: Digest;
  replicaId: ReplicaId;
}

export interface Commit {
  type: 'commit';
  view: number;
  seqNo: number;
  digest: Digest;
  replicaId: ReplicaId;
}

export interface Checkpoint {
  type: 'checkpoint';
  seqNo: number;
  /** base64 of the encoded ledger head after executing seqNo (codec.ts checkpointIdOf). */
  id: string;
  replicaId: ReplicaId;
}

/** A checkpoint a replica holds: an entry of a view-change's C set. */
export interface CheckpointEntry {
  seqNo: number;
  id: string;
}

/** A P- or Q-set entry: <n, d, v>. */
export interface PQEntry {
  seqNo: number;
  digest: Digest;
  view: number;
}

export interface ViewChange {
  type: 'view-change';
  view: number;
  /** The sender's low watermark. */
  h: number;
  cset: CheckpointEntry[];
  /** Requests prepared at the sender (highest view per seqNo), sorted by seqNo. */
  pset: PQEntry[];
  /** Requests pre-prepared at the sender (highest view per seqNo and digest), sorted by seqNo then digest. */
  qset: PQEntry[];
  replicaId: ReplicaId;
  /** The sender's signature over encodeViewChangeForSigning: a new-view forwards it. */
  signature: Uint8Array;
}

/** A new-view's assignment of a sequence number (Fabric's xset map). */
export interface Assignment {
  seqNo: number;
  digest: Digest;
}

export interface NewView {
  type: 'new-view';
  view: number;
  /** At least N-f signed view-changes for `view`, from distinct replicas. */
  vset: ViewChange[];
  /** Sorted by seqNo; every receiver recomputes it from vset. */
  xset: Assignment[];
  /** The primary of `view`. A new-view proves itself, so any replica may relay it. */
  replicaId: ReplicaId;
}

export interface FetchRequestBatch {
  type: 'fetch-request-batch';
  digest: Digest;
  replicaId: ReplicaId;
}

export interface ReturnRequestBatch {
  type: 'return-request-batch';
  batch: RequestBatch;
  replicaId: ReplicaId;
}

/**
 * weft's addition: "this is where I am". Sent while a replica has work that is not moving; peers
 * answer with what it lacks (their messages for its next seqNos, their checkpoints, the new-view of
 * a view it missed), which repairs lost messages without a view change.
 */
export interface Status {
  type: 'status';
  view: number;
  activeView: boolean;
  lastExec: number;
  /** The checkpoint id of the sender's ledger head after lastExec: f+1 equal ones make a state transfer target. */
  headId: string;
  h: number;
  replicaId: ReplicaId;
}

export type PbftMessage =
  | RequestMessage
  | PrePrepare
  | Prepare
  | Commit
  | Checkpoint
  | ViewChange
  | NewView
  | FetchRequestBatch
  | ReturnRequestBatch
  | Status;

export type PbftMessageType = PbftMessage['type'];

/** The request's identity for deduplication and the outstanding-request store. */
export function requestKey(request: Pick<Request, 'origin' | 'counter'>): string {
  return `${request.origin}:${request.counter}`;
}
