// The metrics registry writes Prometheus' text format exactly: HELP and TYPE lines, labels in
// order with escaping, cumulative histogram buckets with +Inf, sum and count; values read at
// scrape time; series left out when there is nothing to report; names and bounds checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry, SERIES_PER_METRIC_MAX, formatValue } from '../../host/metrics/registry.ts';

test('counters, gauges and a histogram in the text exposition format', () => {
  const registry = new MetricsRegistry();
  const requests = registry.counter('app_requests_total', 'Requests.\nBy route.', { labels: ['route', 'code'] });
  requests.inc(1, { route: '/chain', code: '200' });
  requests.inc(2, { route: '/chain', code: '200' });
  requests.inc(1, { route: 'say "hi"\\', code: '404' });
  let height = 5;
  registry.gauge('app_height', 'Height.', { read: () => height });
  registry.gauge('app_absent', 'Left out when read as undefined.', { read: () => undefined });
  const latency = registry.histogram('app_seconds', 'Latency.', [0.1, 1], { labels: ['route'] });
  latency.observe(0.05, { route: '/a' });
  latency.observe(0.1, { route: '/a' });
  latency.observe(3, { route: '/a' });
  height = 6;
  assert.equal(
    registry.render(),
    [
      '# HELP app_requests_total Requests.\\nBy route.',
      '# TYPE app_requests_total counter',
      'app_requests_total{route="/chain",code="200"} 3',
      'app_requests_total{route="say \\"hi\\"\\\\",code="404"} 1',
      '# HELP app_height Height.',
      '# TYPE app_height gauge',
      'app_height 6',
      '# HELP app_seconds Latency.',
      '# TYPE app_seconds histogram',
      'app_seconds_bucket{route="/a",le="0.1"} 2',
      'app_seconds_bucket{route="/a",le="1"} 2',
      'app_seconds_bucket{route="/a",le="+Inf"} 3',
      'app_seconds_sum{route="/a"} 3.15',
      'app_seconds_count{route="/a"} 3',
      '',
    ].join('\n'),
  );
  assert.equal(requests.get({ route: '/chain', code: '200' }), 3);
  assert.equal(latency.count({ route: '/a' }), 3);
});

test('readings with labels, special values, and what the registry refuses', () => {
  const registry = new MetricsRegistry();
  registry.gauge('info', 'Info.', { labels: ['peer'], read: () => [{ labels: { peer: 'vp0' }, value: 1 }] });
  registry.gauge('odd', 'Odd values.', { labels: ['v'], read: () => [{ labels: { v: 'inf' }, value: Infinity }, { labels: { v: 'nan' }, value: Number.NaN }] });
  assert.equal(registry.render(), '# HELP info Info.\n# TYPE info gauge\ninfo{peer="vp0"} 1\n# HELP odd Odd values.\n# TYPE odd gauge\nodd{v="inf"} +Inf\nodd{v="nan"} NaN\n');
  assert.equal(formatValue(-Infinity), '-Inf');
  assert.throws(() => registry.gauge('info', 'again'), /metric info is registered twice/);
  assert.throws(() => registry.counter('bad-name_total', 'x'), /invalid metric name "bad-name_total"/);
  assert.throws(() => registry.counter('no_suffix', 'x'), /counter no_suffix must end in _total/);
  assert.throws(() => registry.gauge('g', 'x', { labels: ['le'] }), /invalid label name "le" on g/);
  assert.throws(() => registry.histogram('h', 'x', [1, 1]), /histogram h: buckets must be finite and increasing/);
  const counter = registry.counter('c_total', 'x');
  assert.throws(() => counter.inc(-1), /counter c_total can only go up, by a finite amount \(got -1\)/);
});

test('a metric holds at most SERIES_PER_METRIC_MAX label sets', () => {
  const registry = new MetricsRegistry();
  const counter = registry.counter('many_total', 'x', { labels: ['id'] });
  for (let i = 0; i < SERIES_PER_METRIC_MAX + 50; i++) counter.inc(1, { id: String(i) });
  const lines = registry.render().split('\n').filter((line) => line.startsWith('many_total{'));
  assert.equal(lines.length, SERIES_PER_METRIC_MAX);
  assert.equal(counter.get({ id: String(SERIES_PER_METRIC_MAX) }), 0);
});
