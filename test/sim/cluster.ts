// N simulated peers over one simulated network and clock, all from one seed. The loop per tick:
// deliver due packets (decoded by the real codec: garbage is dropped as the plugin would), then
// step every live host. Scenario tests script it (submit, crash, partition, filter, run); the
// VOPR drives it with random faults (vopr.ts). Checkers watch correct replicas only.
import { decodeCheckpointId, decodeMessage, encodeMessage } from '../../network/pbft/codec.ts';
import { batchDigest } from '../../network/pbft/digest.ts';
import type { PbftMessage } from '../../network/pbft/messages.ts';
import { replicaOptions, type ReplicaOptions } from '../../network/pbft/options.ts';
import type { ExecuteBatch, Outbound, Ready, StateTransferTarget } from '../../network/pbft/ready.ts';
import { ByzantineRewriter, type Behaviour } from './byzantine.ts';
import { LivenessTracker, SafetyChecker } from './checkers.ts';
import { Prng } from './prng.ts';
import { SimHost, type HostTiming, type HostWorld } from './replica-host.ts';
import { SimKeys } from './sim-signer.ts';
import { NO_FAULTS, SimNetwork, type NetworkFaults } from './sim-network.ts';
import { txPayload, type ToyBlock, type ToyLedger } from './toy-ledger.ts';
import { Trace } from './trace.ts';

export interface ClusterOptions {
  seed: number;
  n?: number;
  f?: number;
  /** Options shared by every replica (N and f come from above). */
  replica?: Partial<Omit<ReplicaOptions, 'id' | 'n' | 'f'>>;
  timing?: HostTiming;
  faults?: NetworkFaults;
  byzantine?: Array<{ id: number; behaviours: Behaviour[] }>;
  /** Trace lines for every sent message (scenario debugging); notes of level info and above are always traced. */
  traceMessages?: boolean;
  traceDebugNotes?: boolean;
  /** ReplicaEnvironment.transactionsIn (default: one transaction per request). */
  transactionsIn?: (payload: Uint8Array) => number;
  /**
   * Tell replicas who is reachable, as the plugin does from its transport: a crash makes the
   * crashed replica unreachable to the others; a restart connects it to every live replica.
   * Off for the scenario tests, which script reachability themselves.
   */
  reachability?: boolean;
}

const INSTANT: HostTiming = { writeLatencyMax: 0, executeLatencyMax: 0, transferLatencyMin: 1, transferLatencyMax: 1 };

export class Cluster implements HostWorld {
  now = 0;
  readonly n: number;
  readonly f: number;
  readonly hosts: SimHost[];
  readonly network: SimNetwork;
  readonly safety = new SafetyChecker();
  readonly liveness = new LivenessTracker();
  readonly trace = new Trace();
  readonly prng: Prng;
  /** Every decoded message delivered, for scenario assertions: [tick, from, to, message]. */
  readonly delivered: Array<{ tick: number; from: number; to: number; message: PbftMessage }> = [];
  recordDeliveries = false;
  decodeErrors = 0;
  /** Scenario hook at send time: return replacements (an empty list drops it), or null to send it as is. */
  intercept: ((from: number, to: number, message: PbftMessage) => PbftMessage[] | null) | null = null;
  /** Scenario hook at delivery: return true to drop the message. */
  drop: ((from: number, to: number, message: PbftMessage) => boolean) | null = null;
  #nextTx = 0;
  readonly #traceMessages: boolean;
  readonly #reachability: boolean;
  readonly #traceDebug: boolean;
  readonly #workloadPrng: Prng;

  constructor(options: ClusterOptions) {
    this.prng = new Prng(options.seed);
    this.n = options.n ?? 4;
    this.f = options.f ?? Math.floor((this.n - 1) / 3);
    this.#traceMessages = options.traceMessages ?? false;
    this.#reachability = options.reachability ?? false;
    this.#traceDebug = options.traceDebugNotes ?? false;
    this.network = new SimNetwork(this.prng.fork(), options.faults ?? NO_FAULTS);
    this.#workloadPrng = this.prng.fork();
    const keys = new SimKeys(this.n, options.seed);
    const byzantine = new Map((options.byzantine ?? []).map((b) => [b.id, b.behaviours]));
    this.hosts = [...Array(this.n).keys()].map((id) => {
      const behaviours = byzantine.get(id);
      const hostPrng = this.prng.fork();
      const replica = replicaOptions({
        ...options.replica,
        id,
        n: this.n,
        f: this.f,
        byzantine: behaviours?.includes('fabric-flag') ?? false,
        byzantineSeed: hostPrng.u32(),
      });
      const env = { digest: batchDigest, signer: keys.signerFor(id), ...(options.transactionsIn === undefined ? {} : { transactionsIn: options.transactionsIn }) };
      const rewriter = behaviours === undefined ? null : new ByzantineRewriter(id, this.n, behaviours, hostPrng.fork(), batchDigest);
      return new SimHost(id, replica, env, this, options.timing ?? INSTANT, hostPrng, rewriter);
    });
    for (const host of this.hosts) host.start();
  }

