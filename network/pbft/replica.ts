// One PBFT replica as a pure, synchronous state machine (Fabric v0.6's pbft-core.go, batch.go and
// viewchange.go in batch mode; etcd raft's shape). It does no I/O and owns no clock: the driver
// feeds it inputs — step() for a message, tick() for logical time, request() for a client
// transaction, executed()/stateTransferred() for completions — and drains ready() for what to
// persist, send, execute and transfer (ready.ts documents the order). Everything from the network
// is validated; every drop has a reason; every store is bounded; invariants are asserted after
// every input. docs/pbft.md describes the protocol and where weft departs from Fabric.
import type { MessageSigner } from '../transport/types.ts';
import {
  decodeMetadata,
  encodeLastExec,
  encodeMessage,
  encodeMetadata,
  encodePQ,
  encodeRequestBatch,
  encodeRequestForSigning,
  encodeText,
  encodeUint,
  encodeViewChangeForSigning,
  encodeViewRecord,
  encodedRequestBytes,
} from './codec.ts';
import {
  BATCH_FETCH_ANSWERS_PER_TICK_MAX,
  BATCH_TRANSACTIONS_MAX,
  BATCHES_IN_FLIGHT_WHEN_IDLE,
  GENESIS_CHECKPOINT_ID,
  MESSAGE_BYTES_MAX,
  NEW_VIEW_TIMEOUT_TICKS_MAX,
  NOTES_PER_READY_MAX,
  QSET_DIGESTS_PER_SEQNO_MAX,
  REQUEST_COUNTER_RESERVATION,
  REQUEST_PAYLOAD_BYTES_MAX,
  REQUEST_RESENDS_PER_SWEEP_MAX,
  STATE_TRANSFER_RETRY_TICKS,
  STATUS_RESEND_SEQNOS_MAX,
} from './constants.ts';
import { ExecutedRequests } from './dedup.ts';
import {
  requestKey,
  type Checkpoint,
  type Commit,
  type Digest,
  type FetchRequestBatch,
  type NewView,
  type PbftMessage,
  type PQEntry,
  type PrePrepare,
  type Prepare,
  type ReplicaId,
  type Request,
  type RequestBatch,
  type ReturnRequestBatch,
  type Status,
  type ViewChange,
} from './messages.ts';
import { validateReplicaOptions, type ReplicaOptions } from './options.ts';
import { PERSIST_KEYS, readPersisted } from './persist.ts';
import type { ExecuteBatch, Note, NoteLevel, Outbound, Ready, SoftState, StateTransferTarget } from './ready.ts';
import { RequestStore } from './request-store.ts';
import { assignSequenceNumbers, quorums, sameAssignments, selectInitialCheckpoint, viewChangeDefect, type Quorums } from './view-change.ts';

/** What the core needs from its surroundings, as pure function objects. */
export interface ReplicaEnvironment {
  /** base64(cryptoHash(bytes)): the digest of an encoded request batch. */
  digest(bytes: Uint8Array): string;
  /** Signs as this replica; verifies "vpN" as replica N. */
  signer: MessageSigner;
  /**
   * At most how many transactions a request payload will execute as (the driver bundles them,
   * transaction-bundle.ts); a batch may hold BATCH_TRANSACTIONS_MAX. Default: one per request.
   */
  transactionsIn?(payload: Uint8Array): number;
}

/** The ledger head as the core needs it at start-up and after state transfer. */
export interface HeadState {
  /** codec.ts checkpointIdOf(head). */
  checkpointId: string;
  /** The head block's consensus metadata (empty for genesis). */
  consensusMetadata: Uint8Array;
}

export type RequestResult = { ok: true; origin: ReplicaId; counter: number } | { ok: false; error: string };

export interface ReplicaStatus extends SoftState {
  /** New views this replica accepted since it started (an exact count of view changes). */
  newViewsAccepted: number;
  id: ReplicaId;
  n: number;
  f: number;
  seqNo: number;
  H: number;
  executing: number | null;
  stateTransferring: boolean;
  outstandingRequests: number;
  pendingRequests: number;
  batchStore: number;
  certificates: number;
  requestBatches: number;
  missingBatches: number;
  drops: Record<string, number>;
}

export class PbftInvariantError extends Error {
  override name = 'PbftInvariantError';
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new PbftInvariantError(message);
}

export { PERSIST_KEYS, PERSIST_PREFIX } from './persist.ts';

/** A quorum certificate in the making for one (view, seqNo). */
interface Cert {
  view: number;
  seqNo: number;
  /** The pre-prepared digest; null until a pre-prepare is accepted. */
  digest: Digest | null;
  prePrepare: PrePrepare | null;
  sentPrepare: boolean;
  prepares: Map<ReplicaId, Digest>;
  sentCommit: boolean;
  commits: Map<ReplicaId, Digest>;
  /** Sticky: this replica has (had) a prepared certificate, possibly before a restart. */
  prepared: boolean;
  /** The digest an intersection quorum committed; execution needs only this and the batch. */
  committedDigest: Digest | null;
}

interface Executing {
  seqNo: number;
  digest: Digest;
  /** Every request key of the batch, duplicates included: all leave the outstanding store. */
  keys: string[];
  after: ExecutedRequests;
}

