// The "plugin" of a non-validating peer (peer.validator.enabled: false): it orders nothing, it
// hands each client transaction to validators over the 'transaction' channel, as Fabric's
// non-validating peers forwarded to a validator. It sends to f+1 of them, so at least one correct
// validator receives it; consensus deduplicates the copies.
import type { ConsensusPlugin, ConsensusStatus } from '../consensus.ts';
import type { PeerTransport } from '../transport/types.ts';

export interface ForwardingOptions {
  /** The network's consensus plugin, reported in status(). */
  plugin: 'noops' | 'pbft';
  /** How many validators receive each transaction (f + 1). */
  fanout: number;
  /** Bytes of one transaction; larger ones are refused here rather than dropped by the transport. */
  transactionBytesMax: number;
}

export class ForwardingConsensus implements ConsensusPlugin {
  readonly #transport: PeerTransport;
  readonly #options: ForwardingOptions;
  #next = 0;
  #forwarded = 0;
  #running = false;

  constructor(transport: PeerTransport, options: ForwardingOptions) {
    if (!Number.isInteger(options.fanout) || options.fanout < 1) throw new Error('forwarding fanout must be a positive integer');
    this.#transport = transport;
    this.#options = options;
  }

  async start(): Promise<void> {
    this.#running = true;
  }

  async stop(): Promise<void> {
    this.#running = false;
  }

  async submit(transaction: Uint8Array): Promise<void> {
    if (!this.#running) throw new Error('peer is stopping; transaction not accepted');
    if (transaction.length > this.#options.transactionBytesMax) {
      throw new Error(`transaction of ${transaction.length} bytes exceeds ${this.#options.transactionBytesMax}`);
    }
    const validators = this.#transport.connected().filter((peer) => peer.validator);
    if (validators.length === 0) throw new Error('no validating peer is connected; cannot forward the transaction');
    // Rotate the starting validator so the load spreads over them.
    const count = Math.min(this.#options.fanout, validators.length);
    for (let i = 0; i < count; i++) {
      const target = validators[(this.#next + i) % validators.length];
      if (target) this.#transport.send(target.id, 'transaction', transaction);
    }
    this.#next = (this.#next + 1) % validators.length;
    this.#forwarded++;
  }

  status(): ConsensusStatus {
    return { plugin: this.#options.plugin, role: 'non-validating', forwarded: this.#forwarded, fanout: this.#options.fanout };
  }
}
