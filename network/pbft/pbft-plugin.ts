// The `pbft` consensus plugin: the driver around the pure core (replica.ts). It owns what the
// core must not: the real clock (a tick every tickMs), the transport, the disk and the ledger.
// One loop ("pump") at a time feeds the core in bounded batches — completions, due ticks, then
// inbound messages round-robin per sender — and handles each Ready in the order the core
// demands: persist durably (stack.storage.write), then send, then execute one batch at a time
// (stack.execute), transfer state (stack.syncTo) and mark state valid or not. The transport only
// enqueues. Transactions submitted within a 5 ms window become one request (transaction-bundle.ts),
// and executed requests are expanded back into their transactions. docs/pbft.md describes the
// duties in full.
import { TRANSACTION_BYTES_MAX } from '../../host/protocol/limits.ts';
import type { ConsensusPlugin, ConsensusStatus, ExecutedBatch, PbftStack } from '../consensus.ts';
import type { MessageSigner, PeerTransport } from '../transport/types.ts';
import { checkpointIdOf, decodeCheckpointId, decodeMessage, encodeMessage, decodeMetadata } from './codec.ts';
import { replicaOptionsFrom, type PbftConfig } from './config.ts';
import { batchDigest } from './digest.ts';
import { BatchTimings, type BatchTiming } from './batch-timing.ts';
import type { PbftMessage } from './messages.ts';
import type { ExecuteBatch, Ready, StateTransferTarget } from './ready.ts';
import { PERSIST_PREFIX, PbftReplica, type HeadState } from './replica.ts';
import { bundleBytesBound, declaredTransactionCount, decodeTransactionBundle, encodeTransactionBundle, fitsBundle } from './transaction-bundle.ts';

export type PbftLogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical';
/** Where the plugin's log lines go (the peer passes its logger). */
export type PbftLog = (level: PbftLogLevel, message: string, fields?: Record<string, unknown>) => void;

export interface PbftPluginOptions {
  /** Length of one core tick (default 50 ms); Fabric's timeouts are converted to ticks. */
  tickMs?: number;
  /** Inbound messages fed to the core per turn of the loop. */
  inboundPerTurnMax?: number;
  /** Inbound messages waiting per sending replica; beyond, new ones are dropped. */
  inboundPerSenderMax?: number;
  /** Inbound bytes waiting in all; beyond, new messages are dropped. */
  inboundBytesMax?: number;
  /** Due ticks fed per turn (after a stall the core catches up in steps, not all at once). */
  ticksPerTurnMax?: number;
  /** Wait before re-trying a failed execution (ms). */
  executeRetryMs?: number;
  /** Seed of the byzantine flag's choices (default: random). */
  byzantineSeed?: number;
  /**
   * Milliseconds a bundle of client transactions stays open for more before it becomes a request
   * (0: at the next turn of the loop; default 5). Longer windows mean bigger bundles, so fewer signatures
   * and requests per transaction, for that much more latency.
   */
  bundleWindowMs?: number;
  /** Told of each batch executed here, with where its time went (the peer's metrics); must not throw. */
  onBatchExecuted?: (timing: BatchTiming) => void;
}

const DEFAULTS = {
  tickMs: 50,
  inboundPerTurnMax: 256,
  inboundPerSenderMax: 4_096,
  inboundBytesMax: 256 * 1_048_576,
  ticksPerTurnMax: 20,
  executeRetryMs: 1_000,
  // 5 ms: at 4,000+ tx/s the peers' CPU per transaction fell ~10 % against bundling per turn
  // (weft bench donothing, 1,500 in flight); 10 ms gained nothing more.
  bundleWindowMs: 5,
};

/** Loop turns between yields to the event loop. */
const TURNS_PER_YIELD = 16;

type Completion =
  | { kind: 'executed'; seqNo: number; checkpointId: string }
  | { kind: 'transferred'; head: HeadState }
  | { kind: 'transfer-failed' };

const headState = (head: ExecutedBatch): HeadState => ({ checkpointId: checkpointIdOf(head), consensusMetadata: head.consensusMetadata });