/** A tiny integer PRNG (splitmix32) for the byzantine flag's choices, seeded by the options. */
function nextRandom(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const certKey = (view: number, seqNo: number): string => `${view}:${seqNo}`;
/** Views back for which a replica keeps the view-change it sent. */
const SENT_VIEW_CHANGES_KEPT = 8;
/** View-changes kept per replica (for the current and the nearest later views). */
const VIEW_CHANGES_PER_REPLICA_MAX = 4;
const qKey = (seqNo: number, digest: Digest): string => `${seqNo}/${digest}`;
const peerIdOf = (replica: ReplicaId): string => `vp${replica}`;

export class PbftReplica {
  readonly id: ReplicaId;
  readonly n: number;
  readonly f: number;
  readonly K: number;
  readonly L: number;
  readonly #o: ReplicaOptions;
  readonly #env: ReplicaEnvironment;
  readonly #q: Quorums;
  readonly #batchesMax: number;

  // clock and timers (deadlines in ticks; null = stopped)
  #now = 0;
  #progressTimer: { deadline: number; kind: 'request' | 'new-view'; reason: string } | null = null;
  /** A request timeout first asks peers for what this replica may lack; only the next one blames the primary. */
  #requestGraceUsed = false;
  /** Replicas the driver's transport has no connection to (setReachable). */
  readonly #unreachable = new Set<ReplicaId>();
  /** Replicas setReachable has reported on at least once. */
  readonly #reachabilityReported = new Set<ReplicaId>();
  #vcResendAt: number | null = null;
  #nullRequestAt: number | null = null;
  #batchTimerAt: number | null = null;
  #nextStatusAt: number;
  #stateTransferRetryAt: number | null = null;
  #lastNewViewTimeout: number;
  #quorumTimerView = -1;
  /** The view-changes this replica sent for its last few views, to retransmit to replicas still waiting in them. */
  readonly #sentViewChanges = new Map<number, ViewChange>();
  readonly #retransmittedAt = new Map<ReplicaId, number>();

  // protocol state
  #view = 0;
  #activeView = true;
  #newViewsAccepted = 0;
  #h = 0;
  #lastExec = 0;
  #seqNo = 0;
  #currentExec: number | null = null;
  #executing: Executing | null = null;
  #viewChangeSeqNo = Number.MAX_SAFE_INTEGER;
  readonly #certs = new Map<string, Cert>();
  readonly #batches = new Map<Digest, RequestBatch>();
  readonly #chkpts = new Map<number, string>();
  readonly #checkpointStore = new Map<number, Map<ReplicaId, string>>();
  #pset = new Map<number, PQEntry>();
  #qset = new Map<string, PQEntry>();
  /** View-changes for the current and later views, keyed `${view}:${replica}`; a few per replica. */
  readonly #viewChanges = new Map<string, ViewChange>();
  #newView: NewView | null = null;
  readonly #hChkpts = new Map<ReplicaId, number>();
  #highStateTarget: StateTransferTarget | null = null;
  #transferTarget: StateTransferTarget | null = null;
  #skipInProgress = false;
  #stateTransferring = false;
  readonly #missingBatches = new Set<Digest>();
  #headCheckpointId: string;
  #executed = new ExecutedRequests();

  // batch layer
  readonly #requests: RequestStore;
  #batchStore: Request[] = [];
  #batchStoreBytes = 0;
  /** Transactions the batch store's requests will execute as (ReplicaEnvironment.transactionsIn). */
  #batchStoreTransactions = 0;
  #counter = 0;
  #counterReserved = 0;

  // rate limits and repair
  readonly #statusAnsweredAt = new Map<ReplicaId, number>();
  /** The latest (lastExec, head) each replica reported in a status. */
  readonly #statusSeen = new Map<ReplicaId, { lastExec: number; headId: string }>();
  readonly #relayedAt = new Map<ReplicaId, number>();
  #fetchAnswersThisTick = 0;
  #lastExecAtSweep = -1;
  readonly #random: { s: number };

  // output
  #persist = new Map<string, Uint8Array | null>();
  #messages: Outbound[] = [];
  #execute: ExecuteBatch | null = null;
  #stateTransferOut: StateTransferTarget | null = null;
  #stateValidOut: boolean | null = null;
  #notes: Note[] = [];
  #notesDropped = 0;
  #viewDirty = false;
  #pqDirty = false;
  #hDirty = false;
  readonly #drops = new Map<string, number>();

  private constructor(options: ReplicaOptions, env: ReplicaEnvironment, head: HeadState) {
    validateReplicaOptions(options);
    this.#o = options;
    this.#env = env;
    this.id = options.id;
    this.n = options.n;
    this.f = options.f;
    this.K = options.K;
    this.L = options.K * options.logMultiplier;
    this.#q = quorums(options.n, options.f);
    this.#batchesMax = 3 * this.L + 4 * options.n + 64;
    this.#lastNewViewTimeout = options.viewChangeTimeoutTicks;
    this.#nextStatusAt = options.statusIntervalTicks;
    this.#headCheckpointId = head.checkpointId;
    this.#random = { s: options.byzantineSeed | 0 };
    this.#requests = new RequestStore({ perOriginMax: options.outstandingPerOriginMax, bytesPerOriginMax: options.outstandingBytesPerOriginMax });
    this.#chkpts.set(0, GENESIS_CHECKPOINT_ID);
  }

  /**
   * A replica from what it persisted (an empty map for a new one) and the ledger head. The head's
   * metadata gives the last executed seqNo and the executed-request record, as Fabric recovers
   * lastExec from the head block.
   */
  static restore(options: ReplicaOptions, env: ReplicaEnvironment, persisted: ReadonlyMap<string, Uint8Array>, head: HeadState): PbftReplica {
    const replica = new PbftReplica(options, env, head);
    replica.#restore(persisted, head);
    replica.#checkInvariants();
    return replica;
  }

  // ===========================================================================================
  // inputs

  /**
   * What the transport knows about a replica's connection. A hint only: it never changes what
   * is agreed, only whether a request timeout first waits a grace period before blaming the
   * primary (it does not when the primary is unreachable).
   */
  setReachable(replica: ReplicaId, reachable: boolean): void {
    if (!Number.isSafeInteger(replica) || replica < 0 || replica >= this.n || replica === this.id) return;
    const firstReport = !this.#reachabilityReported.has(replica);
    this.#reachabilityReported.add(replica);
    if (!reachable) {
      this.#unreachable.add(replica);
      return;
    }
    const returned = this.#unreachable.delete(replica);
    // A (re)connected replica may have missed the last requests of a quiet network, or a view
    // change, and nothing else would tell either side; our status makes the one behind ask.
    if (returned || firstReport) this.#send(replica, this.#status());
  }

  /** Advances logical time by one tick and fires due timers. */
  tick(): void {
    this.#now++;
    this.#fetchAnswersThisTick = 0;
    if (this.#progressTimer !== null && this.#now >= this.#progressTimer.deadline) {
      const timer = this.#progressTimer;
      this.#progressTimer = null;
      this.#onProgressTimeout(timer.kind, timer.reason);
    }
    if (this.#vcResendAt !== null && this.#now >= this.#vcResendAt) {
      this.#vcResendAt = null;
      if (!this.#activeView) {
        this.#note('info', `no new-view for view ${this.#view} yet, re-sending view-change`);
        this.#sendViewChange(true);
      }
    }
    if (this.#nullRequestAt !== null && this.#now >= this.#nullRequestAt) {
      this.#nullRequestAt = null;
      this.#onNullRequestTimer();
    }
    if (this.#batchTimerAt !== null && this.#now >= this.#batchTimerAt) {
      this.#batchTimerAt = null;
      this.#onBatchTimer();
    }
    if (this.#stateTransferRetryAt !== null && this.#now >= this.#stateTransferRetryAt) {
      this.#stateTransferRetryAt = null;
      if (this.#skipInProgress) this.#retryStateTransfer(null);
    }
    if (this.#now >= this.#nextStatusAt) {
      this.#nextStatusAt = this.#now + this.#o.statusIntervalTicks;
      this.#statusSweep();
    }
    // An idle replica (as at start-up) arms the null request timer too.
    if (this.#o.nullRequestTimeoutTicks > 0 && this.#nullRequestAt === null && this.#progressTimer === null) this.#startTimerIfOutstandingRequests();
    this.#checkInvariants();
  }

  /** A message from replica `from`, as authenticated by the transport. */
  step(from: ReplicaId, message: PbftMessage): void {
    if (!Number.isSafeInteger(from) || from < 0 || from >= this.n) return this.#drop('sender is not a replica', 'warning', `from ${from}`);
    if (from === this.id) return this.#drop('message from self', 'warning');
    const claimed = message.type === 'request' || message.type === 'new-view' ? from : message.replicaId;
    if (claimed !== from) return this.#drop('sender id differs from the replica id in the message', 'warning', `${message.type} from ${from} claims ${claimed}`);
    switch (message.type) {
      case 'request':
        this.#onRequestMessage(message.request, from);
        break;
      case 'pre-prepare':
        this.#onPrePrepare(message);
        break;
      case 'prepare':
        this.#onPrepare(message);
        break;
      case 'commit':
        this.#onCommit(message);
        break;
      case 'checkpoint':
        this.#onCheckpoint(message);
        break;
      case 'view-change':
        this.#onViewChange(message, false);
        break;
      case 'new-view':
        this.#onNewView(message);
        break;
      case 'fetch-request-batch':
        this.#onFetchRequestBatch(message);
        break;
      case 'return-request-batch':
        this.#onReturnRequestBatch(message);
        break;
      case 'status':
        this.#onStatus(message);
        break;
    }
    this.#checkInvariants();
  }

  /** Why a request of this many bytes from this replica would be refused now, or null. */
  requestRefusal(bytes: number): string | null {
    if (bytes > REQUEST_PAYLOAD_BYTES_MAX) return `transaction of ${bytes} bytes exceeds ${REQUEST_PAYLOAD_BYTES_MAX} bytes`;
    if (!this.#requests.hasRoom(this.id, bytes)) return `too many outstanding transactions from this peer (${this.#o.outstandingPerOriginMax}); try again later`;
    return null;
  }

  /** A client transaction (or bundle of them) received by this replica: it becomes a request this replica originates. */
  request(payload: Uint8Array): RequestResult {
    if (payload.length === 0) return { ok: false, error: 'empty transaction' };
    const refusal = this.requestRefusal(payload.length);
    if (refusal !== null) return { ok: false, error: refusal };
    this.#counter++;
    if (this.#counter > this.#counterReserved) {
      // Persisted before the request is broadcast (persist precedes send), so a restart never reuses a counter.
      this.#counterReserved = this.#counter + REQUEST_COUNTER_RESERVATION - 1;
      this.#persist.set(PERSIST_KEYS.counter, encodeUint(this.#counterReserved));
    }
    const unsigned = { origin: this.id, counter: this.#counter, payload };
    const request: Request = { ...unsigned, signature: this.#env.signer.sign(encodeRequestForSigning(unsigned)) };
    const added = this.#requests.add(request, this.#now, true);
    assert(added === 'added', `own request ${requestKey(request)} not added: ${added}`);
    this.#broadcast({ type: 'request', request });
    this.#startTimerIfOutstandingRequests();
    this.#proposeIfPrimary();
    this.#checkInvariants();
    return { ok: true, origin: this.id, counter: this.#counter };
  }

  /** The batch at seqNo is executed and its block durable; checkpointId is the new head's. */
  executed(seqNo: number, checkpointId: string): void {
    const executing = this.#executing;
    if (executing === null || executing.seqNo !== seqNo) {
      throw new Error(`executed(${seqNo}) but the replica is executing ${executing === null ? 'nothing' : executing.seqNo}`);
    }
    assert(checkpointId.length > 0, 'executed() needs the checkpoint id of the new head');
    this.#lastExec = seqNo;
    this.#currentExec = null;
    this.#executing = null;
    this.#executed = executing.after;
    this.#headCheckpointId = checkpointId;
    for (const key of executing.keys) this.#requests.remove(key);
    this.#persist.set(PERSIST_KEYS.lastExec, encodeLastExec(seqNo, checkpointId));
    this.#afterExecution();
    this.#checkInvariants();
  }

  /** State transfer reached the requested target; head is the ledger's new head. */
  stateTransferred(head: HeadState): void {
    const target = this.#transferTarget;
    if (!this.#stateTransferring || target === null) throw new Error('stateTransferred() without a state transfer in progress');
    this.#stateTransferring = false;
    this.#transferTarget = null;
    let metadataSeqNo: number;
    let executed: ExecutedRequests;
    try {
      const metadata = decodeMetadata(head.consensusMetadata);
      metadataSeqNo = metadata.seqNo;
      executed = ExecutedRequests.from(metadata.executed);
    } catch (error) {
      this.#note('error', `state transfer ended on a head with unreadable metadata: ${(error as Error).message}`);
      return this.#stateTransferFailedNow();
    }
    if (head.checkpointId !== target.checkpointId || metadataSeqNo > target.seqNo) {
      this.#note('error', `state transfer to seqNo ${target.seqNo} ended on a different head (metadata seqNo ${metadataSeqNo})`);
      return this.#stateTransferFailedNow();
    }
    this.#completeStateTransfer(target, head.checkpointId, executed);
    this.#checkInvariants();
  }

  /** State transfer could not reach the target; it is retried later. */
  stateTransferFailed(): void {
    if (!this.#stateTransferring) throw new Error('stateTransferFailed() without a state transfer in progress');
    this.#stateTransferring = false;
    this.#transferTarget = null;
    this.#stateTransferFailedNow();
    this.#checkInvariants();
  }

  hasReady(): boolean {
    return (
      this.#persist.size > 0 ||
      this.#messages.length > 0 ||
      this.#execute !== null ||
      this.#stateTransferOut !== null ||
      this.#stateValidOut !== null ||
      this.#notes.length > 0 ||
      this.#viewDirty ||
      this.#pqDirty ||
      this.#hDirty
    );
  }

  /** Drains everything the driver must do now (ready.ts gives the order). */
  ready(): Ready {
    if (this.#viewDirty) this.#persist.set(PERSIST_KEYS.view, encodeViewRecord(this.#view, this.#activeView));
    if (this.#hDirty) this.#persist.set(PERSIST_KEYS.h, encodeUint(this.#h));
    if (this.#pqDirty) {
      this.#persist.set(PERSIST_KEYS.pset, encodePQ([...this.#calcPSet().values()].sort((a, b) => a.seqNo - b.seqNo)));
      this.#persist.set(PERSIST_KEYS.qset, encodePQ(sortPQ([...this.#calcQSet().values()])));
    }
    const ready: Ready = {
      persist: this.#persist,
      messages: this.#messages,
      execute: this.#execute,
      stateTransfer: this.#stateTransferOut,
      stateValid: this.#stateValidOut,
      soft: this.#softState(),
      notes: this.#notes,
      notesDropped: this.#notesDropped,
    };
    this.#persist = new Map();
    this.#messages = [];
    this.#execute = null;
    this.#stateTransferOut = null;
    this.#stateValidOut = null;
    this.#notes = [];
    this.#notesDropped = 0;
    this.#viewDirty = false;
    this.#pqDirty = false;
    this.#hDirty = false;
    return ready;
  }

  status(): ReplicaStatus {
    return {
      ...this.#softState(),
      id: this.id,
      n: this.n,
      f: this.f,
      seqNo: this.#seqNo,
      H: this.#h + this.L,
      executing: this.#currentExec,
      stateTransferring: this.#stateTransferring,
      outstandingRequests: this.#requests.size,
      pendingRequests: this.#requests.pendingCount,
      batchStore: this.#batchStore.length,
      certificates: this.#certs.size,
      requestBatches: this.#batches.size,
      missingBatches: this.#missingBatches.size,
      drops: Object.fromEntries(this.#drops),
      newViewsAccepted: this.#newViewsAccepted,
    };
  }

  /** The primary of a view. */
  primary(view: number): ReplicaId {
    return view % this.n;
  }

  // ===========================================================================================
  // restore

  #restore(persisted: ReadonlyMap<string, Uint8Array>, head: HeadState): void {
    const metadata = decodeMetadata(head.consensusMetadata);
    const state = readPersisted(persisted, this.#env.digest);
    for (const problem of state.problems) this.#note('error', problem);
    this.#lastExec = metadata.seqNo;
    this.#executed = ExecutedRequests.from(metadata.executed);
    // Null requests advance lastExec without a block; trust the record only on the same head.
    if (state.lastExec !== null && state.lastExec.checkpointId === head.checkpointId) this.#lastExec = Math.max(this.#lastExec, state.lastExec.seqNo);
    this.#view = state.view;
    this.#activeView = state.activeView;
    this.#h = state.h;
    assert(this.#h % this.K === 0, `persisted low watermark ${this.#h} is not a multiple of K`);
    this.#counter = Math.max(state.counterReserved, this.#executed.highest(this.id));
    this.#counterReserved = this.#counter;
    if (this.#h > 0) this.#chkpts.delete(0);
    for (const [seqNo, id] of state.checkpoints) if (seqNo >= this.#h && seqNo % this.K === 0) this.#chkpts.set(seqNo, id);
    for (const [digest, batch] of state.batches) this.#batches.set(digest, batch);
    this.#restorePQ(state.pset, state.qset);
    this.#seqNo = Math.max(this.#seqNo, this.#lastExec, this.#h);
    if (this.#lastExec < this.#h) {
      // It had fallen behind and was transferring state when it stopped.
      this.#skipInProgress = true;
      this.#stateValidOut = false;
    }
    if (!this.#activeView) this.#vcResendAt = this.#now + 1;
    this.#updateViewChangeSeqNo();
    this.#pruneBatches();
    this.#note('info', `restored: view ${this.#view}${this.#activeView ? '' : ' (in view change)'}, h ${this.#h}, lastExec ${this.#lastExec}`);
  }

  /** Current-view entries become certificates (so this replica never prepares anything else for them); older ones stay P/Q entries. */
  #restorePQ(pset: readonly PQEntry[], qset: readonly PQEntry[]): void {
    for (const q of qset) {
      if (q.seqNo <= this.#h || q.seqNo > this.#h + this.L || q.view > this.#view) continue;
      if (q.view < this.#view) {
        this.#qset.set(qKey(q.seqNo, q.digest), q);
        continue;
      }
      const cert = this.#getCert(q.view, q.seqNo);
      cert.digest = q.digest;
      cert.prePrepare = { type: 'pre-prepare', view: q.view, seqNo: q.seqNo, digest: q.digest, batch: this.#batches.get(q.digest) ?? null, replicaId: this.primary(q.view) };
      this.#seqNo = Math.max(this.#seqNo, q.seqNo);
      if (this.primary(q.view) !== this.id) {
        cert.sentPrepare = true;
        cert.prepares.set(this.id, q.digest);
        // It may not have left before the crash; a duplicate is harmless.
        this.#broadcast({ type: 'prepare', view: q.view, seqNo: q.seqNo, digest: q.digest, replicaId: this.id });
      }
    }
    for (const p of pset) {
      if (p.seqNo <= this.#h || p.seqNo > this.#h + this.L || p.view > this.#view) continue;
      if (p.view < this.#view) {
        this.#pset.set(p.seqNo, p);
        continue;
      }
      const cert = this.#certs.get(certKey(p.view, p.seqNo));
      if (cert === undefined || cert.digest !== p.digest) continue;
      cert.prepared = true;
      cert.sentCommit = true;
      cert.commits.set(this.id, p.digest);
      this.#broadcast({ type: 'commit', view: p.view, seqNo: p.seqNo, digest: p.digest, replicaId: this.id });
    }
  }

  // ===========================================================================================
  // requests and batching (batch.go)

  #onRequestMessage(request: Request, from: ReplicaId): void {
    const key = requestKey(request);
    if (request.origin >= this.n) return this.#drop('request from an unknown origin', 'warning', key);
    if (this.#executed.has(request.origin, request.counter)) return this.#drop('request already executed', 'debug', key);
    if (this.#requests.has(key)) return this.#drop('request already known', 'debug', key);
    // Straight from its origin, the transport has authenticated it: its signature is checked only
    // if this replica proposes it as primary (#proposeIfPrimary), for replicas that see it second-hand.
    const direct = from === request.origin;
    const defect = this.#requestDefect(request, new Set(), direct);
    if (defect !== null) return this.#drop(defect, 'warning', key);
    const added = this.#requests.add(request, this.#now, !direct);
    if (added !== 'added') return this.#drop('outstanding requests of this origin are at their limit', 'warning', key);
    this.#startTimerIfOutstandingRequests();
    this.#proposeIfPrimary();
  }

  /** Why a request is unacceptable (size, duplicate in its batch, signature unless `fromOrigin`), or null. */
  #requestDefect(request: Request, seen: Set<string>, fromOrigin = false): string | null {
    const key = requestKey(request);
    if (request.origin >= this.n) return `request ${key} from an unknown origin`;
    if (request.payload.length === 0 || request.payload.length > REQUEST_PAYLOAD_BYTES_MAX) return `request ${key} payload of ${request.payload.length} bytes`;
    if (seen.has(key)) return `request ${key} twice in one batch`;
    seen.add(key);
    const known = this.#requests.get(key)?.request;
    // A request already verified need not be verified again (the common case: it was broadcast first).
    if (known !== undefined && bytesEqual(known.payload, request.payload) && bytesEqual(known.signature, request.signature)) return null;
    if (fromOrigin) return null;
    if (!this.#requestSignatureValid(request)) {
      return `request ${key} has a bad signature`;
    }
    return null;
  }

  /** Checks the signatures of waiting requests stored unchecked; drops the bad ones and answers how many. */
  #dropBadUnverifiedRequests(): number {
    let dropped = 0;
    for (const stored of this.#requests.waiting()) {
      if (stored.verified) continue;
      if (this.#requestSignatureValid(stored.request)) {
        stored.verified = true;
        continue;
      }
      this.#requests.remove(stored.key);
      this.#drop(`request ${stored.key} has a bad signature`, 'warning', stored.key);
      dropped++;
    }
    return dropped;
  }

  #requestSignatureValid(request: Request): boolean {
    return this.#env.signer.verify(peerIdOf(request.origin), encodeRequestForSigning(request), request.signature);
  }

  /** The primary fills its batch from waiting requests and sends pre-prepares while the window allows. */
  #proposeIfPrimary(): void {
    if (this.primary(this.#view) !== this.id || !this.#activeView || this.#skipInProgress) return;
    for (let round = 0; round <= this.L; round++) {
      // Deleting the visited entry while iterating a Map is safe; no copy of a long queue.
      for (const stored of this.#requests.waiting()) {
        if (this.#batchStore.length >= this.#o.batchSize) break;
        if (!stored.verified) {
          // Backups that did not get it from its origin will check the signature: a bad one would
          // make them refuse the whole batch, so it is dropped here instead.
          if (!this.#requestSignatureValid(stored.request)) {
            this.#requests.remove(stored.key);
            this.#drop(`request ${stored.key} has a bad signature`, 'warning', stored.key);
            continue;
          }
          stored.verified = true;
        }
        const bytes = encodedRequestBytes(stored.request);
        if (this.#batchStore.length > 0 && this.#batchStoreBytes + bytes > this.#o.batchBytesMax) break;
        const transactions = this.#transactionsIn(stored.request.payload);
        if (this.#batchStore.length > 0 && this.#batchStoreTransactions + transactions > BATCH_TRANSACTIONS_MAX) break;
        this.#batchStore.push(stored.request);
        this.#batchStoreBytes += bytes;
        this.#batchStoreTransactions += transactions;
        this.#requests.markPending(stored.key);
      }
      if (this.#batchStore.length === 0) {
        this.#batchTimerAt = null;
        return;
      }
      // batchWhenIdle: also cut at once while fewer than BATCHES_IN_FLIGHT_WHEN_IDLE batches are
      // pre-prepared and not yet executed. Under load batches still fill while earlier ones are
      // ordered, but a request to an idle network, or waiting when a new view starts, is not held
      // for the batch timeout; and one batch is ordered while the one before it executes.
      const idle = this.#o.batchWhenIdle === true && this.#seqNo - this.#lastExec < BATCHES_IN_FLIGHT_WHEN_IDLE;
      const full = this.#batchStore.length >= this.#o.batchSize || this.#requests.waitingCount > 0 || idle;
      if (full && this.#canPrePrepare()) {
        this.#sendBatch();
        continue;
      }
      if (this.#batchTimerAt === null && this.#canPrePrepare()) this.#batchTimerAt = this.#now + this.#o.batchTimeoutTicks;
      return;
    }
  }

  #onBatchTimer(): void {
    if (this.primary(this.#view) !== this.id || !this.#activeView || this.#batchStore.length === 0) return;
    if (!this.#canPrePrepare()) return;
    this.#note('debug', `batch timer expired, sending a batch of ${this.#batchStore.length}`);
    this.#sendBatch();
    this.#proposeIfPrimary();
  }

  #canPrePrepare(): boolean {
    const n = this.#seqNo + 1;
    // Fabric leaves the upper half of the window free: a primary ahead by more than L/2 waits for a checkpoint.
    return this.#activeView && n > this.#h && n <= this.#h + Math.floor(this.L / 2) && n <= this.#viewChangeSeqNo && !this.#skipInProgress;
  }

  #sendBatch(): void {
    const batch: RequestBatch = { requests: this.#batchStore };
    this.#batchStore = [];
    this.#batchStoreBytes = 0;
    this.#batchStoreTransactions = 0;
    this.#batchTimerAt = null;
    const encoded = encodeRequestBatch(batch);
    const digest = this.#env.digest(encoded);
    this.#storeBatch(digest, batch, encoded);
    this.#sendPrePrepare(batch, digest);
  }

  #sendPrePrepare(batch: RequestBatch | null, digest: Digest): void {
    assert(this.#canPrePrepare(), 'pre-prepare outside what the primary may send');
    const n = this.#seqNo + 1;
    for (const cert of this.#certs.values()) {
      if (digest !== '' && cert.view === this.#view && cert.digest === digest) {
        this.#note('warning', `batch ${digest} is already pre-prepared at seqNo ${cert.seqNo}; not sending it again`);
        return;
      }
    }
    this.#seqNo = n;
    const prePrepare: PrePrepare = { type: 'pre-prepare', view: this.#view, seqNo: n, digest, batch, replicaId: this.id };
    const cert = this.#getCert(this.#view, n);
    cert.prePrepare = prePrepare;
    cert.digest = digest;
    this.#pqDirty = true;
    this.#nullRequestAt = null;
    this.#broadcast(prePrepare);
    this.#startTimerIfOutstandingRequests();
    this.#maybeSendCommit(cert);
  }

  #onProgressTimeout(kind: 'request' | 'new-view', reason: string): void {
    if (kind === 'request' && this.#activeView) {
      // A request taken unchecked from its origin may carry a bad signature, which a correct primary
      // drops instead of ordering it: no reason to blame the primary once such requests are gone.
      if (this.#dropBadUnverifiedRequests() > 0 && this.#requests.waitingCount === 0 && !this.#hasUncommittedPrePrepare()) {
        this.#startTimerIfOutstandingRequests();
        return;
      }
      const target = this.#highStateTarget;
      if (target !== null && target.seqNo > this.#lastExec) {
        // f+1 replicas executed past us: the delay is ours, not the primary's.
        this.#note('info', `request timer expired while behind checkpoint ${target.seqNo}; catching up instead of changing view`);
        this.#stateTransfer(target);
        return;
      }
      // The grace is for a replica that may itself be behind; a primary whose connection is
      // gone is not slow, and waiting on it only lengthens the view change.
      if (!this.#requestGraceUsed && !this.#unreachable.has(this.primary(this.#view))) {
        this.#requestGraceUsed = true;
        this.#note('info', `request timer expired (${reason}); asking peers for what this replica lacks before blaming the primary`);
        this.#sendStatus();
        this.#startTimer('request', this.#o.statusIntervalTicks, reason);
        return;
      }
    }
    this.#note('warning', `view change timer expired (${reason}), sending view-change`);
    this.#sendViewChange();
  }

  #onNullRequestTimer(): void {
    if (!this.#activeView) return;
    if (this.primary(this.#view) === this.id) {
      if (!this.#canPrePrepare()) return;
      this.#note('info', 'null request timer expired, sending a null request');
      this.#sendPrePrepare(null, '');
    } else {
      this.#note('warning', 'null request timer expired without a null request from the primary, sending view-change');
      this.#sendViewChange();
    }
  }

  // ===========================================================================================
  // normal case: pre-prepare, prepare, commit (pbft-core.go)

  #onPrePrepare(pp: PrePrepare): void {
    if (!this.#activeView) return this.#drop('pre-prepare during a view change', 'debug');
    if (pp.replicaId !== this.primary(this.#view)) return this.#drop('pre-prepare from a replica that is not the primary', 'warning');
    if (pp.view !== this.#view) return this.#drop('pre-prepare for another view', 'debug', `view ${pp.view}, in view ${this.#view}`);
    if (!this.#inW(pp.seqNo)) return this.#drop('pre-prepare outside the watermarks', pp.seqNo === this.#h ? 'debug' : 'warning', `seqNo ${pp.seqNo}`);
    if (pp.seqNo > this.#viewChangeSeqNo) {
      this.#note('info', `pre-prepare for seqNo ${pp.seqNo} should come from the next primary, sending view-change`);
      return this.#sendViewChange();
    }
    const defect = this.#prePrepareDefect(pp);
    if (defect !== null) return this.#drop(defect, 'warning', `seqNo ${pp.seqNo}`);
    const cert = this.#getCert(pp.view, pp.seqNo);
    if (cert.digest !== null && cert.digest !== pp.digest) {
      this.#note('warning', `primary sent two pre-prepares for view ${pp.view} seqNo ${pp.seqNo}, sending view-change`);
      return this.#sendViewChange();
    }
    if (cert.prePrepare !== null && (pp.digest === '' || this.#batches.has(pp.digest))) return this.#drop('duplicate pre-prepare', 'debug');
    for (const other of this.#certs.values()) {
      if (pp.digest !== '' && other !== cert && other.view === pp.view && other.digest === pp.digest) {
        return this.#drop('pre-prepare repeats a batch already at another seqNo', 'warning', `seqNo ${pp.seqNo} and ${other.seqNo}`);
      }
    }
    cert.prePrepare = pp;
    cert.digest = pp.digest;
    if (pp.batch !== null) {
      this.#storeBatch(pp.digest, pp.batch, null);
      if (pp.seqNo > this.#lastExec) for (const r of pp.batch.requests) this.#requests.markPending(requestKey(r));
    }
    this.#softStartTimer(this.#o.requestTimeoutTicks, `pre-prepare for seqNo ${pp.seqNo}`);
    this.#nullRequestAt = null;
    this.#pqDirty = true;
    if (this.primary(this.#view) !== this.id && !cert.sentPrepare) {
      const prepare: Prepare = { type: 'prepare', view: pp.view, seqNo: pp.seqNo, digest: pp.digest, replicaId: this.id };
      cert.sentPrepare = true;
      this.#onPrepare(prepare);
      this.#broadcast(prepare);
    }
    this.#executeOutstanding();
  }

  #prePrepareDefect(pp: PrePrepare): string | null {
    if (pp.digest === '') return pp.batch === null ? null : 'null request carries a batch';
    if (pp.batch === null) return 'pre-prepare without its batch';
    if (pp.batch.requests.length === 0) return 'pre-prepare with an empty batch';
    if (pp.batch.requests.length > this.#o.batchSize) return `batch of ${pp.batch.requests.length} requests exceeds batchsize ${this.#o.batchSize}`;
    const encoded = encodeRequestBatch(pp.batch);
    if (encoded.length > this.#o.batchBytesMax) return `batch of ${encoded.length} bytes exceeds ${this.#o.batchBytesMax}`;
    if (this.#env.digest(encoded) !== pp.digest) return 'pre-prepare digest does not match its batch';
    let transactions = 0;
    for (const request of pp.batch.requests) transactions += this.#transactionsIn(request.payload);
    if (transactions > BATCH_TRANSACTIONS_MAX) return `batch of ${transactions} transactions exceeds ${BATCH_TRANSACTIONS_MAX}`;
    const seen = new Set<string>();
    for (const request of pp.batch.requests) {
      const defect = this.#requestDefect(request, seen);
      if (defect !== null) return defect;
    }
    return null;
  }

  #transactionsIn(payload: Uint8Array): number {
    return this.#env.transactionsIn?.(payload) ?? 1;
  }

  #onPrepare(p: Prepare): void {
    if (p.replicaId === this.primary(p.view)) return this.#drop('prepare from the primary', 'warning');
    if (p.view !== this.#view) return this.#drop('prepare for another view', 'debug', `view ${p.view}, in view ${this.#view}`);
    if (!this.#inW(p.seqNo)) return this.#drop('prepare outside the watermarks', 'debug', `seqNo ${p.seqNo}`);
    const cert = this.#getCert(p.view, p.seqNo);
    if (cert.prepares.has(p.replicaId)) return this.#drop('duplicate prepare', 'debug');
    cert.prepares.set(p.replicaId, p.digest);
    this.#maybeSendCommit(cert);
  }

  #isPrepared(cert: Cert): boolean {
    const digest = cert.digest;
    if (digest === null || cert.prePrepare === null) return false;
    if (digest !== '' && !this.#batches.has(digest)) return false;
    if (cert.prepared) return true;
    let count = 0;
    for (const d of cert.prepares.values()) if (d === digest) count++;
    return count >= this.#q.intersection - 1;
  }

  #maybeSendCommit(cert: Cert): void {
    if (cert.sentCommit || !this.#isPrepared(cert)) return;
    const digest = cert.digest as Digest;
    cert.prepared = true;
    cert.sentCommit = true;
    this.#pqDirty = true;
    const commit: Commit = { type: 'commit', view: cert.view, seqNo: cert.seqNo, digest, replicaId: this.id };
    this.#onCommit(commit);
    this.#broadcast(commit);
  }

  #onCommit(c: Commit): void {
    if (c.view > this.#view) return this.#drop('commit for a future view', 'debug', `view ${c.view}, in view ${this.#view}`);
    if (!this.#inW(c.seqNo)) return this.#drop('commit outside the watermarks', 'debug', `seqNo ${c.seqNo}`);
    if (c.view < this.#view) {
      // Learning only: a quorum of commits proves the outcome whatever our view, and executing it
      // sends nothing, so it keeps the promise of our view-change. It lets a replica that changed
      // view alone still follow the others.
      if (c.seqNo <= this.#lastExec) return this.#drop('commit for an old view', 'debug', `view ${c.view}, in view ${this.#view}`);
      const known = this.#certs.has(certKey(c.view, c.seqNo));
      if (!known && this.#oldViewCerts() >= this.L) return this.#drop('commit for an old view (too many to follow)', 'debug');
    }
    const cert = this.#getCert(c.view, c.seqNo);
    if (cert.commits.has(c.replicaId)) return this.#drop('duplicate commit', 'debug');
    cert.commits.set(c.replicaId, c.digest);
    if (cert.committedDigest !== null) return;
    let count = 0;
    for (const d of cert.commits.values()) if (d === c.digest) count++;
    if (count < this.#q.intersection) return;
    cert.committedDigest = c.digest;
    if (cert.digest !== null && cert.digest !== c.digest) {
      this.#note('warning', `seqNo ${c.seqNo} committed with digest ${c.digest}, not the one pre-prepared here`);
    }
    if (cert.view !== this.#view) {
      this.#pruneOldCerts(this.#view);
      return this.#executeOutstanding();
    }
    this.#stopTimer();
    this.#requestGraceUsed = false;
    this.#lastNewViewTimeout = this.#o.viewChangeTimeoutTicks;
    this.#executeOutstanding();
    if (c.seqNo === this.#viewChangeSeqNo) {
      this.#note('info', `cycling the view at seqNo ${c.seqNo} (viewchangeperiod)`);
      this.#sendViewChange();
    }
  }

  // ===========================================================================================
  // execution

  /** At most one old-view certificate per seqNo (committed first, then the latest view), so certificates stay within 2L. */
  #pruneOldCerts(view: number): void {
    const best = new Map<number, Cert>();
    for (const cert of this.#certs.values()) {
      if (cert.view >= view) continue;
      const other = best.get(cert.seqNo);
      const better = other === undefined || (cert.committedDigest !== null) > (other.committedDigest !== null) || ((cert.committedDigest !== null) === (other.committedDigest !== null) && cert.view > other.view);
      if (better) best.set(cert.seqNo, cert);
    }
    for (const [key, cert] of this.#certs) if (cert.view < view && best.get(cert.seqNo) !== cert) this.#certs.delete(key);
  }

  #oldViewCerts(): number {
    let count = 0;
    for (const cert of this.#certs.values()) if (cert.view < this.#view) count++;
    return count;
  }

  #committedCertAt(seqNo: number): Cert | undefined {
    for (const cert of this.#certs.values()) if (cert.seqNo === seqNo && cert.committedDigest !== null) return cert;
    return undefined;
  }

  /** Executes committed seqNos in order, one batch at a time; null requests complete at once. */
  #executeOutstanding(): void {
    for (let guard = 0; guard <= this.L; guard++) {
      if (this.#currentExec !== null || this.#skipInProgress || this.#lastExec < this.#h) break;
      const n = this.#lastExec + 1;
      const cert = this.#committedCertAt(n);
      if (cert === undefined) break;
      const digest = cert.committedDigest as Digest;
      if (digest === '') {
        this.#note('debug', `executing null request at seqNo ${n}`);
        this.#lastExec = n;
        this.#persist.set(PERSIST_KEYS.lastExec, encodeLastExec(n, this.#headCheckpointId));
        if (n % this.K === 0) this.#takeCheckpoint(n, this.#headCheckpointId);
        continue;
      }
      const batch = this.#batches.get(digest);
      if (batch === undefined) {
        this.#requestMissingBatch(digest, [...cert.commits.keys()]);
        break;
      }
      this.#startExecution(n, cert.view, digest, batch);
      break;
    }
    this.#startTimerIfOutstandingRequests();
  }

  #startExecution(seqNo: number, view: number, digest: Digest, batch: RequestBatch): void {
    const after = this.#executed.clone();
    const requests: Request[] = [];
    for (const request of batch.requests) {
      if (after.has(request.origin, request.counter)) continue; // already executed: never twice
      after.add(request.origin, request.counter);
      requests.push(request);
    }
    if (requests.length < batch.requests.length) this.#note('info', `seqNo ${seqNo}: ${batch.requests.length - requests.length} already executed request(s) left out`);
    this.#currentExec = seqNo;
    this.#executing = { seqNo, digest, keys: batch.requests.map(requestKey), after };
    this.#execute = {
      seqNo,
      view,
      digest,
      requests,
      transactions: requests.map((r) => r.payload),
      consensusMetadata: encodeMetadata({ seqNo, executed: after.marks() }),
    };
  }

  #afterExecution(): void {
    const n = this.#lastExec;
    if (n % this.K === 0) this.#takeCheckpoint(n, this.#headCheckpointId);
    this.#executeOutstanding();
    if (this.#skipInProgress) this.#retryStateTransfer(null);
    this.#processNewView();
    this.#proposeIfPrimary();
    this.#startTimerIfOutstandingRequests();
  }

  #startTimerIfOutstandingRequests(): void {
    if (this.#skipInProgress || this.#currentExec !== null || !this.#activeView) return;
    if (this.#requests.waitingCount > 0 || this.#hasUncommittedPrePrepare()) {
      this.#softStartTimer(this.#o.requestTimeoutTicks, 'outstanding requests');
    } else if (this.#o.nullRequestTimeoutTicks > 0 && this.#nullRequestAt === null) {
      const wait = this.#o.nullRequestTimeoutTicks + (this.primary(this.#view) === this.id ? 0 : this.#o.requestTimeoutTicks);
      this.#nullRequestAt = this.#now + wait;
    }
  }

  #hasUncommittedPrePrepare(): boolean {
    for (const cert of this.#certs.values()) {
      if (cert.view === this.#view && cert.prePrepare !== null && cert.committedDigest === null && cert.seqNo > this.#lastExec) return true;
    }
    return false;
  }

  // ===========================================================================================
  // checkpoints, watermarks, falling behind

  #takeCheckpoint(seqNo: number, id: string): void {
    assert(seqNo % this.K === 0, `checkpoint at ${seqNo}, not a multiple of K`);
    if (seqNo < this.#h) return this.#note('debug', `not taking checkpoint ${seqNo} below the low watermark ${this.#h}`);
    this.#chkpts.set(seqNo, id);
    this.#persist.set(PERSIST_KEYS.checkpointPrefix + seqNo, encodeText(id));
    const checkpoint: Checkpoint = { type: 'checkpoint', seqNo, id, replicaId: this.id };
    this.#onCheckpoint(checkpoint);
    this.#broadcast(checkpoint);
  }

  #onCheckpoint(c: Checkpoint): void {
    if (c.seqNo === 0 || c.seqNo % this.K !== 0) return this.#drop('checkpoint seqNo is not a positive multiple of K', 'warning', `seqNo ${c.seqNo}`);
    if (this.#weakCheckpointSetOutOfRange(c)) return;
    if (!this.#inW(c.seqNo)) return this.#drop('checkpoint outside the watermarks', c.seqNo === this.#h || this.#skipInProgress ? 'debug' : 'warning', `seqNo ${c.seqNo}`);
    let store = this.#checkpointStore.get(c.seqNo);
    if (store === undefined) {
      store = new Map();
      this.#checkpointStore.set(c.seqNo, store);
    }
    const previous = store.get(c.replicaId);
    if (previous !== undefined) return this.#drop(previous === c.id ? 'duplicate checkpoint' : 'second, different checkpoint from one replica', previous === c.id ? 'debug' : 'warning');
    store.set(c.replicaId, c.id);
    const matching = [...store.entries()].filter(([, id]) => id === c.id).map(([replica]) => replica);
    if (matching.length === this.#q.weak) this.#witnessCheckpointWeakCert(c, matching);
    if (matching.length < this.#q.intersection) return;
    const own = this.#chkpts.get(c.seqNo);
    if (own === undefined) {
      // A quorum got there first; normal for a slow replica, which executes on. While catching
      // up, follow the network if it is more than half a window ahead.
      if (this.#skipInProgress && c.seqNo >= this.#h + Math.floor(this.L / 2)) this.#moveWatermarks(c.seqNo);
      return;
    }
    if (own !== c.id) {
      this.#note('error', `checkpoint at seqNo ${c.seqNo} is ${own} here but ${c.id} at a quorum: execution is not deterministic`);
    }
    this.#moveWatermarks(c.seqNo);
    this.#processNewView();
  }

  /**
   * Fabric's falling-behind detection: f+1 replicas with checkpoints above the high watermark mean
   * this replica can never gather a quorum in its window again; it jumps and transfers state.
   */
  #weakCheckpointSetOutOfRange(c: Checkpoint): boolean {
    const H = this.#h + this.L;
    if (c.seqNo < H) {
      this.#hChkpts.delete(c.replicaId);
      return false;
    }
    this.#hChkpts.set(c.replicaId, c.seqNo);
    if (this.#hChkpts.size < this.#q.weak) return false;
    for (const [replica, seqNo] of this.#hChkpts) if (seqNo < H) this.#hChkpts.delete(replica);
    const above = [...this.#hChkpts.values()].sort((a, b) => a - b);
    const m = above[above.length - this.#q.weak];
    if (m === undefined || m <= H) return false;
    this.#note('warning', `out of date: f+1 replicas have checkpoints up to ${m}, above our high watermark ${H}; transferring state`);
    this.#enterSkip();
    this.#moveWatermarks(m);
    return true;
  }

  #witnessCheckpointWeakCert(c: Checkpoint, replicas: ReplicaId[]): void {
    const target: StateTransferTarget = { seqNo: c.seqNo, checkpointId: c.id, replicas: [...replicas].sort((a, b) => a - b) };
    this.#updateHighStateTarget(target);
    if (this.#skipInProgress) this.#retryStateTransfer(target);
  }

  #moveWatermarks(n: number): void {
    const h = Math.floor(n / this.K) * this.K;
    if (h <= this.#h) return;
    for (const [key, cert] of this.#certs) if (cert.seqNo <= h) this.#certs.delete(key);
    for (const seqNo of this.#checkpointStore.keys()) if (seqNo <= h) this.#checkpointStore.delete(seqNo);
    for (const seqNo of this.#pset.keys()) if (seqNo <= h) this.#pset.delete(seqNo);
    for (const [key, q] of this.#qset) if (q.seqNo <= h) this.#qset.delete(key);
    for (const seqNo of [...this.#chkpts.keys()]) {
      if (seqNo < h) {
        this.#chkpts.delete(seqNo);
        if (seqNo > 0) this.#persist.set(PERSIST_KEYS.checkpointPrefix + seqNo, null);
      }
    }
    this.#h = h;
    this.#missingBatches.clear();
    // A primary that fell behind continues numbering above the new window's floor.
    this.#seqNo = Math.max(this.#seqNo, h);
    this.#hDirty = true;
    this.#pqDirty = true;
    this.#note('debug', `low watermark moved to ${h}`);
    this.#pruneBatches();
    this.#proposeIfPrimary();
  }

  #enterSkip(): void {
    this.#missingBatches.clear();
    if (!this.#skipInProgress) {
      this.#skipInProgress = true;
      this.#stateValidOut = false;
    }
    // Catching up takes as long as it takes; only a new-view timer keeps running.
    if (this.#progressTimer?.kind === 'request') this.#stopTimer();
  }

  #updateHighStateTarget(target: StateTransferTarget): void {
    if (this.#highStateTarget !== null && this.#highStateTarget.seqNo >= target.seqNo) return;
    this.#highStateTarget = target;
  }

  #stateTransfer(target: StateTransferTarget | null): void {
    this.#enterSkip();
    this.#retryStateTransfer(target);
  }

  #retryStateTransfer(optional: StateTransferTarget | null): void {
    if (this.#currentExec !== null || this.#stateTransferring) return;
    const target = optional ?? this.#highStateTarget;
    if (target === null) return this.#note('debug', 'state transfer wanted, but no target known yet');
    if (target.seqNo <= this.#lastExec && this.#lastExec >= this.#h) {
      // Execution got there on its own.
      return this.#finishSkip();
    }
    this.#stateTransferring = true;
    this.#transferTarget = target;
    this.#stateTransferOut = target;
    this.#note('info', `state transfer to seqNo ${target.seqNo} from replicas ${target.replicas.join(',')}`);
  }

  #stateTransferFailedNow(): void {
    this.#note('warning', 'state transfer failed; retrying later');
    this.#stateTransferRetryAt = this.#now + STATE_TRANSFER_RETRY_TICKS;
  }

  #completeStateTransfer(target: StateTransferTarget, checkpointId: string, executed: ExecutedRequests): void {
    if (target.seqNo < this.#h) {
      this.#note('warning', `state transferred to seqNo ${target.seqNo}, but the low watermark moved to ${this.#h}`);
      if (this.#highStateTarget !== null && this.#highStateTarget.seqNo > target.seqNo) this.#retryStateTransfer(null);
      else this.#stateTransferRetryAt = this.#now + STATE_TRANSFER_RETRY_TICKS;
      return;
    }
    this.#note('info', `caught up by state transfer, lastExec now ${target.seqNo}`);
    this.#lastExec = target.seqNo;
    this.#executed = executed;
    this.#headCheckpointId = checkpointId;
    this.#counter = Math.max(this.#counter, executed.highest(this.id));
    if (this.#counter > this.#counterReserved) {
      this.#counterReserved = this.#counter;
      this.#persist.set(PERSIST_KEYS.counter, encodeUint(this.#counterReserved));
    }
    this.#persist.set(PERSIST_KEYS.lastExec, encodeLastExec(target.seqNo, checkpointId));
    for (const stored of [...this.#requests.all()]) {
      if (executed.has(stored.request.origin, stored.request.counter)) this.#requests.remove(stored.key);
    }
    this.#moveWatermarks(target.seqNo);
    if (target.seqNo % this.K === 0 && this.#chkpts.get(target.seqNo) === undefined) this.#takeCheckpoint(target.seqNo, checkpointId);
    this.#finishSkip();
  }

  #finishSkip(): void {
    this.#skipInProgress = false;
    this.#stateValidOut = true;
    this.#executeOutstanding();
    this.#processNewView();
    this.#proposeIfPrimary();
    this.#startTimerIfOutstandingRequests();
  }

  // ===========================================================================================
  // view change (viewchange.go)

  #calcPSet(): Map<number, PQEntry> {
    const pset = new Map(this.#pset);
    for (const cert of this.#certs.values()) {
      if (cert.prePrepare === null || cert.digest === null || !this.#isPrepared(cert)) continue;
      const existing = pset.get(cert.seqNo);
      if (existing !== undefined && existing.view > cert.view) continue;
      pset.set(cert.seqNo, { seqNo: cert.seqNo, digest: cert.digest, view: cert.view });
    }
    return pset;
  }

  #calcQSet(): Map<string, PQEntry> {
    const qset = new Map(this.#qset);
    for (const cert of this.#certs.values()) {
      if (cert.prePrepare === null || cert.digest === null) continue;
      if (cert.digest !== '' && !this.#batches.has(cert.digest)) continue;
      const key = qKey(cert.seqNo, cert.digest);
      const existing = qset.get(key);
      if (existing !== undefined && existing.view > cert.view) continue;
      qset.set(key, { seqNo: cert.seqNo, digest: cert.digest, view: cert.view });
    }
    // Bounded: per seqNo keep the digests of the latest views.
    const perSeqNo = new Map<number, PQEntry[]>();
    for (const q of qset.values()) perSeqNo.set(q.seqNo, [...(perSeqNo.get(q.seqNo) ?? []), q]);
    for (const list of perSeqNo.values()) {
      if (list.length <= QSET_DIGESTS_PER_SEQNO_MAX) continue;
      list.sort((a, b) => b.view - a.view);
      for (const q of list.slice(QSET_DIGESTS_PER_SEQNO_MAX)) qset.delete(qKey(q.seqNo, q.digest));
    }
    return qset;
  }

  /** Leaves the current view for `view`: P and Q sets keep what this replica prepared and pre-prepared. */
  #leaveView(view: number): void {
    assert(view > this.#view || (view === this.#view && !this.#activeView), `leaving view ${this.#view} for ${view}`);
    // As in Fabric, the new-view timer starts only when a quorum wants the view (#onViewChange):
    // a replica alone in a view change waits there rather than climbing views by itself.
    if (view > this.#view) this.#stopTimer();
    this.#pset = this.#calcPSet();
    this.#qset = this.#calcQSet();
    if (this.#newView !== null && this.#newView.view < view) this.#newView = null;
    this.#requestGraceUsed = false;
    this.#view = view;
    this.#activeView = false;
    const newView = view > this.#view;
    for (const [key, cert] of this.#certs) {
      // Committed certificates stay until executed: they need no further messages. Re-sending a
      // view-change (same view) keeps the old-view certificates being learned.
      const done = cert.committedDigest === null ? newView || cert.prePrepare !== null : cert.seqNo <= this.#lastExec;
      if (cert.view < view && done) this.#certs.delete(key);
    }
    this.#pruneOldCerts(view);
    for (const [key, vc] of this.#viewChanges) if (vc.view < view) this.#viewChanges.delete(key);
    this.#batchStore = [];
    this.#batchStoreBytes = 0;
    this.#batchStoreTransactions = 0;
    this.#batchTimerAt = null;
    this.#nullRequestAt = null;
    // No batch of the new view exists yet: every known request waits again (a new view re-marks).
    this.#requests.unmarkAllPending();
    // Fetches of the old view are moot; execution and the new-view ask again for what they still need.
    this.#missingBatches.clear();
    this.#viewDirty = true;
    this.#pqDirty = true;
  }

  /** Moves to the next view and says so; `resend` says it again for the current view (recomputed). */
  #sendViewChange(resend = false): void {
    this.#leaveView(resend ? this.#view : this.#view + 1);
    const vc = this.#buildViewChange(this.#view, this.#pset.values(), this.#qset.values());
    this.#note('info', `sending view-change for view ${vc.view}, h ${vc.h}, |C| ${vc.cset.length}, |P| ${vc.pset.length}, |Q| ${vc.qset.length}`);
    this.#broadcast(vc);
    this.#sentViewChanges.set(vc.view, vc);
    for (const view of this.#sentViewChanges.keys()) if (view < vc.view - SENT_VIEW_CHANGES_KEPT) this.#sentViewChanges.delete(view);
    this.#vcResendAt = this.#now + this.#o.resendViewChangeTicks;
    this.#onViewChange(vc, true);
  }

  #onViewChange(vc: ViewChange, own: boolean): void {
    if (!own) {
      const defect = viewChangeDefect(vc, this.K, this.L);
      if (defect !== null) return this.#drop('malformed view-change', 'warning', defect);
      if (!this.#verifyViewChange(vc)) return this.#drop('view-change with a bad signature', 'warning');
    }
    if (vc.view < this.#view || (vc.view === this.#view && this.#activeView)) {
      // The sender missed a new-view this replica has, or our view-change for its view: send them
      // again (retransmission, as PBFT's liveness assumes), so it can gather its quorum.
      this.#relayNewView(vc.replicaId);
      this.#retransmitViewChange(vc.replicaId, vc.view);
      return this.#drop('view-change for an old view', 'debug', `view ${vc.view}, in view ${this.#view}`);
    }
    const key = `${vc.view}:${vc.replicaId}`;
    if (this.#viewChanges.has(key) && !own) return this.#drop('view-change already received', 'debug');
    const fromSender = [...this.#viewChanges.values()].filter((v) => v.replicaId === vc.replicaId);
    if (!this.#viewChanges.has(key) && fromSender.length >= VIEW_CHANGES_PER_REPLICA_MAX) {
      // Keep the views nearest ours; a replica cannot make us hold its view-changes for ever higher views.
      const highest = fromSender.reduce((a, b) => (a.view > b.view ? a : b));
      if (highest.view < vc.view) return this.#drop('too many view-changes from one replica', 'debug');
      this.#viewChanges.delete(`${highest.view}:${highest.replicaId}`);
    }
    this.#viewChanges.set(key, vc);
    // TOCS 4.5.1: f+1 view-changes for higher views make a replica join the smallest of them.
    const lowestAbove = new Map<ReplicaId, number>();
    for (const v of this.#viewChanges.values()) {
      if (v.view > this.#view && v.view < (lowestAbove.get(v.replicaId) ?? Number.MAX_SAFE_INTEGER)) lowestAbove.set(v.replicaId, v.view);
    }
    if (lowestAbove.size >= this.#q.weak) {
      const minView = Math.min(...lowestAbove.values());
      this.#note('info', `f+1 replicas want a higher view, joining view ${minView}`);
      this.#view = minView - 1;
      return this.#sendViewChange();
    }
    const quorum = [...this.#viewChanges.values()].filter((v) => v.view === this.#view).length;
    if (this.#activeView || vc.view !== this.#view || quorum < this.#q.correct) return;
    // Unlike Fabric, keep re-sending the view-change until the new view starts: under loss the
    // new primary may not have it yet.
    if (this.#quorumTimerView !== this.#view) {
      this.#quorumTimerView = this.#view;
      this.#startTimer('new-view', this.#lastNewViewTimeout, `new-view for view ${this.#view}`);
      this.#lastNewViewTimeout = Math.min(2 * this.#lastNewViewTimeout, NEW_VIEW_TIMEOUT_TICKS_MAX);
    }
    if (this.primary(this.#view) === this.id) this.#sendNewView();
    else this.#processNewView();
  }

  #verifyViewChange(vc: ViewChange): boolean {
    return this.#env.signer.verify(peerIdOf(vc.replicaId), encodeViewChangeForSigning(vc), vc.signature);
  }

  /** A signed view-change for `view` from this replica's state: what it prepared and pre-prepared in earlier views. */
  #buildViewChange(view: number, pset: Iterable<PQEntry>, qset: Iterable<PQEntry>): ViewChange {
    const cset = [...this.#chkpts.entries()]
      .filter(([seqNo]) => seqNo >= this.#h && seqNo <= this.#h + this.L)
      .sort(([a], [b]) => a - b)
      .map(([seqNo, id]) => ({ seqNo, id }));
    const unsigned: ViewChange = {
      type: 'view-change',
      view,
      h: this.#h,
      cset,
      pset: [...pset].filter((p) => p.seqNo > this.#h && p.view < view).sort((a, b) => a.seqNo - b.seqNo),
      qset: sortPQ([...qset].filter((q) => q.seqNo > this.#h && q.view < view)),
      replicaId: this.id,
      signature: new Uint8Array(0),
    };
    return { ...unsigned, signature: this.#env.signer.sign(encodeViewChangeForSigning(unsigned)) };
  }

  /**
   * Our view-change for a view another replica still waits in (PBFT's liveness assumes
   * retransmission). The one we sent if we still have it; else (we restarted, or joined later
   * views directly) a fresh one for that view, holding only what we prepared in earlier views.
   * That is the truth about those views, and an old view cannot progress anyway once f+1
   * correct replicas are past it, so it cannot be used against agreement.
   */
  #retransmitViewChange(to: ReplicaId, view: number): void {
    if (view === 0 || view > this.#view) return;
    const last = this.#retransmittedAt.get(to);
    if (last !== undefined && this.#now - last < this.#o.statusIntervalTicks) return;
    this.#retransmittedAt.set(to, this.#now);
    this.#send(to, this.#sentViewChanges.get(view) ?? this.#buildViewChange(view, this.#calcPSet().values(), this.#calcQSet().values()));
  }

  #relayNewView(to: ReplicaId): void {
    const nv = this.#newView;
    if (!this.#activeView || nv === null || nv.view !== this.#view) return;
    const last = this.#relayedAt.get(to);
    if (last !== undefined && this.#now - last < this.#o.statusIntervalTicks) return;
    this.#relayedAt.set(to, this.#now);
    this.#send(to, nv);
  }

  #sendNewView(): void {
    if (this.#newView !== null && this.#newView.view === this.#view) return;
    const vset = [...this.#viewChanges.values()].filter((vc) => vc.view === this.#view).sort((a, b) => a.replicaId - b.replicaId);
    const cp = selectInitialCheckpoint(vset, this.#q);
    if (cp === null) return this.#note('info', `no initial checkpoint for view ${this.#view} yet`);
    const xset = assignSequenceNumbers(vset, cp.seqNo, this.L, this.#q);
    if (xset === null) return this.#note('info', `cannot assign sequence numbers for view ${this.#view} yet`);
    const nv: NewView = { type: 'new-view', view: this.#view, vset, xset, replicaId: this.id };
    const size = encodeMessage(nv).length;
    if (size > MESSAGE_BYTES_MAX) return this.#note('error', `new-view for view ${nv.view} would be ${size} bytes, over ${MESSAGE_BYTES_MAX}: lower pbft.general.K or logmultiplier`);
    this.#note('info', `new primary of view ${nv.view}: sending new-view, checkpoint ${cp.seqNo}, ${xset.length} assignment(s)`);
    this.#broadcast(nv);
    this.#newView = nv;
    this.#processNewView();
  }

  #onNewView(nv: NewView): void {
    if (nv.view === 0) return this.#drop('new-view for view 0', 'warning');
    if (nv.replicaId !== this.primary(nv.view)) return this.#drop('new-view not from the primary of its view', 'warning');
    if (nv.view < this.#view) return this.#drop('new-view for an old view', 'debug');
    if (nv.view === this.#view && (this.#activeView || this.#newView !== null)) return this.#drop('new-view already processed', 'debug');
    const defect = this.#newViewDefect(nv);
    if (defect !== null) return this.#drop('invalid new-view', 'warning', defect);
    if (nv.view > this.#view) {
      // Its signed view-changes prove N-f replicas left for nv.view: follow without a view-change of our own.
      this.#note('info', `catching up to view ${nv.view} by a new-view`);
      this.#leaveView(nv.view);
    }
    this.#newView = nv;
    this.#processNewView();
  }

  #newViewDefect(nv: NewView): string | null {
    const senders = new Set<ReplicaId>();
    for (const vc of nv.vset) {
      if (vc.view !== nv.view) return `view-change for view ${vc.view} inside new-view ${nv.view}`;
      if (vc.replicaId >= this.n || senders.has(vc.replicaId)) return `view-change from replica ${vc.replicaId} repeated or unknown`;
      senders.add(vc.replicaId);
      const defect = viewChangeDefect(vc, this.K, this.L);
      if (defect !== null) return defect;
    }
    if (senders.size < this.#q.correct) return `${senders.size} view-changes, ${this.#q.correct} needed`;
    for (let i = 1; i < nv.xset.length; i++) if ((nv.xset[i] as { seqNo: number }).seqNo <= (nv.xset[i - 1] as { seqNo: number }).seqNo) return 'assignments not in order';
    for (const vc of nv.vset) if (!this.#verifyViewChange(vc)) return `view-change of replica ${vc.replicaId} has a bad signature`;
    return null;
  }

  #canExecuteTo(target: number, from: number): boolean {
    for (let seqNo = from + 1; seqNo <= target; seqNo++) if (this.#committedCertAt(seqNo) === undefined) return false;
    return true;
  }

  #processNewView(): void {
    const nv = this.#newView;
    if (nv === null || nv.view !== this.#view || this.#activeView) return;
    const cp = selectInitialCheckpoint(nv.vset, this.#q);
    if (cp === null) {
      this.#note('warning', `new-view ${nv.view} has no initial checkpoint, sending view-change`);
      return this.#sendViewChange();
    }
    const speculativeLastExec = this.#currentExec ?? this.#lastExec;
    if (speculativeLastExec < cp.seqNo && this.#canExecuteTo(cp.seqNo, speculativeLastExec)) {
      return this.#note('debug', `delaying new-view ${nv.view}: execution will reach checkpoint ${cp.seqNo}`);
    }
    const xset = assignSequenceNumbers(nv.vset, cp.seqNo, this.L, this.#q);
    if (xset === null || !sameAssignments(xset, nv.xset)) {
      this.#note('warning', `new-view ${nv.view} assignments do not verify, sending view-change`);
      return this.#sendViewChange();
    }
    if (this.#h < cp.seqNo) this.#moveWatermarks(cp.seqNo);
    if (speculativeLastExec < cp.seqNo) {
      this.#note('warning', `missing base checkpoint ${cp.seqNo} of view ${nv.view} (executed to ${speculativeLastExec})`);
      const target: StateTransferTarget = { seqNo: cp.seqNo, checkpointId: cp.id, replicas: cp.replicas };
      this.#updateHighStateTarget(target);
      this.#stateTransfer(target);
    }
    // Only this new-view's batches matter here (an older fetch may never be answered).
    const missing = nv.xset.filter((x) => x.seqNo > this.#h && x.digest !== '' && !this.#batches.has(x.digest)).map((x) => x.digest);
    if (missing.length === 0) return this.#processNewView2(nv);
    const newlyMissing = missing.filter((digest) => !this.#missingBatches.has(digest));
    for (const digest of newlyMissing) this.#missingBatches.add(digest);
    if (newlyMissing.length > 0) this.#fetchMissingBatches();
  }

  #processNewView2(nv: NewView): void {
    this.#note('info', `accepting new-view ${nv.view}`);
    this.#newViewsAccepted++;
    this.#stopTimer();
    this.#nullRequestAt = null;
    this.#vcResendAt = null;
    this.#activeView = true;
    this.#viewDirty = true;
    let seqNo = this.#h;
    for (const x of nv.xset) {
      if (x.seqNo <= this.#h) continue;
      const batch = x.digest === '' ? null : (this.#batches.get(x.digest) ?? null);
      assert(x.digest === '' || batch !== null, `batch ${x.digest} for seqNo ${x.seqNo} missing after fetching`);
      const cert = this.#getCert(this.#view, x.seqNo);
      cert.prePrepare = { type: 'pre-prepare', view: this.#view, seqNo: x.seqNo, digest: x.digest, batch, replicaId: this.primary(this.#view) };
      cert.digest = x.digest;
      seqNo = Math.max(seqNo, x.seqNo);
    }
    this.#seqNo = Math.max(seqNo, this.#lastExec);
    this.#pqDirty = true;
    this.#updateViewChangeSeqNo();
    if (this.primary(this.#view) !== this.id) {
      for (const x of nv.xset) {
        if (x.seqNo <= this.#h) continue;
        const prepare: Prepare = { type: 'prepare', view: this.#view, seqNo: x.seqNo, digest: x.digest, replicaId: this.id };
        const cert = this.#getCert(this.#view, x.seqNo);
        cert.sentPrepare = true;
        this.#onPrepare(prepare);
        this.#broadcast(prepare);
      }
    }
    this.#recomputePending();
    this.#pruneBatches();
    this.#resendOwnRequests(0);
    this.#proposeIfPrimary();
    this.#executeOutstanding();
    this.#startTimerIfOutstandingRequests();
  }

  /** After a new view, the requests in its assigned batches (and the one executing) are the pending ones. */
  #recomputePending(): void {
    this.#requests.unmarkAllPending();
    for (const cert of this.#certs.values()) {
      const batch = cert.prePrepare?.batch;
      if (batch === null || batch === undefined || cert.seqNo <= this.#lastExec) continue;
      for (const r of batch.requests) this.#requests.markPending(requestKey(r));
    }
    if (this.#executing !== null) for (const key of this.#executing.keys) this.#requests.markPending(key);
  }

  #updateViewChangeSeqNo(): void {
    if (this.#o.viewChangePeriod <= 0) return;
    // Always at a checkpoint boundary.
    this.#viewChangeSeqNo = this.#seqNo + this.#o.viewChangePeriod * this.K - (this.#seqNo % this.K);
  }

  // ===========================================================================================
  // missing request batches

  #requestMissingBatch(digest: Digest, from: ReplicaId[]): void {
    if (this.#missingBatches.has(digest)) return;
    this.#missingBatches.add(digest);
    this.#note('info', `batch ${digest} committed but not here; fetching it`);
    const message: FetchRequestBatch = { type: 'fetch-request-batch', digest, replicaId: this.id };
    for (const replica of from) if (replica !== this.id) this.#send(replica, message);
  }

  #fetchMissingBatches(): void {
    for (const digest of this.#missingBatches) this.#broadcast({ type: 'fetch-request-batch', digest, replicaId: this.id });
  }

  #onFetchRequestBatch(fr: FetchRequestBatch): void {
    const batch = this.#batches.get(fr.digest);
    if (batch === undefined) return this.#drop('fetch for a batch not held here', 'debug');
    if (this.#fetchAnswersThisTick >= BATCH_FETCH_ANSWERS_PER_TICK_MAX) return this.#drop('too many batch fetches this tick', 'warning');
    this.#fetchAnswersThisTick++;
    this.#send(fr.replicaId, { type: 'return-request-batch', batch, replicaId: this.id });
  }

  #onReturnRequestBatch(rb: ReturnRequestBatch): void {
    if (rb.batch.requests.length > this.#o.batchSize) return this.#drop('returned batch larger than batchsize', 'warning');
    const encoded = encodeRequestBatch(rb.batch);
    const digest = this.#env.digest(encoded);
    // The digest was agreed by a quorum, so matching it authenticates the content.
    if (!this.#missingBatches.has(digest)) return this.#drop('returned batch not asked for', 'debug');
    this.#missingBatches.delete(digest);
    this.#storeBatch(digest, rb.batch, encoded);
    this.#processNewView();
    this.#executeOutstanding();
  }

  #storeBatch(digest: Digest, batch: RequestBatch, encoded: Uint8Array | null): void {
    if (this.#batches.has(digest)) return;
    if (this.#batches.size >= this.#batchesMax) this.#pruneBatches();
    if (this.#batches.size >= this.#batchesMax) return this.#drop('request batch store full', 'error');
    this.#batches.set(digest, batch);
    this.#persist.set(PERSIST_KEYS.batchPrefix + digest, encoded ?? encodeRequestBatch(batch));
  }

  /** Forgets batches no certificate, P/Q entry, fetch or execution refers to. */
  #pruneBatches(): void {
    const referenced = new Set<Digest>(this.#missingBatches);
    for (const cert of this.#certs.values()) {
      if (cert.digest !== null) referenced.add(cert.digest);
      if (cert.committedDigest !== null) referenced.add(cert.committedDigest);
    }
    for (const p of this.#pset.values()) referenced.add(p.digest);
    for (const q of this.#qset.values()) referenced.add(q.digest);
    if (this.#executing !== null) referenced.add(this.#executing.digest);
    for (const digest of [...this.#batches.keys()]) {
      if (referenced.has(digest)) continue;
      this.#batches.delete(digest);
      this.#persist.set(PERSIST_KEYS.batchPrefix + digest, null);
    }
  }

  // ===========================================================================================
  // status: repairing lost messages

  #statusSweep(): void {
    const stuck = this.#currentExec === null && !this.#stateTransferring && this.#lastExec === this.#lastExecAtSweep;
    const target = this.#highStateTarget;
    if (stuck && target !== null && target.seqNo > this.#lastExec) {
      // A checkpoint f+1 replicas vouch for is ahead and nothing here moves: fetch the state.
      this.#note('info', `no progress at seqNo ${this.#lastExec} while checkpoint ${target.seqNo} exists; transferring state`);
      this.#stateTransfer(target);
    }
    this.#lastExecAtSweep = this.#lastExec;
    if (this.#missingBatches.size > 0) this.#fetchMissingBatches();
    if (this.#wantsHelp()) this.#sendStatus();
    this.#resendOwnRequests(this.#o.statusIntervalTicks);
  }

  #status(): Status {
    return { type: 'status', view: this.#view, activeView: this.#activeView, lastExec: this.#lastExec, headId: this.#headCheckpointId, h: this.#h, replicaId: this.id };
  }

  #sendStatus(): void {
    this.#broadcast(this.#status());
  }

  /**
   * f+1 replicas reporting the same head after the same seqNo, ahead of ours, vouch for that state
   * (one of them is correct): a state transfer target even between checkpoints, so a replica that
   * missed the end of a quiet period need not wait for the next checkpoint.
   */
  #noteStatusHead(s: Status): void {
    this.#statusSeen.set(s.replicaId, { lastExec: s.lastExec, headId: s.headId });
    if (s.lastExec <= this.#lastExec) return;
    const replicas = [...this.#statusSeen].filter(([, seen]) => seen.lastExec === s.lastExec && seen.headId === s.headId).map(([replica]) => replica);
    if (replicas.length < this.#q.weak) return;
    this.#updateHighStateTarget({ seqNo: s.lastExec, checkpointId: s.headId, replicas: replicas.sort((a, b) => a - b) });
  }

  #wantsHelp(): boolean {
    if (!this.#activeView || this.#skipInProgress || this.#missingBatches.size > 0) return true;
    if (this.#currentExec !== null) return false;
    for (const stored of this.#requests.all()) if (this.#now - stored.since >= this.#o.statusIntervalTicks) return true;
    for (const cert of this.#certs.values()) if (cert.seqNo > this.#lastExec) return true;
    return this.#highStateTarget !== null && this.#highStateTarget.seqNo > this.#lastExec;
  }

  /**
   * Own requests that wait (not in any batch) go again to the primary, in case the broadcast was
   * lost; to everyone while this replica is in a view change (it may be the only one changing).
   */
  #resendOwnRequests(minAge: number): void {
    const primary = this.primary(this.#view);
    if (this.#activeView && primary === this.id) return;
    let sent = 0;
    for (const stored of this.#requests.waiting()) {
      if (sent >= REQUEST_RESENDS_PER_SWEEP_MAX) break;
      if (stored.request.origin !== this.id || this.#now - stored.since < minAge) continue;
      const message = { type: 'request', request: stored.request } as const;
      if (this.#activeView) this.#send(primary, message);
      else this.#broadcast(message);
      sent++;
    }
  }

  #onStatus(s: Status): void {
    this.#noteStatusHead(s);
    const last = this.#statusAnsweredAt.get(s.replicaId);
    if (last !== undefined && this.#now - last < Math.max(1, Math.floor(this.#o.statusIntervalTicks / 2))) return this.#drop('status too soon', 'debug');
    this.#statusAnsweredAt.set(s.replicaId, this.#now);
    // A replica behind us learns where we are (and so, from f+1 of us, where to transfer to).
    if (s.lastExec < this.#lastExec) this.#send(s.replicaId, this.#status());
    if (s.view < this.#view || (s.view === this.#view && !s.activeView)) this.#relayNewView(s.replicaId);
    // An asker in a later view (it changed view alone) can still learn our commits.
    if (s.view >= this.#view && this.#activeView) this.#resendCertificates(s);
    if (s.lastExec < this.#lastExec) {
      for (const [seqNo, id] of this.#chkpts) {
        if (seqNo > s.lastExec && seqNo > 0) this.#send(s.replicaId, { type: 'checkpoint', seqNo, id, replicaId: this.id });
      }
    }
  }

  /** Our own pre-prepare/prepare/commit for the seqNos after the asker's lastExec, as first sent. */
  #resendCertificates(s: Status): void {
    const last = Math.min(s.lastExec + STATUS_RESEND_SEQNOS_MAX, this.#h + this.L);
    for (let n = Math.max(s.lastExec, this.#h) + 1; n <= last; n++) {
      const cert = this.#certs.get(certKey(this.#view, n));
      if (cert === undefined || cert.digest === null) continue;
      if (cert.prePrepare !== null && this.primary(this.#view) === this.id) this.#send(s.replicaId, cert.prePrepare);
      if (cert.sentPrepare) this.#send(s.replicaId, { type: 'prepare', view: this.#view, seqNo: n, digest: cert.digest, replicaId: this.id });
      const commitDigest = cert.commits.get(this.id);
      if (cert.sentCommit && commitDigest !== undefined) this.#send(s.replicaId, { type: 'commit', view: this.#view, seqNo: n, digest: commitDigest, replicaId: this.id });
    }
  }

  // ===========================================================================================
  // helpers

  #inW(n: number): boolean {
    return n > this.#h && n <= this.#h + this.L;
  }

  #getCert(view: number, seqNo: number): Cert {
    const key = certKey(view, seqNo);
    let cert = this.#certs.get(key);
    if (cert === undefined) {
      cert = { view, seqNo, digest: null, prePrepare: null, sentPrepare: false, prepares: new Map(), sentCommit: false, commits: new Map(), prepared: false, committedDigest: null };
      this.#certs.set(key, cert);
    }
    return cert;
  }

  #startTimer(kind: 'request' | 'new-view', ticks: number, reason: string): void {
    this.#progressTimer = { deadline: this.#now + ticks, kind, reason };
  }

  #softStartTimer(ticks: number, reason: string): void {
    if (this.#progressTimer === null) this.#startTimer('request', ticks, reason);
  }

  #stopTimer(): void {
    this.#progressTimer = null;
  }

  #broadcast(message: PbftMessage): void {
    if (this.#o.byzantine && nextRandom(this.#random) % 3 === 1) {
      // Fabric's byzantine flag: this broadcast skips one random replica.
      const skipped = nextRandom(this.#random) % this.n;
      for (let replica = 0; replica < this.n; replica++) if (replica !== skipped && replica !== this.id) this.#messages.push({ to: replica, message });
      return;
    }
    if (this.n > 1) this.#messages.push({ to: 'all', message });
  }

  #send(to: ReplicaId, message: PbftMessage): void {
    if (to !== this.id) this.#messages.push({ to, message });
  }

  #note(level: NoteLevel, text: string): void {
    if (this.#notes.length >= NOTES_PER_READY_MAX) {
      this.#notesDropped++;
      return;
    }
    this.#notes.push({ level, text: `replica ${this.id}: ${text}` });
  }

  #drop(reason: string, level: NoteLevel, detail?: string): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1);
    this.#note(level, `dropped: ${reason}${detail === undefined ? '' : ` (${detail})`}`);
  }

  #softState(): SoftState {
    return { view: this.#view, primary: this.primary(this.#view), activeView: this.#activeView, lastExec: this.#lastExec, h: this.#h, skipInProgress: this.#skipInProgress };
  }

  /** Paired assertions over the whole state, after every input. A failure is a bug in this file. */
  #checkInvariants(): void {
    const h = this.#h;
    assert(Number.isSafeInteger(h) && h >= 0 && h % this.K === 0, `low watermark ${h} not a multiple of K`);
    // Below h only while catching up, or while executing the very seqNo a new view started from.
    assert(this.#lastExec >= h || this.#skipInProgress || this.#currentExec === h, `lastExec ${this.#lastExec} below h ${h} without catching up`);
    assert((this.#currentExec === null) === (this.#executing === null), 'currentExec and the executing batch disagree');
    assert(this.#currentExec === null || this.#currentExec === this.#lastExec + 1, `executing ${this.#currentExec} after lastExec ${this.#lastExec}`);
    assert(!(this.#currentExec !== null && this.#stateTransferring), 'executing and transferring state at once');
    assert(this.#seqNo >= h, `seqNo ${this.#seqNo} below h ${h}`);
    assert(this.#certs.size <= 2 * this.L, `${this.#certs.size} certificates exceed 2L`);
    for (const cert of this.#certs.values()) {
      assert(cert.seqNo > h && cert.seqNo <= h + this.L, `certificate for seqNo ${cert.seqNo} outside (${h}, ${h + this.L}]`);
      assert(cert.view <= this.#view, `certificate for future view ${cert.view}`);
      assert(cert.view === this.#view || cert.committedDigest !== null || cert.prePrepare === null, `uncommitted, pre-prepared certificate of old view ${cert.view}`);
      assert(cert.prepares.size <= this.n && cert.commits.size <= this.n, 'more votes than replicas');
    }
    for (const p of this.#pset.values()) assert(p.seqNo > h && p.view < this.#view, `P entry n=${p.seqNo} v=${p.view} out of place`);
    for (const q of this.#qset.values()) assert(q.seqNo > h && q.view < this.#view, `Q entry n=${q.seqNo} v=${q.view} out of place`);
    for (const seqNo of this.#checkpointStore.keys()) assert(seqNo > h && seqNo <= h + this.L, `checkpoint store holds seqNo ${seqNo}`);
    for (const seqNo of this.#chkpts.keys()) assert(seqNo >= h, `own checkpoint ${seqNo} below h`);
    assert(this.#viewChanges.size <= this.n * VIEW_CHANGES_PER_REPLICA_MAX && this.#hChkpts.size <= this.n, 'per-replica stores exceed their bounds');
    assert(!this.#activeView || this.#vcResendAt === null, 'view-change resend timer running in an active view');
    assert(this.#batchStore.length <= this.#o.batchSize, 'batch store exceeds batchsize');
    assert(this.#batches.size <= this.#batchesMax, 'request batch store exceeds its bound');
    assert(this.#missingBatches.size <= this.L + this.n, 'missing batches exceed L');
    assert(this.#requests.size <= this.n * this.#o.outstandingPerOriginMax, 'outstanding requests exceed their bound');
    assert(this.#newView === null || this.#newView.view <= this.#view, 'new-view for a future view');
  }
}

function sortPQ(entries: PQEntry[]): PQEntry[] {
  return entries.sort((a, b) => a.seqNo - b.seqNo || (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  // Four bytes at a time where both are aligned (decoded payloads are fresh copies, so usually).
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = a.length >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset, words);
    for (; i < words; i++) if (wa[i] !== wb[i]) return false;
    i = words << 2;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
