// How a non-validating peer keeps its ledger current: it takes no part in consensus, so it asks
// the validators for their heads and transfers state to a head that f+1 of them report (at least
// one of those is correct, so the block is committed). Fabric's non-validating peers received
// SYNC_BLOCK_ADDED from validators; asking on a period needs no trust in any single one.
import type { PeerTransport } from '../../network/transport/types.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { silentLogger, type Logger } from '../logging.ts';
import type { StateTransfer } from './state-transfer.ts';
import type { HeadAnswer } from './sync-messages.ts';

export interface ChainFollowerOptions {
  /** Milliseconds between two rounds of asking. */
  periodMs: number;
  /** Byzantine validators tolerated: a head counts once f+1 validators report it. */
  f: number;
  /** Milliseconds a validator has to answer. */
  timeoutMs: number;
  log?: Logger;
  /** Called with false while a transfer runs and true when the ledger is current again. */
  onStateValid?: (valid: boolean) => void;
}

/** The highest head reported identically by at least `quorum` peers, with the peers that reported it. */
export function agreedHead(reports: Array<{ peer: string; head: HeadAnswer }>, quorum: number): { height: number; blockHash: Uint8Array; peers: string[] } | undefined {
  const byHead = new Map<string, { height: number; blockHash: Uint8Array; peers: string[] }>();
  for (const { peer, head } of reports) {
    const key = `${head.height}:${Buffer.from(head.blockHash).toString('hex')}`;
    const entry = byHead.get(key) ?? { height: head.height, blockHash: head.blockHash, peers: [] };
    entry.peers.push(peer);
    byHead.set(key, entry);
  }
  let best: { height: number; blockHash: Uint8Array; peers: string[] } | undefined;
  for (const entry of byHead.values()) if (entry.peers.length >= quorum && (!best || entry.height > best.height)) best = entry;
  return best;
}

export class ChainFollower {
  readonly #transfer: StateTransfer;
  readonly #transport: PeerTransport;
  readonly #ledger: Ledger;
  readonly #options: ChainFollowerOptions;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> = Promise.resolve();

  constructor(transfer: StateTransfer, transport: PeerTransport, ledger: Ledger, options: ChainFollowerOptions) {
    this.#transfer = transfer;
    this.#transport = transport;
    this.#ledger = ledger;
    this.#options = options;
    this.#log = options.log ?? silentLogger;
  }

  start(): void {
    this.#timer = setInterval(() => {
      // One round at a time: a long transfer delays the next round instead of overlapping it.
      this.#round = this.#round.then(() => this.followOnce()).catch((error: Error) => this.#log.warning('Following the chain failed', { error: error.message }));
    }, this.#options.periodMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#round;
  }

  /** One round: ask every connected validator for its head and catch up to the agreed one. */
  async followOnce(): Promise<void> {
    const validators = this.#transport.connected().filter((peer) => peer.validator);
    const answers = await Promise.allSettled(validators.map(async (peer) => ({ peer: peer.id, head: await this.#transfer.head(peer.id) })));
    const reports = answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value] : []));
    const target = agreedHead(reports, this.#options.f + 1);
    if (!target || target.height <= this.#ledger.height()) return;
    this.#options.onStateValid?.(false);
    try {
      await this.#transfer.syncTo({ height: target.height, blockHash: target.blockHash }, target.peers);
    } finally {
      this.#options.onStateValid?.(!this.#ledger.stateStatus().behind);
    }
  }
}
