// A small metrics registry that writes Prometheus' text exposition format (version 0.0.4):
// counters, gauges and histograms, with labels, and values that may be read at scrape time from
// what the peer already keeps. It does what a peer's /metrics needs and nothing more (no process
// metrics, no summaries, no push); ARCHITECTURE.md says why not prom-client.

/** The Content-Type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Label sets one metric may hold: labels come from bounded sets (routes, methods), but a bound keeps a mistake from growing memory. */
export const SERIES_PER_METRIC_MAX = 1_000;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export type Labels = Readonly<Record<string, string>>;
type MetricType = 'counter' | 'gauge' | 'histogram';

/** A value read when the metrics are scraped; undefined leaves the series out (e.g. no PBFT on a noops peer). */
export type Reading = number | undefined | ReadonlyArray<{ labels: Labels; value: number }>;

function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

/** A sample value as the format writes it (Go's float formatting for the special values). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/** Label values in the metric's label order, as one map key. */
function seriesKey(labelNames: readonly string[], labels: Labels): string {
  return JSON.stringify(labelNames.map((name) => labels[name] ?? ''));
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: MetricType;

  constructor(name: string, help: string, labelNames: readonly string[]) {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith('__') || label === 'le') throw new Error(`invalid label name "${label}" on ${name}`);
    }
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  /** Only the metric's own label names, each present (missing ones are ""). */
  protected normalise(labels: Labels): Labels {
    const out: Record<string, string> = {};
    for (const name of this.labelNames) out[name] = labels[name] ?? '';
    return out;
  }

  render(lines: string[]): void {
    const samples = this.samples();
    if (samples.length === 0) return;
    lines.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`, ...samples);
  }

  protected abstract samples(): string[];
}

/** A counter or a gauge: values per label set, kept here or read at scrape time. */
class ValueMetric extends Metric {
  readonly type: 'counter' | 'gauge';
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  readonly #read: (() => Reading) | undefined;

  constructor(type: 'counter' | 'gauge', name: string, help: string, labelNames: readonly string[], read?: () => Reading) {
    super(name, help, labelNames);
    this.type = type;
    this.#read = read;
  }

  protected change(labels: Labels, update: (current: number) => number): void {
    const normal = this.normalise(labels);
    const key = seriesKey(this.labelNames, normal);
    const series = this.#values.get(key);
    if (series) series.value = update(series.value);
    else if (this.#values.size < SERIES_PER_METRIC_MAX) this.#values.set(key, { labels: normal, value: update(0) });
  }

  /** The value kept for a label set (0 if none); tests and callers that derive from it. */
  get(labels: Labels = {}): number {
    return this.#values.get(seriesKey(this.labelNames, this.normalise(labels)))?.value ?? 0;
  }

  protected samples(): string[] {
    const lines: string[] = [];
    for (const { labels, value } of this.#values.values()) lines.push(`${this.name}${formatLabels(labels)} ${formatValue(value)}`);
    if (this.#read) {
      const reading = this.#read();
      if (typeof reading === 'number') lines.push(`${this.name} ${formatValue(reading)}`);
      else if (reading !== undefined) {
        for (const { labels, value } of reading.slice(0, SERIES_PER_METRIC_MAX)) lines.push(`${this.name}${formatLabels(this.normalise(labels))} ${formatValue(value)}`);
      }
    }
    return lines;
  }
}

export class Counter extends ValueMetric {
  constructor(name: string, help: string, labelNames: readonly string[] = [], read?: () => Reading) {
    if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    super('counter', name, help, labelNames, read);
  }

  inc(amount = 1, labels: Labels = {}): void {
    if (!(amount >= 0) || !Number.isFinite(amount)) throw new Error(`counter ${this.name} can only go up, by a finite amount (got ${amount})`);
    this.change(labels, (current) => current + amount);
  }
}

export class Gauge extends ValueMetric {
  constructor(name: string, help: string, labelNames: readonly string[] = [], read?: () => Reading) {
    super('gauge', name, help, labelNames, read);
  }

  set(value: number, labels: Labels = {}): void {
    this.change(labels, () => value);
  }
}

/** Cumulative buckets with upper bounds (le), a sum and a count, per label set. */
export class Histogram extends Metric {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []) {
    super(name, help, labelNames);
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
      throw new Error(`histogram ${name}: buckets must be finite and increasing`);
    }
    this.buckets = buckets;
  }

  observe(value: number, labels: Labels = {}): void {
    if (!Number.isFinite(value)) return;
    const normal = this.normalise(labels);
    const key = seriesKey(this.labelNames, normal);
    let series = this.#series.get(key);
    if (!series) {
      if (this.#series.size >= SERIES_PER_METRIC_MAX) return;
      series = { labels: normal, counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    // Counts per bucket, not cumulative: an observation lands in the first bucket that holds it.
    const index = this.buckets.findIndex((bound) => value <= bound);
    if (index >= 0) series.counts[index]!++;
    series.sum += value;
    series.count++;
  }

  /** Observations of a label set (tests). */
  count(labels: Labels = {}): number {
    return this.#series.get(seriesKey(this.labelNames, this.normalise(labels)))?.count ?? 0;
  }

  protected samples(): string[] {
    const lines: string[] = [];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      let cumulative = 0;
      for (const [i, bound] of this.buckets.entries()) {
        cumulative += counts[i]!;
        lines.push(`${this.name}_bucket${formatLabels(labels, ['le', formatValue(bound)])} ${cumulative}`);
      }
      lines.push(`${this.name}_bucket${formatLabels(labels, ['le', '+Inf'])} ${count}`);
      lines.push(`${this.name}_sum${formatLabels(labels)} ${formatValue(sum)}`);
      lines.push(`${this.name}_count${formatLabels(labels)} ${count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  #add<T extends Metric>(metric: T): T {
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  counter(name: string, help: string, options: { labels?: readonly string[]; read?: () => Reading } = {}): Counter {
    return this.#add(new Counter(name, help, options.labels, options.read));
  }

  gauge(name: string, help: string, options: { labels?: readonly string[]; read?: () => Reading } = {}): Gauge {
    return this.#add(new Gauge(name, help, options.labels, options.read));
  }

  histogram(name: string, help: string, buckets: readonly number[], options: { labels?: readonly string[] } = {}): Histogram {
    return this.#add(new Histogram(name, help, buckets, options.labels));
  }

  /** Every metric in the text format, in registration order; a metric without samples is left out. */
  render(): string {
    const lines: string[] = [];
    for (const metric of this.#metrics.values()) metric.render(lines);
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}