  // -------------------------------------------------------------------------------------------
  // running

  tick(): void {
    this.now++;
    for (const packet of this.network.due(this.now)) {
      const host = this.hosts[packet.to];
      if (host === undefined || !host.up) continue;
      let message: PbftMessage;
      try {
        message = decodeMessage(packet.bytes);
      } catch {
        this.decodeErrors++;
        continue;
      }
      if (this.drop !== null && this.drop(packet.from, packet.to, message)) continue;
      if (this.recordDeliveries) this.delivered.push({ tick: this.now, from: packet.from, to: packet.to, message });
      host.deliver(packet.from, message);
    }
    for (const host of this.hosts) host.step(this.now);
  }

  run(ticks: number): void {
    for (let i = 0; i < ticks; i++) this.tick();
  }

  /** Runs until the predicate holds (true) or maxTicks pass (false). */
  runUntil(predicate: () => boolean, maxTicks: number): boolean {
    for (let i = 0; i < maxTicks; i++) {
      if (predicate()) return true;
      this.tick();
    }
    return predicate();
  }

  // -------------------------------------------------------------------------------------------
  // scripting

  host(id: number): SimHost {
    const host = this.hosts[id];
    if (host === undefined) throw new RangeError(`no replica ${id}`);
    return host;
  }

  /** A client transaction to replica `to`; returns its id, or throws with the rejection. */
  submit(to: number, padding = 0): string {
    const id = `tx${this.#nextTx++}`;
    const host = this.host(to);
    const result = host.submit(txPayload(id, padding));
    if (!result.ok) throw new Error(`replica ${to} refused ${id}: ${result.error}`);
    this.liveness.accepted(id, to, this.now, host.correct);
    this.trace.add(this.now, to, 'submit', id);
    return id;
  }