export class PbftConsensus implements ConsensusPlugin {
  readonly #stack: PbftStack;
  readonly #transport: PeerTransport;
  readonly #signer: MessageSigner;
  readonly #config: PbftConfig;
  readonly #log: PbftLog;
  readonly #o: typeof DEFAULTS & { byzantineSeed: number };
  #core: PbftReplica | null = null;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #failure: Error | null = null;
  #pumping = false;
  #pumpDone: Promise<void> = Promise.resolve();
  #pendingTicks = 0;
  readonly #inbox = new Map<number, Uint8Array[]>();
  #inboxBytes = 0;
  #inboxCursor = 0;
  readonly #completions: Completion[] = [];
  readonly #background = new Set<Promise<void>>();
  /** Changes whose durable write failed; retried with the next write. */
  #unwritten = new Map<string, Uint8Array | null>();
  #transferring: number | null = null;
  /** Transactions received within the open bundle window, to become one request (#flushBundle). */
  #bundle: Uint8Array[] = [];
  /** When the open bundle took its first transaction (performance.now()). */
  #bundleOpenedAt = 0;
  #bundleTimer: NodeJS.Timeout | undefined;
  #bundleBytes = 0;
  readonly #timings = new BatchTimings();
  readonly #onBatchExecuted: ((timing: BatchTiming) => void) | undefined;
  readonly #counters = {
    received: 0,
    decodeErrors: 0,
    inboundDropped: 0,
    sent: 0,
    persistFailures: 0,
    executeFailures: 0,
    transfers: 0,
    transferFailures: 0,
    requestsOriginated: 0,
    transactionsOriginated: 0,
    malformedBundles: 0,
  };

  constructor(stack: PbftStack, transport: PeerTransport, signer: MessageSigner, config: PbftConfig, log: PbftLog, options: PbftPluginOptions = {}) {
    this.#stack = stack;
    this.#transport = transport;
    this.#signer = signer;
    this.#config = config;
    this.#log = log;
    this.#onBatchExecuted = options.onBatchExecuted;
    this.#o = {
      tickMs: options.tickMs ?? DEFAULTS.tickMs,
      inboundPerTurnMax: options.inboundPerTurnMax ?? DEFAULTS.inboundPerTurnMax,
      inboundPerSenderMax: options.inboundPerSenderMax ?? DEFAULTS.inboundPerSenderMax,
      inboundBytesMax: options.inboundBytesMax ?? DEFAULTS.inboundBytesMax,
      ticksPerTurnMax: options.ticksPerTurnMax ?? DEFAULTS.ticksPerTurnMax,
      executeRetryMs: options.executeRetryMs ?? DEFAULTS.executeRetryMs,
      bundleWindowMs: options.bundleWindowMs ?? DEFAULTS.bundleWindowMs,
      byzantineSeed: options.byzantineSeed ?? Math.floor(Math.random() * 0xffff_ffff),
    };
    if (!(this.#o.tickMs >= 1)) throw new RangeError(`pbft tick must be at least 1 ms, got ${this.#o.tickMs}`);
    if (transport.selfId !== `vp${config.replicaId}`) {
      throw new Error(`transport speaks as ${transport.selfId}, but PBFT is configured as replica ${config.replicaId} (vp${config.replicaId})`);
    }
  }

  async start(): Promise<void> {
    if (!this.#stopped) return;
    const options = replicaOptionsFrom(this.#config, { tickMs: this.#o.tickMs, byzantineSeed: this.#o.byzantineSeed });
    for (const adjustment of this.#config.adjustments) this.#log('warning', adjustment);
    const persisted = await this.#stack.storage.load(PERSIST_PREFIX);
    const head = this.#stack.head();
    this.#core = PbftReplica.restore(options, { digest: batchDigest, signer: this.#signer, transactionsIn: declaredTransactionCount }, persisted, headState(head));
    this.#transport.onMessage('consensus', (from, payload) => this.#onConsensusMessage(from, payload));
    this.#transport.onMessage('transaction', (from, payload) => this.#onForwardedTransaction(from, payload));
    this.#stopped = false;
    this.#timer = setInterval(() => {
      this.#pendingTicks++;
      this.#schedule();
    }, this.#o.tickMs);
    this.#log('info', `PBFT replica ${this.#config.replicaId} of N=${this.#config.N}, f=${this.#config.f}, K=${this.#config.K}, L=${this.#config.L}, batchsize ${this.#config.batchSize}, tick ${this.#o.tickMs} ms`);
    this.#schedule();
  }

  /** Stops the clock and the loop, then waits for an execution or state transfer under way. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#bundleTimer);
    await this.#pumpDone;
    await Promise.allSettled([...this.#background]);
  }

  async submit(transaction: Uint8Array): Promise<void> {
    const refusal = this.#admit(this.#running(), transaction);
    if (refusal !== null) throw new Error(refusal);
  }

  /** Adds a transaction to the open bundle, or says why it is refused (it then goes nowhere). */
  #admit(core: PbftReplica, transaction: Uint8Array): string | null {
    if (transaction.length === 0) return 'empty transaction';
    if (transaction.length > TRANSACTION_BYTES_MAX) return `transaction of ${transaction.length} bytes exceeds ${TRANSACTION_BYTES_MAX} bytes`;
    if (!fitsBundle(this.#bundle.length, this.#bundleBytes, transaction.length)) {
      // A full bundle leaves at once; the loop sends the request it became.
      this.#flushBundle(core);
      this.#schedule();
    }
    // The bundle becomes one request: what the core will refuse then is refused now instead.
    const refusal = core.requestRefusal(bundleBytesBound(this.#bundle.length + 1, this.#bundleBytes + transaction.length));
    if (refusal !== null) return refusal;
    if (this.#bundle.length === 0) {
      this.#bundleOpenedAt = performance.now();
      if (this.#o.bundleWindowMs > 0) {
        clearTimeout(this.#bundleTimer);
        this.#bundleTimer = setTimeout(() => this.#schedule(), this.#o.bundleWindowMs);
      }
    }
    this.#bundle.push(transaction);
    this.#bundleBytes += transaction.length;
    if (this.#o.bundleWindowMs <= 0) this.#schedule();
    return null;
  }

  /** The open bundle's transactions become one request of this replica. */
  #flushBundle(core: PbftReplica): void {
    if (this.#bundle.length === 0) return;
    const transactions = this.#bundle;
    this.#bundle = [];
    this.#bundleBytes = 0;
    const result = core.request(encodeTransactionBundle(transactions));
    if (!result.ok) {
      // #admit checked the same bound; a refusal here is a bug, and the transactions are lost.
      this.#log('error', `${transactions.length} accepted transaction(s) refused by the core: ${result.error}`);
      return;
    }
    this.#counters.requestsOriginated++;
    this.#counters.transactionsOriginated += transactions.length;
  }

  status(): ConsensusStatus {
    const core = this.#core;
    if (core === null) return { plugin: 'pbft', running: false, replicaId: this.#config.replicaId, N: this.#config.N, f: this.#config.f };
    const s = core.status();
    return {
      plugin: 'pbft',
      running: !this.#stopped,
      failure: this.#failure?.message ?? null,
      replicaId: s.id,
      N: s.n,
      f: s.f,
      view: s.view,
      viewChanges: s.newViewsAccepted,
      primary: `vp${s.primary}`,
      activeView: s.activeView,
      seqNo: s.seqNo,
      lastExec: s.lastExec,
      watermarks: { low: s.h, high: s.H },
      stateTransfer: s.skipInProgress,
      inFlight: {
        executing: s.executing,
        transferring: this.#transferring,
        outstandingRequests: s.outstandingRequests,
        pendingRequests: s.pendingRequests,
        batchStore: s.batchStore,
        certificates: s.certificates,
        requestBatches: s.requestBatches,
        missingBatches: s.missingBatches,
        inbound: [...this.#inbox.values()].reduce((sum, q) => sum + q.length, 0),
        unwrittenChanges: this.#unwritten.size,
      },
      counters: { ...this.#counters },
      batchTiming: this.#timings.summary(),
      drops: s.drops,
      tickMs: this.#o.tickMs,
    };
  }

  // ------------------------------------------------------------------------------------------
  // inbound

  #running(): PbftReplica {
    if (this.#failure !== null) throw new Error(`consensus failed: ${this.#failure.message}`);
    if (this.#stopped || this.#core === null) throw new Error('consensus is not running; transaction not accepted');
    return this.#core;
  }

  #onConsensusMessage(from: string, payload: Uint8Array): void {
    const match = /^vp(\d{1,9})$/.exec(from);
    const replica = match ? Number(match[1]) : -1;
    if (replica < 0 || replica >= this.#config.N || replica === this.#config.replicaId) {
      this.#counters.inboundDropped++;
      return;
    }
    let queue = this.#inbox.get(replica);
    if (queue === undefined) {
      queue = [];
      this.#inbox.set(replica, queue);
    }
    if (queue.length >= this.#o.inboundPerSenderMax || this.#inboxBytes + payload.length > this.#o.inboundBytesMax) {
      this.#counters.inboundDropped++;
      return;
    }
    queue.push(payload);
    this.#inboxBytes += payload.length;
    this.#counters.received++;
    this.#schedule();
  }

  /** A transaction a non-validating peer (or another validator's client) sent us to order. */
  #onForwardedTransaction(from: string, payload: Uint8Array): void {
    if (this.#stopped || this.#core === null || this.#failure !== null) return;
    const refusal = this.#admit(this.#core, payload);
    if (refusal !== null) this.#log('warning', `transaction from ${from} refused: ${refusal}`);
  }

  // ------------------------------------------------------------------------------------------
  // the loop

  #schedule(): void {
    if (this.#pumping || this.#stopped || this.#failure !== null) return;
    this.#pumping = true;
    this.#pumpDone = new Promise((resolve) => setImmediate(() => void this.#pump().finally(resolve)));
  }

  async #pump(): Promise<void> {
    try {
      for (let turn = 1; ; turn++) {
        const core = this.#core;
        if (core === null || this.#stopped || this.#failure !== null) break;
        const fed = this.#feed(core);
        if (!core.hasReady()) {
          if (!fed) break;
          continue;
        }
        await this.#handle(core.ready());
        // A round without a disk write awaits nothing real: let the transport and timers in now and then.
        if (turn % TURNS_PER_YIELD === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.#fail(error as Error);
    } finally {
      this.#pumping = false;
    }
    if (this.#hasWork()) this.#schedule();
  }

  #hasWork(): boolean {
    return this.#completions.length > 0 || this.#pendingTicks > 0 || this.#inboxBytes > 0 || this.#bundleDue() || (this.#core?.hasReady() ?? false);
  }

  #bundleDue(): boolean {
    return this.#bundle.length > 0 && performance.now() - this.#bundleOpenedAt >= this.#o.bundleWindowMs;
  }

  /** Feeds completions, due ticks and a bounded slice of inbound messages; true if anything was fed. */
  #feed(core: PbftReplica): boolean {
    let fed = this.#bundleDue();
    if (fed) this.#flushBundle(core);
    for (const completion of this.#completions.splice(0)) {
      fed = true;
      if (completion.kind === 'executed') {
        core.executed(completion.seqNo, completion.checkpointId);
      } else if (completion.kind === 'transferred') {
        this.#transferring = null;
        core.stateTransferred(completion.head);
      } else {
        this.#transferring = null;
        core.stateTransferFailed();
      }
    }
    const ticks = Math.min(this.#pendingTicks, this.#o.ticksPerTurnMax);
    this.#pendingTicks -= ticks;
    if (ticks > 0) this.#reportReachability(core);
    for (let i = 0; i < ticks; i++) core.tick();
    fed ||= ticks > 0;
    const senders = [...this.#inbox.keys()].sort((a, b) => a - b);
    let budget = this.#o.inboundPerTurnMax;
    while (budget > 0 && this.#inboxBytes > 0) {
      let progressed = false;
      for (let i = 0; i < senders.length && budget > 0; i++) {
        const sender = senders[(this.#inboxCursor + i) % senders.length] as number;
        const payload = this.#inbox.get(sender)?.shift();
        if (payload === undefined) continue;
        this.#inboxBytes -= payload.length;
        budget--;
        progressed = true;
        this.#stepOne(core, sender, payload);
      }
      this.#inboxCursor++;
      if (!progressed) break;
    }
    return fed || budget < this.#o.inboundPerTurnMax;
  }

  /** Tells the core which replicas the transport is connected to now (checked once per tick). */
  #reportReachability(core: PbftReplica): void {
    const connected = new Set(this.#transport.connected().map((peer) => peer.id));
    for (let replica = 0; replica < this.#config.N; replica++) {
      if (replica !== this.#config.replicaId) core.setReachable(replica, connected.has(`vp${replica}`));
    }
  }

  #stepOne(core: PbftReplica, sender: number, payload: Uint8Array): void {
    let message: PbftMessage;
    try {
      message = decodeMessage(payload);
    } catch (error) {
      this.#counters.decodeErrors++;
      this.#log('debug', `undecodable consensus message from vp${sender}: ${(error as Error).message}`);
      return;
    }
    if (message.type === 'pre-prepare') this.#timings.prePrepared(message.seqNo, performance.now());
    core.step(sender, message);
  }

  async #handle(ready: Ready): Promise<void> {
    for (const note of ready.notes) this.#log(note.level, note.text);
    if (ready.notesDropped > 0) this.#log('warning', `${ready.notesDropped} more PBFT log lines dropped`);
    let persisted = true;
    if (ready.persist.size > 0 || this.#unwritten.size > 0) {
      const changes = new Map([...this.#unwritten, ...ready.persist]);
      try {
        await this.#stack.storage.write(changes);
        this.#unwritten = new Map();
      } catch (error) {
        persisted = false;
        this.#unwritten = changes;
        this.#counters.persistFailures++;
        this.#log('error', `PBFT state could not be made durable (${(error as Error).message}); not sending ${ready.messages.length} message(s)`);
      }
    }
    // Nothing may leave before the state it depends on is durable.
    if (persisted) for (const out of ready.messages) this.#sendOut(out.to, out.message);
    if (ready.execute !== null) this.#track(this.#execute(ready.execute));
    if (ready.stateTransfer !== null) this.#track(this.#transfer(ready.stateTransfer));
    if (ready.stateValid !== null) this.#stack.setStateValid(ready.stateValid);
  }

  #sendOut(to: number | 'all', message: PbftMessage): void {
    if (message.type === 'pre-prepare') this.#timings.prePrepared(message.seqNo, performance.now());
    const bytes = encodeMessage(message);
    this.#counters.sent++;
    if (to === 'all') this.#transport.broadcast('consensus', bytes);
    else this.#transport.send(`vp${to}`, 'consensus', bytes);
  }

  #track(task: Promise<void>): void {
    this.#background.add(task);
    void task.finally(() => this.#background.delete(task));
  }

  /** Executes one batch; a failure is retried, unless the block turns out to be committed already. */
  async #execute(batch: ExecuteBatch): Promise<void> {
    const transactions = this.#expand(batch);
    const startedAt = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const head = await this.#stack.execute({ transactions, consensusMetadata: batch.consensusMetadata });
        this.#completions.push({ kind: 'executed', seqNo: batch.seqNo, checkpointId: checkpointIdOf(head) });
        this.#timed(batch.seqNo, transactions.length, startedAt);
        break;
      } catch (error) {
        this.#counters.executeFailures++;
        const head = this.#stack.head();
        if (metadataSeqNo(head) === batch.seqNo) {
          this.#completions.push({ kind: 'executed', seqNo: batch.seqNo, checkpointId: checkpointIdOf(head) });
          break;
        }
        this.#log('error', `executing batch ${batch.seqNo} failed (attempt ${attempt}): ${(error as Error).message}`);
        if (this.#stopped) return;
        await new Promise((resolve) => setTimeout(resolve, this.#o.executeRetryMs));
        if (this.#stopped) return;
      }
    }
    this.#schedule();
  }

  #timed(seqNo: number, transactions: number, startedAt: number): void {
    const timing = this.#timings.executed(seqNo, transactions, startedAt, performance.now());
    try {
      this.#onBatchExecuted?.(timing);
    } catch (error) {
      this.#log('warning', `batch timing hook failed: ${(error as Error).message}`);
    }
  }

  /**
   * The transactions of an ordered batch, request by request. A request that is not a valid
   * bundle (a faulty origin's) contributes nothing, the same on every replica.
   */
  #expand(batch: ExecuteBatch): Uint8Array[] {
    const transactions: Uint8Array[] = [];
    for (const [i, payload] of batch.transactions.entries()) {
      const bundle = decodeTransactionBundle(payload);
      if (Array.isArray(bundle)) {
        for (const tx of bundle) transactions.push(tx);
        continue;
      }
      this.#counters.malformedBundles++;
      this.#log('warning', `request ${i} of batch ${batch.seqNo} is skipped: ${bundle.error}`);
    }
    return transactions;
  }

  async #transfer(target: StateTransferTarget): Promise<void> {
    this.#transferring = target.seqNo;
    this.#counters.transfers++;
    try {
      const { height, blockHash } = decodeCheckpointId(target.checkpointId);
      this.#log('info', `state transfer to block ${height} (seqNo ${target.seqNo}) from ${target.replicas.map((r) => `vp${r}`).join(', ')}`);
      const head = await this.#stack.syncTo({ height, blockHash }, target.replicas.map((r) => `vp${r}`));
      this.#timings.forgetThrough(target.seqNo);
      this.#completions.push({ kind: 'transferred', head: headState(head) });
    } catch (error) {
      this.#counters.transferFailures++;
      this.#log('warning', `state transfer to seqNo ${target.seqNo} failed: ${(error as Error).message}`);
      this.#completions.push({ kind: 'transfer-failed' });
    }
    this.#schedule();
  }

  /** A broken invariant is a bug: stop ordering rather than risk a fork. */
  #fail(error: Error): void {
    this.#failure = error;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#log('critical', `PBFT stopped: ${error.stack ?? error.message}`);
  }
}

function metadataSeqNo(head: ExecutedBatch): number {
  try {
    return decodeMetadata(head.consensusMetadata).seqNo;
  } catch {
    return -1;
  }
}
