// Crashes and what survives them, after Fabric v0.6's TestReplicaCrash1–4, TestReplicaPersistQSet
// and TestReplicaPersistDelete: the persisted consensus.* keys, restart in the same view, no
// conflicting vote after a restart, no request executed twice, no request counter reused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePQ } from '../../network/pbft/codec.ts';
import { PERSIST_KEYS } from '../../network/pbft/replica.ts';
import { describeCluster, runUntilExecuted, scenario } from './scenario.ts';

describe('persistence and crashes', () => {
  it('TestReplicaPersistQSet: pre-prepared and prepared requests are on disk under consensus.qset / consensus.pset', () => {
    const cluster = scenario();
    const tx = cluster.submit(0);
    runUntilExecuted(cluster, [tx]);
    const stored = cluster.host(2).storage.load();
    const qset = decodePQ(stored.get(PERSIST_KEYS.qset) as Uint8Array, 'qset');
    const pset = decodePQ(stored.get(PERSIST_KEYS.pset) as Uint8Array, 'pset');
    assert.equal(qset.length, 1);
    assert.deepEqual({ seqNo: qset[0]?.seqNo, view: qset[0]?.view }, { seqNo: 1, view: 0 });
    assert.deepEqual(pset, qset);
    assert.ok(stored.has(PERSIST_KEYS.batchPrefix + qset[0]?.digest), 'the batch itself is persisted');
    assert.ok(stored.has(PERSIST_KEYS.counter) === false, 'replica 2 originated nothing');
    assert.ok(cluster.host(0).storage.load().has(PERSIST_KEYS.counter), 'the origin reserved request counters');
  });

  it('TestReplicaPersistDelete: a stable checkpoint deletes the batches and checkpoints below it from disk', () => {
    const cluster = scenario({ replica: { K: 2, logMultiplier: 2 } });
    const ids = Array.from({ length: 5 }, () => cluster.submit(0));
    runUntilExecuted(cluster, ids);
    assert.ok(cluster.runUntil(() => cluster.status(1).h === 4, 20));
    const keys = [...cluster.host(1).storage.load().keys()];
    const batches = keys.filter((k) => k.startsWith(PERSIST_KEYS.batchPrefix));
    const checkpoints = keys.filter((k) => k.startsWith(PERSIST_KEYS.checkpointPrefix)).sort();
    assert.equal(batches.length, 1, `only the batch above h=4 remains: ${batches.join(', ')}`);
    assert.deepEqual(checkpoints, [`${PERSIST_KEYS.checkpointPrefix}4`]);
    const qset = decodePQ(cluster.host(1).storage.load().get(PERSIST_KEYS.qset) as Uint8Array, 'qset');
    assert.deepEqual(qset.map((q) => q.seqNo), [5]);
  });

  it('TestReplicaCrash1: a backup restarts from disk and the ledger, stays in view 0 and keeps executing', () => {
    const cluster = scenario();
    const first = [cluster.submit(0), cluster.submit(1)];
    runUntilExecuted(cluster, first);
    cluster.crash(3);
    const second = cluster.submit(2);
    runUntilExecuted(cluster, [second], [0, 1, 2]);
    cluster.restart(3);
    const status = cluster.status(3);
    assert.deepEqual({ view: status.view, activeView: status.activeView, lastExec: status.lastExec }, { view: 0, activeView: true, lastExec: 2 });
    const third = cluster.submit(3);
    runUntilExecuted(cluster, [...first, second, third], undefined, 300);
    assert.equal(cluster.status(3).view, 0);
    assert.deepEqual(cluster.safety.violations, []);
  });

  it('TestReplicaCrash2: after a restart, a replica never prepares a second digest for a seqNo it prepared before', () => {
    const cluster = scenario();
    // Replica 3 gets the pre-prepare for seqNo 1 and prepares it, but no commit reaches anyone.
    cluster.drop = (_from, _to, message) => message.type === 'commit' || (message.type === 'prepare' && message.replicaId !== 3);
    const tx = cluster.submit(0);
    assert.ok(cluster.runUntil(() => cluster.delivered.some((d) => d.from === 3 && d.message.type === 'prepare'), 20));
    const prepared = cluster.delivered.find((d) => d.from === 3 && d.message.type === 'prepare')?.message;
    assert.ok(prepared?.type === 'prepare');
    cluster.crash(3);
    cluster.restart(3);
    // A (byzantine) primary now offers something else (a valid null request) for the same view and seqNo.
    const before = cluster.delivered.filter((d) => d.from === 3 && d.message.type === 'prepare').length;
    cluster.inject(0, 3, { type: 'pre-prepare', view: 0, seqNo: 1, digest: '', batch: null, replicaId: 0 });
    cluster.run(3);
    const preparesBy3 = cluster.delivered.filter((d) => d.from === 3 && d.message.type === 'prepare').map((d) => (d.message.type === 'prepare' ? d.message.digest : 'x'));
    assert.ok(preparesBy3.length > before, 'it re-sent its prepare after the restart');
    assert.ok(!preparesBy3.includes(''), 'no prepare for the second digest');
    assert.ok(preparesBy3.every((d) => d === prepared.digest));
    assert.ok(cluster.trace.tail(200).some((line) => / r3 .*primary sent two pre-prepares for view 0 seqNo 1/.test(line)), 'it saw the equivocation');
    cluster.drop = null;
    runUntilExecuted(cluster, [tx], undefined, 400);
    assert.deepEqual(cluster.safety.violations, []);
  });

  it('TestReplicaCrash3: every replica crashes and restarts; they resume in view 0 and nothing runs twice', () => {
    const cluster = scenario();
    const first = [cluster.submit(0), cluster.submit(1), cluster.submit(2)];
    runUntilExecuted(cluster, first);
    for (const h of cluster.hosts) cluster.crash(h.id);
    for (const h of cluster.hosts) cluster.restart(h.id);
    for (const h of cluster.hosts) assert.deepEqual([cluster.status(h.id).view, cluster.status(h.id).lastExec], [0, 3]);
    const second = [cluster.submit(0), cluster.submit(3)];
    runUntilExecuted(cluster, [...first, ...second], undefined, 300);
    for (const h of cluster.hosts) {
      assert.equal([...h.ledger.executedIds()].length, 5);
      assert.equal(cluster.status(h.id).view, 0);
    }
    assert.deepEqual(cluster.safety.violations, []);
  });

  it('TestReplicaCrash4: crashes that lose unsynced writes never break agreement', () => {
    const cluster = scenario({ timing: { writeLatencyMax: 3, executeLatencyMax: 2, transferLatencyMin: 1, transferLatencyMax: 3 } });
    const ids: string[] = [];
    for (let round = 0; round < 6; round++) {
      ids.push(cluster.submit(round % 4), cluster.submit((round + 1) % 4));
      cluster.run(3 + round);
      const victim = (round * 3 + 1) % 4;
      cluster.crash(victim);
      cluster.run(2);
      cluster.restart(victim);
    }
    assert.ok(cluster.host(0).storage.lostWrites + cluster.host(1).storage.lostWrites + cluster.host(2).storage.lostWrites + cluster.host(3).storage.lostWrites > 0, 'some writes were lost');
    const tail = [cluster.submit(0), cluster.submit(2)];
    runUntilExecuted(cluster, tail, undefined, 2_000);
    assert.deepEqual(cluster.safety.violations, []);
    const chains = cluster.hosts.map((h) => Buffer.from(h.ledger.head().blockHash).toString('hex'));
    assert.equal(new Set(chains).size, 1, `ledgers differ\n${describeCluster(cluster)}`);
    // Requests whose origin crashed before broadcasting may be lost; the others all executed once.
    const kept = ids.filter((id) => cluster.host(0).ledger.hasExecuted(id));
    assert.ok(kept.length > 0);
  });

  it('a restarted origin never reuses a request counter, so its new requests are not mistaken for executed ones', () => {
    const cluster = scenario();
    const before = [cluster.submit(1), cluster.submit(1)];
    runUntilExecuted(cluster, before);
    cluster.crash(1);
    cluster.restart(1);
    const after = [cluster.submit(1), cluster.submit(1)];
    runUntilExecuted(cluster, after, undefined, 300);
    const counters = cluster.delivered
      .filter((d) => d.from === 1 && d.message.type === 'request')
      .map((d) => (d.message.type === 'request' ? d.message.request.counter : 0));
    assert.deepEqual([...new Set(counters)].sort((a, b) => a - b), [1, 2, 65, 66], 'a fresh reservation after the restart');
  });

  it('a replica restarts in the view it was in', () => {
    const cluster = scenario();
    cluster.crash(0);
    const tx = cluster.submit(1);
    runUntilExecuted(cluster, [tx], [1, 2, 3], 300);
    cluster.crash(2);
    cluster.restart(2);
    assert.deepEqual([cluster.status(2).view, cluster.status(2).activeView], [1, true]);
  });
});