  /** Submits at random ticks to random replicas (the VOPR's clients). */
  randomWorkload(permille: number, paddingMax: number): void {
    if (!this.#workloadPrng.chance(permille, 1000)) return;
    const to = this.#workloadPrng.int(this.n);
    const host = this.host(to);
    if (!host.up) return;
    const id = `tx${this.#nextTx++}`;
    const result = host.submit(txPayload(id, this.#workloadPrng.range(0, paddingMax)));
    if (result.ok) {
      this.liveness.accepted(id, to, this.now, host.correct);
      this.trace.add(this.now, to, 'submit', id);
    } else this.trace.add(this.now, to, 'refused', `${id}: ${result.error}`);
  }

  crash(id: number): void {
    const host = this.host(id);
    if (!host.up) return;
    host.crash();
    if (this.#reachability) for (const other of this.hosts) if (other.up) other.core?.setReachable(id, false);
    this.liveness.originCrashed(id);
    this.trace.add(this.now, id, 'crash', `lost ${host.storage.lostWrites} unsynced write(s) so far`);
  }

  restart(id: number): void {
    const host = this.host(id);
    if (host.up) return;
    host.start();
    if (this.#reachability) {
      for (const other of this.hosts) {
        if (other === host) continue;
        host.core?.setReachable(other.id, other.up);
        if (other.up) other.core?.setReachable(id, true);
      }
    }
    const s = host.core?.status();
    this.trace.add(this.now, id, 'restart', s ? `view ${s.view} h ${s.h} lastExec ${s.lastExec}` : '');
  }

  /** Hands a message to replica `to` as if `from` had sent it (bypassing the network). */
  inject(from: number, to: number, message: PbftMessage): void {
    this.host(to).deliver(from, message);
  }

  status(id: number): ReturnType<NonNullable<SimHost['core']>['status']> {
    const core = this.host(id).core;
    if (core === null) throw new Error(`replica ${id} is down`);
    return core.status();
  }

  /** Whether every listed replica has executed every listed transaction. */
  executedEverywhere(ids: readonly string[], replicas: readonly number[] = this.hosts.map((h) => h.id)): boolean {
    return replicas.every((r) => ids.every((id) => this.host(r).ledger.hasExecuted(id)));
  }

  correctHosts(): SimHost[] {
    return this.hosts.filter((h) => h.correct);
  }

  // -------------------------------------------------------------------------------------------
  // HostWorld

  send(from: SimHost, out: Outbound): void {
    const targets = out.to === 'all' ? this.hosts.map((h) => h.id).filter((id) => id !== from.id) : [out.to];
    let shared: Uint8Array | null = null;
    for (const to of targets) {
      const replaced = this.intercept?.(from.id, to, out.message) ?? null;
      if (replaced !== null) {
        for (const message of replaced) this.#emit(from.id, to, message, encodeMessage(message));
        continue;
      }
      if (from.byzantine === null) {
        shared ??= encodeMessage(out.message);
        this.#emit(from.id, to, out.message, shared);
        continue;
      }
      for (const emission of from.byzantine.rewrite(to, out.message)) {
        const bytes = 'bytes' in emission ? emission.bytes : encodeMessage(emission.message);
        this.#emit(from.id, emission.to, 'message' in emission ? emission.message : null, bytes);
      }
    }
  }

  #emit(from: number, to: number, message: PbftMessage | null, bytes: Uint8Array): void {
    if (this.#traceMessages) this.trace.add(this.now, from, 'send', `→r${to} ${message === null ? `${bytes.length} garbage bytes` : describe(message)}`);
    this.network.send(from, to, bytes, this.now);
  }

  donorFor(host: SimHost, target: StateTransferTarget): ToyLedger | null {
    const { height, blockHash } = decodeCheckpointId(target.checkpointId);
    const candidates = [...target.replicas, ...this.hosts.map((h) => h.id)];
    for (const id of candidates) {
      const donor = this.hosts[id];
      // A real transfer verifies the hash chain, so only a ledger with exactly that block can serve it.
      if (donor === undefined || donor === host || !donor.correct) continue;
      const block = donor.ledger.blockAt(height);
      if (block !== undefined && Buffer.from(block.blockHash).equals(Buffer.from(blockHash))) return donor.ledger;
    }
    return null;
  }

  onReady(host: SimHost, ready: Ready): void {
    for (const note of ready.notes) {
      if (note.level !== 'debug' || this.#traceDebug) this.trace.add(this.now, host.id, note.level, note.text.replace(/^replica \d+: /, ''));
    }
    if (!host.correct) return;
    for (const out of ready.messages) {
      if (out.message.type === 'checkpoint' && out.message.replicaId === host.id) this.safety.checkpoint(host.id, out.message.seqNo, out.message.id);
    }
  }

  onExecuted(host: SimHost, batch: ExecuteBatch, block: ToyBlock, repeated: string[]): void {
    this.trace.add(this.now, host.id, 'execute', `seqNo ${batch.seqNo} block ${block.height} ${batch.transactions.length} tx ${batch.digest.slice(0, 8)}`);
    if (host.correct) this.safety.executed(host.id, batch, block, repeated);
  }

  onStateTransferred(host: SimHost, target: StateTransferTarget): void {
    this.trace.add(this.now, host.id, 'transferred', `to seqNo ${target.seqNo} (height ${host.ledger.height})`);
  }
}

export function describe(message: PbftMessage): string {
  switch (message.type) {
    case 'request':
      return `request ${message.request.origin}:${message.request.counter}`;
    case 'pre-prepare':
      return `pre-prepare v${message.view} n${message.seqNo} ${message.digest.slice(0, 8) || 'null'} (${message.batch?.requests.length ?? 0} req)`;
    case 'prepare':
    case 'commit':
      return `${message.type} v${message.view} n${message.seqNo} ${message.digest.slice(0, 8) || 'null'}`;
    case 'checkpoint':
      return `checkpoint n${message.seqNo}`;
    case 'view-change':
      return `view-change v${message.view} h${message.h} P[${message.pset.map((p) => `${p.seqNo}:${p.digest.slice(0, 6) || 'null'}@${p.view}`).join(' ')}] Q[${message.qset.map((q) => `${q.seqNo}:${q.digest.slice(0, 6) || 'null'}@${q.view}`).join(' ')}]`;
    case 'new-view':
      return `new-view v${message.view} X[${message.xset.map((x) => `${x.seqNo}:${x.digest.slice(0, 8) || 'null'}`).join(' ')}] from ${message.vset.map((v) => v.replicaId).join(',')}`;
    case 'fetch-request-batch':
      return `fetch ${message.digest.slice(0, 8)}`;
    case 'return-request-batch':
      return `return batch (${message.batch.requests.length} req)`;
    case 'status':
      return `status v${message.view}${message.activeView ? '' : '*'} exec ${message.lastExec} h ${message.h}`;
  }
}
