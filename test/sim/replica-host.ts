// One simulated peer: the real PBFT core driven exactly as network/pbft/pbft-plugin.ts drives it
// (drain Ready → persist durably → then send → execute one batch at a time → state transfer),
// but over simulated storage (with write latency and crash loss), a toy ledger and virtual time.
// While a write is in flight the host feeds the core nothing, as the plugin awaits its write.
import { checkpointIdOf, decodeCheckpointId } from '../../network/pbft/codec.ts';
import type { PbftMessage } from '../../network/pbft/messages.ts';
import type { ReplicaOptions } from '../../network/pbft/options.ts';
import type { ExecuteBatch, Outbound, Ready, StateTransferTarget } from '../../network/pbft/ready.ts';
import { PbftReplica, type ReplicaEnvironment } from '../../network/pbft/replica.ts';
import type { ByzantineRewriter } from './byzantine.ts';
import type { Prng } from './prng.ts';
import { SimStorage } from './sim-storage.ts';
import { ToyLedger, type ToyBlock } from './toy-ledger.ts';

export interface HostTiming {
  writeLatencyMax: number;
  executeLatencyMax: number;
  transferLatencyMin: number;
  transferLatencyMax: number;
}

/** What a host needs from the simulated world around it. */
export interface HostWorld {
  send(from: SimHost, out: Outbound): void;
  /** A ledger that has the target's block (a correct replica's, as a verified state transfer would get). */
  donorFor(host: SimHost, target: StateTransferTarget): ToyLedger | null;
  onReady(host: SimHost, ready: Ready): void;
  onExecuted(host: SimHost, batch: ExecuteBatch, block: ToyBlock, repeated: string[]): void;
  onStateTransferred(host: SimHost, target: StateTransferTarget): void;
}

type Completion = { kind: 'executed'; batch: ExecuteBatch; checkpointId: string } | { kind: 'transferred'; target: StateTransferTarget };

/** Messages one host takes from its inbox per tick; the rest wait (the plugin's bounded feed). */
const INBOX_PER_TICK_MAX = 2_000;
const INBOX_MAX = 20_000;

export class SimHost {
  readonly id: number;
  readonly options: ReplicaOptions;
  readonly env: ReplicaEnvironment;
  readonly ledger = new ToyLedger();
  readonly storage = new SimStorage();
  readonly byzantine: ByzantineRewriter | null;
  core: PbftReplica | null = null;
  stateValid = true;
  crashes = 0;
  inboxDropped = 0;
  readonly #world: HostWorld;
  readonly #timing: HostTiming;
  readonly #prng: Prng;
  #inbox: Array<{ from: number; message: PbftMessage }> = [];
  #held: { ready: Ready; sendAt: number } | null = null;
  #executing: { batch: ExecuteBatch; doneAt: number } | null = null;
  #transfer: { target: StateTransferTarget; doneAt: number } | null = null;
  #completions: Completion[] = [];

  constructor(id: number, options: ReplicaOptions, env: ReplicaEnvironment, world: HostWorld, timing: HostTiming, prng: Prng, byzantine: ByzantineRewriter | null) {
    this.id = id;
    this.options = options;
    this.env = env;
    this.#world = world;
    this.#timing = timing;
    this.#prng = prng;
    this.byzantine = byzantine;
  }

  get up(): boolean {
    return this.core !== null;
  }

  get correct(): boolean {
    return this.byzantine === null;
  }

  start(): void {
    this.core = PbftReplica.restore(this.options, this.env, this.storage.load(), this.ledger.headState());
    this.stateValid = true;
  }

  crash(): void {
    this.core = null;
    this.crashes++;
    this.storage.crash();
    this.#inbox = [];
    this.#held = null;
    this.#executing = null;
    this.#transfer = null;
    this.#completions = [];
  }

  deliver(from: number, message: PbftMessage): void {
    if (this.core === null) return;
    if (this.#inbox.length >= INBOX_MAX) {
      this.inboxDropped++;
      return;
    }
    this.#inbox.push({ from, message });
  }

  /** A client transaction submitted to this peer. */
  submit(payload: Uint8Array): { ok: true } | { ok: false; error: string } {
    if (this.core === null) return { ok: false, error: 'peer is down' };
    const result = this.core.request(payload);
    return result.ok ? { ok: true } : result;
  }

  /** One tick of virtual time for this host. */
  step(now: number): void {
    const core = this.core;
    if (core === null) return;
    this.storage.settle(now);
    this.#collectCompletions(now);
    if (this.#held !== null) {
      if (now < this.#held.sendAt) return;
      const held = this.#held.ready;
      this.#held = null;
      this.#dispatch(held, now);
    }
    for (const completion of this.#completions.splice(0)) {
      if (completion.kind === 'executed') core.executed(completion.batch.seqNo, completion.checkpointId);
      else this.#finishTransfer(core, completion.target);
      if (this.#drain(now)) return;
    }
    const inbox = this.#inbox.splice(0, INBOX_PER_TICK_MAX);
    for (const { from, message } of inbox) core.step(from, message);
    core.tick();
    this.#drain(now);
  }

  #collectCompletions(now: number): void {
    if (this.#executing !== null && now >= this.#executing.doneAt) {
      const { batch } = this.#executing;
      this.#executing = null;
      const { block, repeated } = this.ledger.execute(batch.transactions, batch.consensusMetadata);
      this.#world.onExecuted(this, batch, block, repeated);
      this.#completions.push({ kind: 'executed', batch, checkpointId: checkpointIdOf(block) });
    }
    if (this.#transfer !== null && now >= this.#transfer.doneAt) {
      const { target } = this.#transfer;
      this.#transfer = null;
      this.#completions.push({ kind: 'transferred', target });
    }
  }

  #finishTransfer(core: PbftReplica, target: StateTransferTarget): void {
    const donor = this.#world.donorFor(this, target);
    if (donor === null) return core.stateTransferFailed();
    const { height } = decodeCheckpointId(target.checkpointId);
    this.ledger.copyFrom(donor, height);
    this.#world.onStateTransferred(this, target);
    core.stateTransferred(this.ledger.headState());
  }

  /** Drains the core; returns true when a write is now in flight (inputs must wait). */
  #drain(now: number): boolean {
    const core = this.core;
    while (core !== null && this.#held === null && core.hasReady()) {
      const ready = core.ready();
      this.#world.onReady(this, ready);
      if (ready.persist.size > 0) {
        const latency = this.#prng.range(0, this.#timing.writeLatencyMax);
        this.storage.write(ready.persist, now, latency);
        if (latency > 0) {
          this.#held = { ready, sendAt: now + latency };
          return true;
        }
      }
      this.#dispatch(ready, now);
    }
    return this.#held !== null;
  }

  #dispatch(ready: Ready, now: number): void {
    for (const out of ready.messages) this.#world.send(this, out);
    if (ready.execute !== null) {
      if (this.#executing !== null) throw new Error(`replica ${this.id} asked to execute ${ready.execute.seqNo} while executing ${this.#executing.batch.seqNo}`);
      this.#executing = { batch: ready.execute, doneAt: now + this.#prng.range(0, this.#timing.executeLatencyMax) };
    }
    if (ready.stateTransfer !== null) {
      this.#transfer = { target: ready.stateTransfer, doneAt: now + this.#prng.range(this.#timing.transferLatencyMin, this.#timing.transferLatencyMax) };
    }
    if (ready.stateValid !== null) this.stateValid = ready.stateValid;
  }
}
