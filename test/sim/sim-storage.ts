// Simulated durable storage of one replica's consensus keys: a write becomes durable only when
// its latency has passed; a crash before that loses it (and every later write), as an unsynced
// write would be lost on a real disk.

interface PendingWrite {
  changes: Map<string, Uint8Array | null>;
  durableAt: number;
}

export class SimStorage {
  readonly #durable = new Map<string, Uint8Array>();
  #pending: PendingWrite[] = [];
  writes = 0;
  lostWrites = 0;

  /** Starts a write; it is durable at `now + latency` (immediately for 0). */
  write(changes: Map<string, Uint8Array | null>, now: number, latency: number): void {
    this.writes++;
    this.#pending.push({ changes, durableAt: now + latency });
    this.settle(now);
  }

  /** Applies writes whose latency has passed, in order. */
  settle(now: number): void {
    while (this.#pending.length > 0 && (this.#pending[0] as PendingWrite).durableAt <= now) {
      const write = this.#pending.shift() as PendingWrite;
      for (const [key, value] of write.changes) {
        if (value === null) this.#durable.delete(key);
        else this.#durable.set(key, value);
      }
    }
  }

  get pendingWrites(): number {
    return this.#pending.length;
  }

  /** Unsynced writes are lost. */
  crash(): void {
    this.lostWrites += this.#pending.length;
    this.#pending = [];
  }

  load(): Map<string, Uint8Array> {
    return new Map(this.#durable);
  }
}
