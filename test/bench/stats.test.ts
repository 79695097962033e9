// Percentiles (nearest rank), summaries and the per-second timeline of `weft bench`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanThroughput, percentile, summarize, Timeline } from '../../host/bench/stats.ts';

test('percentile: nearest rank', () => {
  const values = [15, 20, 35, 40, 50];
  assert.equal(percentile(values, 5), 15);
  assert.equal(percentile(values, 30), 20);
  assert.equal(percentile(values, 40), 20);
  assert.equal(percentile(values, 50), 35);
  assert.equal(percentile(values, 100), 50);
  assert.equal(percentile([3, 1, 2], 0), 1);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => 100 - i), 95), 95);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99), 99);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 101), /percentile must be from 0 to 100, got 101/);
});

test('summarize: count, mean, median, p95, p99, max', () => {
  const values = Array.from({ length: 200 }, (_, i) => 200 - i); // 1…200, unsorted
  assert.deepEqual(summarize(values), { count: 200, mean: 100.5, median: 100, p95: 190, p99: 198, max: 200 });
  const empty = summarize([]);
  assert.equal(empty.count, 0);
  assert.ok(Number.isNaN(empty.median) && Number.isNaN(empty.mean) && Number.isNaN(empty.max));
});

test('Timeline: sends and commits per second, latency per interval, empty intervals kept', () => {
  const timeline = new Timeline(1_000);
  timeline.recordSend(1_000);
  timeline.recordSend(1_999);
  timeline.recordSend(3_500);
  timeline.recordCommit(1_100, 100);
  timeline.recordCommit(1_900, 300);
  timeline.recordCommit(1_950, 200);
  timeline.recordCommit(3_200, 50);
  timeline.recordCommit(900, 10); // before the start: counted in the first interval
  const points = timeline.points();
  assert.deepEqual(points.map((p) => [p.t, p.sent, p.committed, p.committedPerSecond, p.latencyMedianMs, p.latencyP95Ms]), [
    [0, 2, 4, 4, 100, 300],
    [1, 0, 0, 0, Number.NaN, Number.NaN],
    [2, 1, 1, 1, 50, 50],
  ]);
  const half = new Timeline(0, 500);
  half.recordCommit(600, 1);
  assert.deepEqual(half.points().map((p) => [p.t, p.committed, p.committedPerSecond]), [[0, 0, 0], [0.5, 1, 2]]);
  assert.equal(meanThroughput(points, 0, 2), 2);
  assert.equal(meanThroughput(points, 2, 3), 1);
  assert.ok(Number.isNaN(meanThroughput(points, 5, 9)));
});

test('processCpuSeconds: this process has used some CPU; an absent process gives NaN', async () => {
  const { processCpuSeconds, totalCpuSeconds } = await import('../../host/bench/process-cpu.ts');
  if (process.platform !== 'linux') return;
  let spin = 0;
  for (let i = 0; i < 5_000_000; i++) spin += i;
  assert.ok(spin > 0);
  assert.ok(processCpuSeconds(process.pid) > 0);
  assert.ok(Number.isNaN(processCpuSeconds(undefined)));
  assert.ok(Number.isNaN(processCpuSeconds(2 ** 30)));
  assert.ok(Number.isNaN(totalCpuSeconds([process.pid, undefined])));
});

test('machine load: /proc/stat parsed into busy, idle and stolen time; the load between two readings', async () => {
  const { parseProcStat, machineLoad, machineCpuTimes } = await import('../../host/bench/process-cpu.ts');
  const stat = (user: number, idle: number, steal: number): string =>
    `cpu  ${user} 0 100 ${idle} 20 5 5 ${steal} 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\ncpu1 1 0 0 0 0 0 0 0 0 0\nintr 123\n`;
  const before = definedOrFail(parseProcStat(stat(1000, 5000, 10)));
  assert.deepEqual(before, { busy: 1110, idle: 5020, steal: 10, cores: 2 });
  const after = definedOrFail(parseProcStat(stat(2800, 5100, 110)));
  // 1,800 busy + 100 idle + 100 stolen ticks
  assert.deepEqual(machineLoad(before, after), { busy: 0.9, stolen: 0.05, cores: 2 });
  assert.equal(machineLoad(before, before), undefined, 'no time passed');
  assert.equal(machineLoad(after, before), undefined, 'a counter that went backwards');
  assert.equal(machineLoad(undefined, after), undefined);
  assert.equal(parseProcStat('intr 1 2 3\n'), undefined);
  assert.equal(parseProcStat('cpu  1 2 x 4 5 6 7 8\n'), undefined);
  assert.equal(parseProcStat('cpu  1 2 3\n'), undefined, 'too few fields');
  if (process.platform === 'linux') {
    const now = machineCpuTimes();
    assert.ok(now !== undefined && now.cores >= 1 && now.busy > 0);
  }
});

function definedOrFail<T>(value: T | undefined): T {
  assert.ok(value !== undefined);
  return value;
}
