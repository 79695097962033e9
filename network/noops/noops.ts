// The noops consensus plugin (Fabric's consensus/noops): no agreement at all. Transactions are
// queued and cut into a batch when `block.size` of them wait or `block.wait` has passed since the
// first; batches execute one at a time. On a network, each validator also broadcasts the
// transactions it receives to the others, which batch and commit them on their own (as in Fabric,
// their blocks may differ; there is no catch-up). Use pbft when peers must agree.
import type { ConsensusPlugin, ConsensusStack, ConsensusStatus } from '../consensus.ts';

export interface NoopsOptions {
  /** Transactions per block (CORE_NOOPS_BLOCK_SIZE, Fabric default 500). */
  blockSize: number;
  /** Milliseconds after the first queued transaction before a partial block is cut (Fabric default 1s). */
  blockWaitMs: number;
  /** Transactions that may wait; beyond it submit() rejects. */
  queueMax: number;
  /** Sends a transaction to the other validators (network mode); absent on a single peer. */
  broadcast?: (transaction: Uint8Array) => void;
  /** Reports a failed batch execution (the batch is lost to this peer; noops has no recovery). */
  onError?: (error: Error) => void;
}

export class NoopsConsensus implements ConsensusPlugin {
  readonly #stack: ConsensusStack;
  readonly #options: NoopsOptions;
  #queue: Uint8Array[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #stopped = true;
  #blocksCut = 0;

  constructor(stack: ConsensusStack, options: NoopsOptions) {
    if (!Number.isInteger(options.blockSize) || options.blockSize < 1) throw new Error('noops block.size must be a positive integer');
    if (!(options.blockWaitMs >= 0)) throw new Error('noops block.wait must be a non-negative duration');
    this.#stack = stack;
    this.#options = options;
  }

  async start(): Promise<void> {
    this.#stopped = false;
  }

  /** Stops accepting transactions, cuts what is queued into a last block and waits for it. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#cut();
    await this.#running;
  }

  async submit(transaction: Uint8Array): Promise<void> {
    this.#accept(transaction);
    this.#options.broadcast?.(transaction);
  }

  /** A transaction another validator broadcast to us. */
  receive(transaction: Uint8Array): void {
    try {
      this.#accept(transaction);
    } catch {
      // Dropped: the sender's own peer still commits it; noops makes no promise to others.
    }
  }

  status(): ConsensusStatus {
    return {
      plugin: 'noops',
      queued: this.#queue.length,
      blocksCut: this.#blocksCut,
      blockSize: this.#options.blockSize,
      blockWaitMs: this.#options.blockWaitMs,
    };
  }

  #accept(transaction: Uint8Array): void {
    if (this.#stopped) throw new Error('consensus is stopping; transaction not accepted');
    if (this.#queue.length + this.#inFlight >= this.#options.queueMax) {
      throw new Error(`transaction queue is full (${this.#options.queueMax} waiting); try again later`);
    }
    this.#queue.push(transaction);
    if (this.#queue.length >= this.#options.blockSize) this.#cut();
    else if (this.#timer === undefined) this.#timer = setTimeout(() => this.#cut(), this.#options.blockWaitMs);
  }

  #cut(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#queue.length === 0) return;
    const transactions = this.#queue.splice(0, this.#options.blockSize);
    if (this.#queue.length > 0) this.#timer = setTimeout(() => this.#cut(), this.#options.blockWaitMs);
    this.#blocksCut++;
    this.#inFlight += transactions.length;
    this.#running = this.#running.then(async () => {
      try {
        await this.#stack.execute({ transactions, consensusMetadata: new Uint8Array(0) });
      } catch (error) {
        this.#options.onError?.(error as Error);
      } finally {
        this.#inFlight -= transactions.length;
      }
    });
  }
}
