// What `weft bench` shows a person: the plot (SVG), the run summary, the progress line, the
// fault figures, and the --peer address forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget } from '../../host/bench/bench-network.ts';
import type { DriveProgress, DriveResult } from '../../host/bench/driver.ts';
import { formatProgress } from '../../host/bench/progress.ts';
import { formatRun, formatScalability, reportJson, buildReport } from '../../host/bench/report.ts';
import { faultFigures, type BenchRun } from '../../host/bench/runner.ts';
import { summarize, type TimelinePoint } from '../../host/bench/stats.ts';
import { escapeXml, niceCeiling, renderBenchSvg } from '../../host/bench/svg-plot.ts';
import { DEFAULT_WORKLOAD_OPTIONS } from '../../host/bench/workloads.ts';

function point(t: number, committed: number, median = 40, p95 = 90): TimelinePoint {
  return { t, sent: committed, committed, committedPerSecond: committed, latencyMedianMs: median, latencyP95Ms: p95 };
}

function result(overrides: Partial<DriveResult> = {}): DriveResult {
  return {
    sendingSeconds: 10,
    elapsedSeconds: 10.2,
    sent: 12_000,
    accepted: 12_000,
    refused: 0,
    committed: 12_000,
    rejected: 0,
    lost: 0,
    committedPerSecond: 1176.47,
    sentPerSecond: 1200,
    latencyMs: summarize([40, 45, 50, 300]),
    queries: { sent: 0, answered: 0, failed: 0, answeredPerSecond: Number.NaN, latencyMs: summarize([]), errors: {} },
    refusals: {},
    rejections: {},
    timeline: [point(0, 1000), point(1, 1200)],
    markers: [],
    disconnected: [],
    clientCpuSeconds: 1.2,
    stalled: false,
    aborted: false,
    ...overrides,
  };
}

function run(overrides: Partial<BenchRun> = {}): BenchRun {
  return {
    workload: 'smallbank',
    description: 'Smallbank',
    chaincode: { folder: 'chaincode/blockbench/smallbank', name: 'abc' },
    network: { peers: 4, consensus: 'pbft', f: 1, startedByBench: true },
    targets: ['vp0 127.0.0.1:7050'],
    plan: { clients: 64, ratePerSecond: 1200, maxInFlight: null, durationS: 10, warmupS: 2, options: DEFAULT_WORKLOAD_OPTIONS },
    setup: { operations: 100, committed: 100, refused: 0, rejected: 0, lost: 0, seconds: 1.5 },
    cpu: { clientMicrosPerTx: 100, peersMicrosPerTx: 450.4, machine: null },
    batches: [],
    result: result(),
    startedAt: '2026-11-24T12:00:00.000Z',
    ...overrides,
  };
}

