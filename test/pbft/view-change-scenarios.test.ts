// View changes, after Fabric v0.6's pbft-core_test.go and batch_test.go: TestViewChange (the f+1
// crowd), TestNewViewTimeout, TestViewChangeUpdateSeqNo, TestViewChangeWithStateTransfer,
// TestNetworkPeriodicViewChange, TestNetworkNullRequests[Missing], TestViewChangeOnPrimarySilence,
// TestOutstandingReqsResubmission, TestClearBatchStoreOnViewChange.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeCluster, runUntilExecuted, scenario } from './scenario.ts';

const noted = (trace: string[], replica: number, text: RegExp): boolean => trace.some((line) => line.includes(` r${replica} `) && text.test(line));

describe('view change', () => {
  it('TestViewChange: the others change view without the primary, and a replica with no timer follows the f+1 crowd', () => {
    const cluster = scenario();
    // Replica 0 (the primary) is mute and never hears of the request, so its own timer never runs.
    cluster.drop = (from, to, message) => from === 0 || (to === 0 && message.type === 'request');
    const tx = cluster.submit(1);
    runUntilExecuted(cluster, [tx], [1, 2, 3], 300);
    assert.ok(cluster.runUntil(() => cluster.status(0).view === 1, 50), describeCluster(cluster));
    for (const r of [1, 2, 3]) assert.deepEqual([cluster.status(r).view, cluster.status(r).primary], [1, 1]);
    assert.ok(noted(cluster.trace.tail(400), 0, /f\+1 replicas want a higher view, joining view 1/), 'replica 0 joined because of f+1 view-changes');
    assert.equal(cluster.status(0).activeView, true, 'and then took the new-view');
  });

  it('TestNewViewTimeout: when the new primary sends no new-view, the view change moves on to view 2', () => {
    const cluster = scenario();
    cluster.drop = (from, _to, message) => from === 0 || (from === 1 && message.type === 'new-view');
    const tx = cluster.submit(2);
    runUntilExecuted(cluster, [tx], [2, 3], 400);
    for (const r of [2, 3]) assert.deepEqual([cluster.status(r).view, cluster.status(r).primary, cluster.status(r).activeView], [2, 2, true]);
    const trace = cluster.trace.tail(400);
    assert.ok(noted(trace, 2, /view change timer expired \(new-view for view 1\)/), describeCluster(cluster));
  });

  it('TestViewChangeUpdateSeqNo: the new primary numbers new batches after what the new view assigned', () => {
    const cluster = scenario();
    const first = [cluster.submit(0), cluster.submit(0), cluster.submit(0)];
    runUntilExecuted(cluster, first);
    cluster.crash(0);
    const tx = cluster.submit(1);
    runUntilExecuted(cluster, [tx], [1, 2, 3], 300);
    const status = cluster.status(1);
    assert.equal(status.view, 1);
    assert.ok(status.seqNo >= 4, `seqNo ${status.seqNo}`);
    for (const r of [1, 2, 3]) assert.equal(cluster.host(r).ledger.blockAt(5)?.txIds[0], tx, 'the next block, no gap, no repeat');
  });

  it('TestViewChangeOnPrimarySilence: a crashed primary is replaced and requests flow again', () => {
    const cluster = scenario();
    cluster.crash(0);
    const ids = [cluster.submit(1), cluster.submit(2), cluster.submit(3)];
    runUntilExecuted(cluster, ids, [1, 2, 3], 300);
    assert.equal(cluster.status(1).primary, 1);
    // The old primary comes back and catches up in the new view.
    cluster.restart(0);
    const more = [cluster.submit(2)];
    runUntilExecuted(cluster, [...ids, ...more], undefined, 400);
    assert.equal(cluster.status(0).view, 1);
    assert.deepEqual(cluster.safety.violations, []);
  });

  it('a replica told the primary is unreachable skips the request grace: the view changes one status interval sooner', () => {
    const viewOneAt = (hinted: boolean): { tick: number; graced: boolean } => {
      const cluster = scenario();
      cluster.crash(0);
      if (hinted) for (const r of [1, 2, 3]) cluster.host(r).core?.setReachable(0, false);
      const tx = cluster.submit(1);
      const changed = cluster.runUntil(() => [1, 2, 3].every((r) => cluster.status(r).view === 1 && cluster.status(r).activeView), 300);
      assert.ok(changed, describeCluster(cluster));
      runUntilExecuted(cluster, [tx], [1, 2, 3], 100);
      for (const r of [1, 2, 3]) assert.equal(cluster.status(r).newViewsAccepted, 1);
      return { tick: cluster.now, graced: cluster.trace.tail(400).some((line) => /asking peers for what this replica lacks/.test(line)) };
    };
    const plain = viewOneAt(false);
    const hinted = viewOneAt(true);
    assert.deepEqual([plain.graced, hinted.graced], [true, false]);
    // SCENARIO_REPLICA.statusIntervalTicks
    assert.equal(plain.tick - hinted.tick, 10);
  });

  it('TestOutstandingReqsResubmission (batchsize 2): requests the old primary never ordered are ordered by the new one, once', () => {
    const cluster = scenario({ replica: { batchSize: 2, batchTimeoutTicks: 30, requestTimeoutTicks: 40 } });
    const ids = [cluster.submit(1), cluster.submit(2), cluster.submit(3)];
    // The primary cuts one batch of two; the third waits for its (long) batch timer.
    assert.ok(cluster.runUntil(() => cluster.hosts.every((h) => h.ledger.height === 2), 30), describeCluster(cluster));
    cluster.crash(0);
    runUntilExecuted(cluster, ids, [1, 2, 3], 400);
    for (const r of [1, 2, 3]) {
      assert.equal(cluster.status(r).view, 1);
      assert.equal([...cluster.host(r).ledger.executedIds()].length, 3);
      assert.equal(cluster.status(r).outstandingRequests, 0);
    }
  });

  it('TestClearBatchStoreOnViewChange: the old primary drops its half-filled batch when it leaves the view', () => {
    const cluster = scenario({ replica: { batchSize: 2, batchTimeoutTicks: 50, requestTimeoutTicks: 60 } });
    const tx = cluster.submit(0);
    cluster.run(3);
    assert.equal(cluster.status(0).batchStore, 1);
    cluster.drop = (from) => from === 0;
    assert.ok(cluster.runUntil(() => cluster.status(0).view >= 1, 300), describeCluster(cluster));
    assert.equal(cluster.status(0).batchStore, 0);
    cluster.drop = null;
    runUntilExecuted(cluster, [tx], undefined, 300);
    for (const h of cluster.hosts) assert.equal([...h.ledger.executedIds()].length, 1);
  });

  it('TestViewChangeWithStateTransfer: a replica behind the new view’s checkpoint transfers state to it', () => {
    const cluster = scenario({ replica: { K: 2, logMultiplier: 2 } });
    // Replica 3 misses the whole normal case for a while.
    cluster.drop = (_from, to, message) => to === 3 && ['pre-prepare', 'prepare', 'commit', 'checkpoint', 'status', 'return-request-batch'].includes(message.type);
    const ids = Array.from({ length: 4 }, () => cluster.submit(0));
    runUntilExecuted(cluster, ids, [0, 1, 2], 200);
    assert.equal(cluster.status(3).lastExec, 0);
    // Now the primary falls silent: a view change, whose checkpoint replica 3 lacks.
    cluster.drop = (from) => from === 0;
    const tx = cluster.submit(1);
    runUntilExecuted(cluster, [...ids, tx], [1, 2, 3], 400);
    const trace = cluster.trace.tail(400).join('\n');
    assert.match(trace, /r3 +(info|warning) +.*(missing base checkpoint|state transfer to seqNo)/);
    assert.match(trace, /r3 +transferred/);
    assert.ok(cluster.status(3).view >= 1);
  });
});

