// The heights of the peers this one is connected to, for the explorer's network view: each is
// asked for its head over the 'sync' channel (the request state transfer already serves), in
// parallel, with a short timeout. Answers are cached briefly and concurrent callers share one
// round, so many open explorer pages do not multiply the requests a peer sends.
import type { PeerTransport } from '../../network/transport/types.ts';
import { decodeHeadAnswer, encodeSyncRequest } from '../peer/sync-messages.ts';

/** Milliseconds a peer gets to answer with its head. */
const HEAD_TIMEOUT_MS = 1_500;
/** Milliseconds the heights are reused before peers are asked again. */
const CACHE_MS = 1_000;

export interface PeerHeight {
  id: string;
  address: string;
  validator: boolean;
  /** Its chain height, if it answered. */
  height: number | null;
  /** Why there is no height. */
  error?: string;
}

export class PeerHeights {
  readonly #transport: () => Pick<PeerTransport, 'connected' | 'request'> | undefined;
  #cached: { at: number; heights: PeerHeight[] } | undefined;
  #round: Promise<PeerHeight[]> | undefined;

  constructor(transport: () => Pick<PeerTransport, 'connected' | 'request'> | undefined) {
    this.#transport = transport;
  }

  /** The connected members with their heights; [] for a peer without a network. */
  list(): Promise<PeerHeight[]> {
    const now = performance.now();
    if (this.#cached && now - this.#cached.at < CACHE_MS) return Promise.resolve(this.#cached.heights);
    this.#round ??= this.#ask().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  async #ask(): Promise<PeerHeight[]> {
    const transport = this.#transport();
    if (!transport) return [];
    const request = encodeSyncRequest({ kind: 'head' });
    const heights = await Promise.all(
      transport.connected().map(async (peer): Promise<PeerHeight> => {
        const base = { id: peer.id, address: peer.address, validator: peer.validator };
        try {
          const head = decodeHeadAnswer(await transport.request(peer.id, 'sync', request, HEAD_TIMEOUT_MS));
          return { ...base, height: head.height };
        } catch (error) {
          return { ...base, height: null, error: (error as Error).message };
        }
      }),
    );
    this.#cached = { at: performance.now(), heights };
    return heights;
  }
}
