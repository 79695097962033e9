// Which requests have executed, so that none executes twice: per origin replica, every counter up
// to `low` plus a few ranges above it. The record after each batch travels in that block's
// consensus metadata, so a replica that restarts, or catches up by state transfer, recovers
// exactly the record every other replica has at that sequence number: the filter applied at
// execution is a function of the chain, hence deterministic across replicas.
import { DEDUP_RANGES_PER_ORIGIN_MAX } from './constants.ts';

/** One origin's executed counters: 1…low, and each [start, end] range (sorted, disjoint, not touching low or each other). */
export interface DedupMark {
  origin: number;
  low: number;
  ranges: Array<[number, number]>;
}

export class ExecutedRequests {
  readonly #marks = new Map<number, DedupMark>();

  static from(marks: readonly DedupMark[]): ExecutedRequests {
    const record = new ExecutedRequests();
    for (const mark of marks) {
      record.#marks.set(mark.origin, { origin: mark.origin, low: mark.low, ranges: mark.ranges.map(([a, b]) => [a, b]) });
    }
    return record;
  }

  has(origin: number, counter: number): boolean {
    const mark = this.#marks.get(origin);
    if (mark === undefined) return false;
    if (counter <= mark.low) return true;
    for (const [start, end] of mark.ranges) {
      if (counter < start) return false;
      if (counter <= end) return true;
    }
    return false;
  }

  /**
   * Records an executed counter. When an origin has too many gaps, its lowest range is folded into
   * `low`: counters in that gap then count as executed, so a request that waited that long is
   * refused rather than the record growing without bound.
   */
  add(origin: number, counter: number): void {
    let mark = this.#marks.get(origin);
    if (mark === undefined) {
      mark = { origin, low: 0, ranges: [] };
      this.#marks.set(origin, mark);
    }
    if (counter <= mark.low) return;
    insertCounter(mark.ranges, counter);
    const first = mark.ranges[0];
    if (first !== undefined && first[0] === mark.low + 1) {
      mark.low = first[1];
      mark.ranges.shift();
    }
    while (mark.ranges.length > DEDUP_RANGES_PER_ORIGIN_MAX) {
      const folded = mark.ranges.shift() as [number, number];
      mark.low = folded[1];
    }
  }

  /** Highest counter of this origin known executed (for an origin that must not reuse counters). */
  highest(origin: number): number {
    const mark = this.#marks.get(origin);
    if (mark === undefined) return 0;
    const last = mark.ranges[mark.ranges.length - 1];
    return last === undefined ? mark.low : last[1];
  }

  clone(): ExecutedRequests {
    return ExecutedRequests.from([...this.#marks.values()]);
  }

  /** The record, origins ascending (the encoding is deterministic). */
  marks(): DedupMark[] {
    return [...this.#marks.values()].sort((a, b) => a.origin - b.origin).map((m) => ({ origin: m.origin, low: m.low, ranges: m.ranges.map(([a, b]) => [a, b]) }));
  }
}

/** Inserts a counter into sorted disjoint ranges, merging neighbours. */
function insertCounter(ranges: Array<[number, number]>, counter: number): void {
  let i = 0;
  while (i < ranges.length && (ranges[i] as [number, number])[1] < counter - 1) i++;
  const at = ranges[i];
  if (at === undefined || counter + 1 < at[0]) {
    ranges.splice(i, 0, [counter, counter]);
    return;
  }
  if (counter >= at[0] && counter <= at[1]) return;
  if (counter === at[1] + 1) {
    at[1] = counter;
    const next = ranges[i + 1];
    if (next !== undefined && next[0] === counter + 1) {
      at[1] = next[1];
      ranges.splice(i + 1, 1);
    }
    return;
  }
  at[0] = counter; // counter === at[0] - 1
}