describe('null requests and periodic view change', () => {
  it('TestNetworkNullRequests: an idle primary sends null requests; seqNos advance without blocks', () => {
    const cluster = scenario({ replica: { nullRequestTimeoutTicks: 30, K: 2 } });
    cluster.run(200);
    for (const h of cluster.hosts) {
      const s = cluster.status(h.id);
      assert.ok(s.lastExec >= 4, `replica ${h.id} lastExec ${s.lastExec}`);
      assert.equal(s.view, 0);
      assert.equal(h.ledger.height, 1, 'null requests make no blocks');
      assert.ok(s.h >= 2, 'checkpoints still happen');
    }
    const tx = cluster.submit(2);
    runUntilExecuted(cluster, [tx]);
  });

  it('TestNetworkNullRequestsMissing: backups change view when the primary sends no null request', () => {
    const cluster = scenario({ replica: { nullRequestTimeoutTicks: 30 } });
    cluster.drop = (from) => from === 0;
    assert.ok(cluster.runUntil(() => [1, 2, 3].every((r) => cluster.status(r).view >= 1 && cluster.status(r).activeView), 200), describeCluster(cluster));
    assert.ok(noted(cluster.trace.tail(400), 1, /null request timer expired without a null request from the primary/));
    // The new primary keeps the network alive with null requests of its own.
    const before = cluster.status(2).lastExec;
    cluster.run(100);
    assert.ok(cluster.status(2).lastExec > before);
  });

  it('TestNetworkPeriodicViewChange: viewchangeperiod=1 with K=2 rotates the primary every checkpoint period', () => {
    const cluster = scenario({ replica: { K: 2, viewChangePeriod: 1 } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(cluster.submit(1));
      runUntilExecuted(cluster, ids, undefined, 300);
    }
    assert.ok(cluster.runUntil(() => cluster.hosts.every((h) => cluster.status(h.id).activeView), 100));
    const views = cluster.hosts.map((h) => cluster.status(h.id).view);
    assert.equal(new Set(views).size, 1);
    assert.ok((views[0] as number) >= 2, `views ${views.join(',')}`);
    assert.ok(noted(cluster.trace.tail(400), 1, /cycling the view at seqNo 2 \(viewchangeperiod\)/));
    for (const h of cluster.hosts) assert.equal([...h.ledger.executedIds()].length, 4);
  });
});

describe('a replica that returns to a quiet network', () => {
  // The flake behind this (CI, pbft-network.test.ts): the old primary restarted after a view
  // change, the network's last request went by before its connections were up, and nothing
  // afterwards told it it was behind, so it stayed in the old view, one block short, for ever.
  it('the old primary, restarted after a view change it missed, catches up once it connects, with no new request', () => {
    const cluster = scenario();
    const first = cluster.submit(1);
    runUntilExecuted(cluster, [first]);
    cluster.crash(0);
    for (const r of [1, 2, 3]) cluster.host(r).core?.setReachable(0, false);
    const second = cluster.submit(1);
    runUntilExecuted(cluster, [second], [1, 2, 3], 300);
    cluster.restart(0);
    // Not connected yet: what is sent to it, and what it sends, is lost.
    cluster.drop = (from, to) => from === 0 || to === 0;
    for (const r of [1, 2, 3]) cluster.host(0).core?.setReachable(r, false);
    const third = cluster.submit(2);
    runUntilExecuted(cluster, [third], [1, 2, 3], 300);
    cluster.run(50);
    assert.equal(cluster.status(0).view, 0);
    // The connections come up; the network stays quiet.
    cluster.drop = null;
    for (const r of [1, 2, 3]) {
      cluster.host(0).core?.setReachable(r, true);
      cluster.host(r).core?.setReachable(0, true);
    }
    runUntilExecuted(cluster, [first, second, third], [0], 200);
    assert.equal(cluster.status(0).view, cluster.status(1).view);
    assert.equal(cluster.status(0).activeView, true);
    assert.deepEqual(cluster.safety.violations, []);
  });

  it('a replica whose first report says a peer is connected greets it too (it may have restarted before the first report)', () => {
    const cluster = scenario();
    const first = cluster.submit(1);
    runUntilExecuted(cluster, [first]);
    cluster.crash(3);
    const second = cluster.submit(1);
    runUntilExecuted(cluster, [second], [0, 1, 2], 300);
    cluster.drop = (from, to) => from === 3 || to === 3;
    cluster.restart(3);
    cluster.run(50);
    cluster.drop = null;
    // Replica 3 had no report before; the others never saw it go.
    for (const r of [0, 1, 2]) cluster.host(3).core?.setReachable(r, true);
    runUntilExecuted(cluster, [first, second], [3], 200);
  });
});
