// Figures of a benchmark run: latency percentiles (nearest rank), and a timeline of what
// happened in each second (committed transactions, their latency) for the report and the plot.

/** The p-th percentile by the nearest-rank method: the smallest value with at least p % of the values at or below it. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be from 0 to 100, got ${p}`);
  const sorted = Float64Array.from(values).sort();
  return percentileOfSorted(sorted, p);
}

function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export interface LatencySummary {
  count: number;
  mean: number;
  median: number;
  p95: number;
  p99: number;
  max: number;
}

/** Count, mean, median, 95th and 99th percentile and maximum (NaN for no values). */
export function summarize(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    median: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

/** What happened in one interval of the run, [t, t + bucket seconds). */
export interface TimelinePoint {
  /** Seconds from the start of the run to the start of this interval. */
  t: number;
  sent: number;
  committed: number;
  /** Committed per second in this interval. */
  committedPerSecond: number;
  /** Latency of the transactions committed in this interval (NaN if none). */
  latencyMedianMs: number;
  latencyP95Ms: number;
}

/** Collects sends and commits by time, relative to the run's start. */
export class Timeline {
  readonly #startMs: number;
  readonly #bucketMs: number;
  readonly #sent: number[] = [];
  readonly #latencies: number[][] = [];

  constructor(startMs: number, bucketMs = 1_000) {
    if (!(bucketMs > 0)) throw new RangeError(`bucket must be positive, got ${bucketMs}`);
    this.#startMs = startMs;
    this.#bucketMs = bucketMs;
  }

  #bucket(atMs: number): number {
    return Math.max(0, Math.floor((atMs - this.#startMs) / this.#bucketMs));
  }

  recordSend(atMs: number): void {
    const b = this.#bucket(atMs);
    this.#sent[b] = (this.#sent[b] ?? 0) + 1;
  }

  /** A commit observed at atMs, latencyMs after its send. */
  recordCommit(atMs: number, latencyMs: number): void {
    const b = this.#bucket(atMs);
    (this.#latencies[b] ??= []).push(latencyMs);
  }

  /** One point per interval from the start to the last interval with a send or a commit. */
  points(): TimelinePoint[] {
    const length = Math.max(this.#sent.length, this.#latencies.length);
    const seconds = this.#bucketMs / 1000;
    const points: TimelinePoint[] = [];
    for (let b = 0; b < length; b++) {
      const latencies = this.#latencies[b] ?? [];
      const sorted = Float64Array.from(latencies).sort();
      points.push({
        t: b * seconds,
        sent: this.#sent[b] ?? 0,
        committed: latencies.length,
        committedPerSecond: latencies.length / seconds,
        latencyMedianMs: percentileOfSorted(sorted, 50),
        latencyP95Ms: percentileOfSorted(sorted, 95),
      });
    }
    return points;
  }
}

/** Mean committed/s over the points whose interval starts in [fromS, toS) (NaN if none). */
export function meanThroughput(points: readonly TimelinePoint[], fromS: number, toS: number): number {
  const inside = points.filter((p) => p.t >= fromS && p.t < toS);
  if (inside.length === 0) return Number.NaN;
  return inside.reduce((sum, p) => sum + p.committedPerSecond, 0) / inside.length;
}
