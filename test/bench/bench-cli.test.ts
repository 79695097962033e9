// `weft bench` end to end, as a user's shell runs it: a tiny donothing load for 2 s against one
// running noops peer (--peer); the JSON report accounts for every transaction (none lost) and
// the plot is written next to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNetwork, weft } from '../integration/harness.ts';

test('weft bench donothing --peer: 200 transactions at 100 tx/s, all committed, report and plot written', { timeout: 120_000 }, async () => {
  const network = await startNetwork({ peers: 1, consensus: 'noops', env: { CORE_NOOPS_BLOCK_WAIT: '100ms' } });
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-test-'));
  try {
    const peer = network.layout.peers[0]!;
    const out = join(dir, 'report.json');
    const result = await weft(['bench', 'donothing', '--peer', peer.restAddress, '--duration', '2', '--warmup', '0', '--rate', '100', '--clients', '4', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /donothing — 1 given peer, open loop at 100 tx\/s, 4 clients, 2 s/);
    assert.match(result.stdout, /transactions {10}sent 200 {3}accepted 200 {3}refused 0 {3}rejected 0 {3}lost 0/);
    assert.match(result.stderr, /donothing: deploying chaincode\/blockbench\/donothing/);
    const report = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(report.tool, 'weft bench');
    assert.equal(report.lost, 0);
    assert.equal(report.runs.length, 1);
    const run = report.runs[0];
    assert.equal(run.workload, 'donothing');
    assert.deepEqual(run.targets, [`peer0 ${peer.restAddress}`]);
    assert.equal(run.result.sent, 200, 'open loop: one send per 10 ms slot of the 2 s');
    assert.equal(run.result.committed, 200);
    assert.equal(run.result.lost, 0);
    assert.equal(run.result.refused, 0);
    assert.equal(run.result.rejected, 0);
    assert.equal(run.result.latencyMs.count, 200);
    assert.ok(run.result.latencyMs.median > 0 && run.result.latencyMs.p99 >= run.result.latencyMs.median);
    assert.equal(run.result.timeline.reduce((sum: number, p: { committed: number }) => sum + p.committed, 0), 200);
    const svg = await readFile(join(dir, 'report.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, />donothing, 1 given peer</);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await network.down();
  }
});

test('weft bench refuses bad arguments before starting anything', async () => {
  const unknown = await weft(['bench', 'tpcc']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Error: Unknown workload "tpcc"; workloads are ycsb, smallbank, donothing, ioheavy, cpuheavy \(or all\)/);
  const peers = await weft(['bench', '--peers', '3']);
  assert.match(peers.stderr, /Error: --peers must be an integer from 4 to 32, got "3"/);
  const fault = await weft(['bench', '--peer', '127.0.0.1:1', '--fault']);
  assert.match(fault.stderr, /Error: --scalability and --fault start their own networks; they cannot be used with --peer/);
  const ratio = await weft(['bench', '--read-ratio', '2']);
  assert.match(ratio.stderr, /Error: --read-ratio must be a number from 0 to 1, got "2"/);
});