test('niceCeiling and escapeXml', () => {
  assert.deepEqual([0, 0.3, 1, 7, 12, 250, 1001, Number.NaN].map(niceCeiling), [1, 0.5, 1, 10, 20, 500, 2000, 1]);
  assert.equal(escapeXml('a<b & "c" \'d\'>'), 'a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
});

test('the SVG: one throughput and one latency chart per run, markers, a gap where no commit happened, bars', () => {
  const svg = renderBenchSvg('weft bench <test>', [
    { title: 'ycsb & co', timeline: [point(0, 500), point(1, 0, Number.NaN, Number.NaN), point(2, 1000)], markers: [{ t: 1, label: 'stop vp3' }] },
  ], { title: 'scalability', yLabel: 'committed tx/s', bars: [{ label: 'N=4', value: 1500 }, { label: 'N=7', value: Number.NaN }] });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="960" height="'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.match(svg, />weft bench &lt;test&gt;</);
  assert.match(svg, />ycsb &amp; co</);
  // throughput: one line through the middle of each second (y axis 0…2000: 1000 × 1.1 headroom → 2000)
  assert.ok(svg.includes('<polyline points="214.3,168 503,202 791.7,134" fill="none" stroke="#1f77b4" stroke-width="1.5"/>'));
  assert.match(svg, /<text x="64" y="\S+" text-anchor="end" font-family="sans-serif" font-size="12">2000<\/text>/);
  // latency: the NaN second splits each series into two single points
  assert.equal((svg.match(/<circle /g) ?? []).length, 4);
  assert.equal((svg.match(/stroke-dasharray="4 3"/g) ?? []).length, 2, 'the marker on both charts');
  assert.equal((svg.match(/>stop vp3</g) ?? []).length, 2);
  assert.match(svg, /<rect x="\S+" y="\S+" width="\S+" height="\S+" fill="#1f77b4"\/>/);
  assert.match(svg, />n\/a</, 'a bar without a figure says so');
  // every opening tag is closed or self-closed, and no attribute is repeated within a tag
  for (const tag of svg.match(/<[a-z][^>]*>/g) ?? []) {
    const names = [...tag.matchAll(/ ([a-z-]+)="/g)].map((m) => m[1]);
    assert.equal(new Set(names).size, names.length, `repeated attribute in ${tag}`);
  }
  const trimmed = renderBenchSvg('fault', [{
    title: 'fault',
    timeline: [point(0, 500), point(1, 600), point(2, 40)],
    markers: [{ t: 1, label: 'stop vp3' }, { t: 1.5, label: 'stop vp3: done' }],
    elapsedSeconds: 2.4,
  }]);
  assert.equal((trimmed.match(/<polyline points="\S+ \S+" fill="none" stroke="#1f77b4"/g) ?? []).length, 1, 'the partial last second is left out');
  assert.equal((trimmed.match(/stroke-dasharray="1 3"/g) ?? []).length, 2, 'the end of the action: dotted, on both charts');
  assert.doesNotMatch(trimmed, />stop vp3: done</, 'and without a label');
  const empty = renderBenchSvg('nothing', [{ title: 'empty', timeline: [], markers: [] }]);
  assert.doesNotMatch(empty, /NaN|undefined|Infinity/);
});

test('formatRun: the figures a person reads, refusals and rejections by message, the fault', () => {
  const lines = formatRun(run());
  assert.deepEqual(lines, [
    'smallbank — 4 pbft peers (f = 1), open loop at 1,200 tx/s, 64 clients, 10 s',
    '  committed tx/s        1,176   (12,000 committed in 10.2 s; sent 1,200 tx/s)',
    '  latency ms            median 45.0   p95 300   p99 300   max 300',
    '  transactions          sent 12,000   accepted 12,000   refused 0   rejected 0   lost 0',
    '  CPU per committed tx  client 100 µs, peers 450 µs (all 4 together)',
    '  set-up                100/100 committed in 1.5 s (lost 0)',
  ]);
  const troubled = formatRun(run({
    plan: { clients: 8, ratePerSecond: null, maxInFlight: null, durationS: 30, warmupS: 0, options: DEFAULT_WORKLOAD_OPTIONS },
    result: result({ refused: 3, refusals: { 'too many outstanding transactions': 3 }, rejected: 2, rejections: { 'Received unknown function invocation: x': 2 }, lost: 1 }),
    fault: { peer: 'vp3', stoppedAtS: 10.02, restartedAtS: 21.5, beforePerSecond: 1000, duringPerSecond: 800, afterPerSecond: 990, ratio: 0.8 },
  }));
  assert.equal(troubled[0], 'smallbank — 4 pbft peers (f = 1), closed loop, 8 clients, 30 s');
  const timed = formatRun(run({ batches: [{ peer: 'vp0', batches: 412, orderingMs: 80.04, executionMs: 37 }, { peer: 'vp1', batches: 411, orderingMs: 0, executionMs: 1234.5 }] }));
  assert.equal(timed[5], '  PBFT batches          count (mean ordering + execution ms): vp0 412 (80.0 + 37.0)   vp1 411 (0.0 + 1235)');
  const loaded = formatRun(run({ cpu: { clientMicrosPerTx: 100, peersMicrosPerTx: 450.4, machine: { busy: 0.974, stolen: 0.021, cores: 2 } } }));
  assert.equal(loaded[5], '  machine               97 % busy over its 2 cores while measuring; 2 % taken by the hypervisor for other machines');
  const unshared = formatRun(run({ cpu: { clientMicrosPerTx: 100, peersMicrosPerTx: 450.4, machine: { busy: 0.5, stolen: 0.001, cores: 2 } } }));
  assert.equal(unshared[5], '  machine               50 % busy over its 2 cores while measuring', 'no steal line below half a percent');
  const windowed = formatRun(run({ plan: { clients: 16, ratePerSecond: null, maxInFlight: 1500, durationS: 5, warmupS: 0, options: DEFAULT_WORKLOAD_OPTIONS } }));
  assert.equal(windowed[0], 'smallbank — 4 pbft peers (f = 1), closed loop, 1,500 in flight, 16 clients, 5 s');
  assert.ok(troubled.includes('  transactions          sent 12,000   accepted 12,000   refused 3   rejected 2   lost 1'));
  assert.ok(troubled.includes('      3 × too many outstanding transactions'));
  assert.ok(troubled.includes('      2 × Received unknown function invocation: x'));
  assert.ok(troubled.includes('  fault: vp3 stopped at 10.0 s, back at 21.5 s'));
  assert.ok(troubled.includes('    committed tx/s       before 1,000   while stopped 800   after 990   (while stopped / before = 80 %)'));
  assert.deepEqual(formatScalability([{ workload: 'ycsb', peers: 7, f: 2, committedPerSecond: 812.4, latencyMedianMs: 123.4, lost: 0 }]), [
    'scalability',
    '  workload    peers  f   committed tx/s  latency median ms  lost',
    '  ycsb            7  2              812                123     0',
  ]);
});

test('the JSON report: NaN becomes null, lost is summed over runs', () => {
  const report = buildReport({ version: '0.1.0', startedAt: '2026-11-24T12:00:00.000Z', command: ['weft', 'bench'], runs: [run(), run({ result: result({ lost: 2 }) })], scalability: [] });
  const json = JSON.parse(reportJson(report)) as { lost: number; runs: Array<{ result: { queries: { answeredPerSecond: unknown; latencyMs: { median: unknown } } } }>; machine: { cpus: number } };
  assert.equal(json.lost, 2);
  assert.equal(json.runs[0]!.result.queries.answeredPerSecond, null);
  assert.equal(json.runs[0]!.result.queries.latencyMs.median, null);
  assert.ok(json.machine.cpus >= 1);
});

test('fault figures: mean throughput before, while stopped and after, from the recorded markers', () => {
  const timeline = [1000, 1000, 1000, 1000, 200, 700, 700, 700, 300, 950, 1000, 1000, 1000, 1000].map((n, t) => point(t, n));
  const markers = [
    { t: 4.1, label: 'stop vp3' },
    { t: 5.2, label: 'stop vp3: done' },
    { t: 8.0, label: 'start vp3' },
    { t: 9.4, label: 'start vp3: done' },
  ];
  const figures = faultFigures({ peer: 'vp3', stopAtS: 4, restartAtS: 8 }, { timeline, markers }, 14);
  assert.deepEqual(figures, { peer: 'vp3', stoppedAtS: 4.1, restartedAtS: 9.4, beforePerSecond: 1000, duringPerSecond: 700, afterPerSecond: 1000, ratio: 0.7 });
  const late = faultFigures({ peer: 'vp3', stopAtS: 4, restartAtS: 8 }, { timeline, markers: [...markers.slice(0, 3), { t: 11.2, label: 'start vp3: done' }] }, 14);
  assert.ok(Number.isNaN(late.afterPerSecond), 'one second after a late restart is too little to tell');
  assert.equal(late.duringPerSecond, 700);
});

test('progress: the line a person watches', () => {
  const progress: DriveProgress = { phase: 'sending', elapsedS: 12.3, sent: 15_000, accepted: 14_990, committed: 14_000, rejected: 0, refused: 10, inFlight: 990, recentPerSecond: 1234.4, recentMedianMs: 45.67 };
  assert.equal(formatProgress('ycsb', 'measure', progress, 30), 'ycsb [measure] 12/30 s  committed 14,000 (1,234 tx/s, median 45.7 ms)  in flight 990  refused 10  rejected 0');
  assert.equal(formatProgress('ycsb', 'setup', { ...progress, phase: 'draining' }, undefined), 'ycsb [setup, draining] 12 s  committed 14,000 (1,234 tx/s, median 45.7 ms)  in flight 990  refused 10  rejected 0');
});

test('--peer: host:port (events at port + 3) or rest@events, with or without a scheme', () => {
  assert.deepEqual(parseTarget('127.0.0.1:7050', 0), { id: 'peer0', rest: '127.0.0.1:7050', events: '127.0.0.1:7053' });
  assert.deepEqual(parseTarget('http://peer.example:8000/', 2), { id: 'peer2', rest: 'peer.example:8000', events: 'peer.example:8003' });
  assert.deepEqual(parseTarget('10.0.0.5:7050@ws://0.0.0.0:9053', 1), { id: 'peer1', rest: '10.0.0.5:7050', events: '127.0.0.1:9053' });
  assert.throws(() => parseTarget('localhost', 0), /--peer must be host:port or host:port@eventshost:port, got "localhost"/);
  assert.throws(() => parseTarget('a:1@b:2@c:3', 0), /--peer must be host:port/);
  assert.throws(() => parseTarget('a:99999', 0), /--peer must be host:port/);
  assert.throws(() => parseTarget('a:1@nohost', 0), /the event hub address must be host:port, got "nohost"/);
});
