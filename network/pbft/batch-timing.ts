// Where a batch's time goes on this replica, by the wall clock the plugin owns (the core has
// none): ordering, from its pre-prepare first seen or sent until its execution starts (the three
// phases plus any wait for the batches before it), and execution, from then until its block is
// committed. The peer turns each into a histogram for /metrics; the last batches' summary goes to
// /weft/status, so a slow network shows whether agreement or execution holds it up.

/** One executed batch, as the plugin timed it. */
export interface BatchTiming {
  seqNo: number;
  transactions: number;
  /** Pre-prepare to execution start; null if this replica never saw the pre-prepare (a new view's or a repaired batch). */
  orderingMs: number | null;
  executionMs: number;
}

export interface BatchTimingSummary {
  /** Batches the figures below cover: the last ones executed, at most RECENT_BATCHES. */
  batches: number;
  transactionsPerBatch: number;
  /** Over those of them whose pre-prepare this replica saw. */
  orderingMs: { mean: number; max: number };
  executionMs: { mean: number; max: number };
}

/** Batches /weft/status summarises. */
export const RECENT_BATCHES = 64;
/**
 * Pre-prepare times kept at once. Seen before the core checks them, so a faulty replica could
 * send any seqNos: the oldest are forgotten beyond this (the window L is far smaller).
 */
export const PRE_PREPARES_TRACKED_MAX = 1_024;

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

export class BatchTimings {
  readonly #prePreparedAt = new Map<number, number>();
  readonly #recent: BatchTiming[] = [];
  #next = 0;

  /** A pre-prepare for seqNo was seen or sent at `now` (ms); only the first counts. */
  prePrepared(seqNo: number, now: number): void {
    if (!Number.isSafeInteger(seqNo) || this.#prePreparedAt.has(seqNo)) return;
    if (this.#prePreparedAt.size >= PRE_PREPARES_TRACKED_MAX) {
      const oldest = this.#prePreparedAt.keys().next().value as number;
      this.#prePreparedAt.delete(oldest);
    }
    this.#prePreparedAt.set(seqNo, now);
  }

  /** Batch seqNo ran from startedAt to endedAt (ms); forgets it and every seqNo below. */
  executed(seqNo: number, transactions: number, startedAt: number, endedAt: number): BatchTiming {
    const prePrepared = this.#prePreparedAt.get(seqNo);
    this.forgetThrough(seqNo);
    const timing: BatchTiming = {
      seqNo,
      transactions,
      orderingMs: prePrepared === undefined ? null : Math.max(0, startedAt - prePrepared),
      executionMs: Math.max(0, endedAt - startedAt),
    };
    if (this.#recent.length < RECENT_BATCHES) this.#recent.push(timing);
    else this.#recent[this.#next] = timing;
    this.#next = (this.#next + 1) % RECENT_BATCHES;
    return timing;
  }

  /** Forgets pre-prepares at or below seqNo (executed, or passed by a state transfer). */
  forgetThrough(seqNo: number): void {
    for (const tracked of this.#prePreparedAt.keys()) if (tracked <= seqNo) this.#prePreparedAt.delete(tracked);
  }

  get tracked(): number {
    return this.#prePreparedAt.size;
  }

  summary(): BatchTimingSummary {
    const batches = this.#recent.length;
    if (batches === 0) return { batches: 0, transactionsPerBatch: 0, orderingMs: { mean: 0, max: 0 }, executionMs: { mean: 0, max: 0 } };
    let transactions = 0;
    let ordered = 0;
    let ordering = 0;
    let execution = 0;
    let orderingMax = 0;
    let executionMax = 0;
    for (const t of this.#recent) {
      transactions += t.transactions;
      if (t.orderingMs !== null) {
        ordered++;
        ordering += t.orderingMs;
        orderingMax = Math.max(orderingMax, t.orderingMs);
      }
      execution += t.executionMs;
      executionMax = Math.max(executionMax, t.executionMs);
    }
    return {
      batches,
      transactionsPerBatch: round1(transactions / batches),
      orderingMs: { mean: ordered === 0 ? 0 : round1(ordering / ordered), max: round1(orderingMax) },
      executionMs: { mean: round1(execution / batches), max: round1(executionMax) },
    };
  }
}
