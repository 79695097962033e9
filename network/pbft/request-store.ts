// Client requests a replica knows of and has not yet seen executed (Fabric's requestStore):
// "pending" ones sit in a batch the current view has pre-prepared (or the primary's batch being
// filled), the others wait for a primary to order them. Bounded per origin, by count and bytes,
// so one replica flooding its own requests cannot crowd out the others'.
import { requestKey, type Request } from './messages.ts';

export interface StoredRequest {
  request: Request;
  key: string;
  /** Tick it arrived (for resending an origin's own requests that are not moving). */
  since: number;
  /**
   * Whether its origin's signature has been checked. A request that came straight from its origin
   * is authentic already (the transport authenticates senders) and is stored unchecked; a replica
   * checks it before it proposes it to others as primary, who may only see it second-hand.
   */
  verified: boolean;
}

export interface RequestStoreLimits {
  perOriginMax: number;
  bytesPerOriginMax: number;
}

export type AddResult = 'added' | 'known' | 'origin-full';

export class RequestStore {
  readonly #limits: RequestStoreLimits;
  /** Insertion order is arrival order: the primary orders the oldest first. */
  readonly #waiting = new Map<string, StoredRequest>();
  readonly #pending = new Map<string, StoredRequest>();
  readonly #perOrigin = new Map<number, { count: number; bytes: number }>();

  constructor(limits: RequestStoreLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#waiting.size + this.#pending.size;
  }

  get waitingCount(): number {
    return this.#waiting.size;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  get(key: string): StoredRequest | undefined {
    return this.#waiting.get(key) ?? this.#pending.get(key);
  }

  has(key: string): boolean {
    return this.#waiting.has(key) || this.#pending.has(key);
  }

  /** Whether the origin may add a request of this many bytes. */
  hasRoom(origin: number, bytes: number): boolean {
    const usage = this.#perOrigin.get(origin) ?? { count: 0, bytes: 0 };
    return usage.count < this.#limits.perOriginMax && usage.bytes + bytes <= this.#limits.bytesPerOriginMax;
  }

  add(request: Request, now: number, verified: boolean): AddResult {
    const key = requestKey(request);
    if (this.has(key)) return 'known';
    if (!this.hasRoom(request.origin, request.payload.length)) return 'origin-full';
    const usage = this.#perOrigin.get(request.origin) ?? { count: 0, bytes: 0 };
    usage.count++;
    usage.bytes += request.payload.length;
    this.#perOrigin.set(request.origin, usage);
    this.#waiting.set(key, { request, key, since: now, verified });
    return 'added';
  }

  remove(key: string): boolean {
    const stored = this.#waiting.get(key) ?? this.#pending.get(key);
    if (stored === undefined) return false;
    this.#waiting.delete(key);
    this.#pending.delete(key);
    const usage = this.#perOrigin.get(stored.request.origin);
    if (usage !== undefined) {
      usage.count--;
      usage.bytes -= stored.request.payload.length;
      if (usage.count === 0) this.#perOrigin.delete(stored.request.origin);
    }
    return true;
  }

  markPending(key: string): void {
    const stored = this.#waiting.get(key);
    if (stored === undefined) return;
    this.#waiting.delete(key);
    this.#pending.set(key, stored);
  }

  /** Every pending request waits again (a new view recomputes which are pending). */
  unmarkAllPending(): void {
    for (const [key, stored] of this.#pending) this.#waiting.set(key, stored);
    this.#pending.clear();
  }

  /** Waiting requests, oldest first. */
  *waiting(): IterableIterator<StoredRequest> {
    yield* this.#waiting.values();
  }

  *all(): IterableIterator<StoredRequest> {
    yield* this.#waiting.values();
    yield* this.#pending.values();
  }
}
