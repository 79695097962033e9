// Falling behind and catching up, after Fabric v0.6's tests: TestFallBehind,
// TestClassicStateTransfer, TestClassicBackToBackStateTransfer,
// TestStateNetworkMovesOnDuringSlowStateTransfer, TestWitnessCheckpointOutOfBounds,
// TestNoCheckpointQuorum, TestCheckpointDiffersFromWeakCert.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpointIdOf } from '../../network/pbft/codec.ts';
import { describeCluster, runUntilExecuted, scenario } from './scenario.ts';

const CONSENSUS = new Set(['pre-prepare', 'prepare', 'commit', 'checkpoint', 'status', 'return-request-batch', 'new-view', 'view-change']);
const fakeId = (n: number): string => checkpointIdOf({ height: n, blockHash: new Uint8Array(8).fill(n), stateHash: new Uint8Array(8) });

describe('falling behind', () => {
  it('TestFallBehind: a replica cut off for more than a log window learns it is behind from f+1 checkpoints and transfers state', () => {
    const cluster = scenario({ replica: { K: 2, logMultiplier: 2 } });
    cluster.drop = (from, to) => from === 3 || to === 3;
    const ids = Array.from({ length: 12 }, () => cluster.submit(0));
    runUntilExecuted(cluster, ids, [0, 1, 2], 300);
    assert.equal(cluster.status(3).lastExec, 0);
    cluster.drop = null;
    const tx = cluster.submit(1);
    runUntilExecuted(cluster, [...ids, tx], undefined, 300);
    const trace = cluster.trace.tail(400).join('\n');
    assert.match(trace, /r3 +warning +out of date: f\+1 replicas have checkpoints up to \d+/);
    assert.match(trace, /r3 +transferred +to seqNo/);
    assert.equal(cluster.host(3).stateValid, true);
    assert.equal(cluster.status(3).skipInProgress, false);
    assert.deepEqual(cluster.safety.violations, []);
  });

  it('TestClassicStateTransfer: behind at seqNo 6, replica 3 transfers to the checkpoint at 8 and executes 9 itself', () => {
    const cluster = scenario({ replica: { K: 2, logMultiplier: 2 } });
    const early = Array.from({ length: 5 }, () => cluster.submit(0));
    runUntilExecuted(cluster, early);
    // Replica 3 stops hearing the normal case at seqNo 5/6.
    cluster.drop = (_from, to, message) => to === 3 && CONSENSUS.has(message.type);
    const middle = Array.from({ length: 3 }, () => cluster.submit(0));
    runUntilExecuted(cluster, middle, [0, 1, 2]);
    assert.equal(cluster.status(3).lastExec, 5);
    cluster.drop = null;
    const last = cluster.submit(0);
    runUntilExecuted(cluster, [last], undefined, 300);
    const trace = cluster.trace.tail(400).join('\n');
    assert.match(trace, /r3 +transferred +to seqNo 8/);
    assert.match(trace, /r3 +execute +seqNo 9 /);
    assert.equal(cluster.status(3).lastExec, 9);
  });

  it('TestClassicBackToBackStateTransfer: a replica that falls behind twice transfers twice', () => {
    const cluster = scenario({ replica: { K: 2, logMultiplier: 2 } });
    let transfers = 0;
    for (let round = 0; round < 2; round++) {
      cluster.drop = (from, to) => from === 3 || to === 3;
      const ids = Array.from({ length: 8 }, () => cluster.submit(1));
      runUntilExecuted(cluster, ids, [0, 1, 2], 300);
      cluster.drop = null;
      const tx = cluster.submit(1);
      runUntilExecuted(cluster, [...ids, tx], undefined, 300);
      transfers = cluster.trace.tail(400).filter((line) => / r3 +transferred /.test(line)).length;
    }
    assert.ok(transfers >= 2, `transfers ${transfers}\n${describeCluster(cluster)}`);
    assert.deepEqual(cluster.safety.violations, []);
  });

  it('TestStateNetworkMovesOnDuringSlowStateTransfer: state is invalid while a slow transfer runs; afterwards it catches up again', () => {
    const cluster = scenario({ replica: { K: 2, logMultiplier: 2 }, timing: { writeLatencyMax: 0, executeLatencyMax: 0, transferLatencyMin: 40, transferLatencyMax: 40 } });
    cluster.drop = (from, to) => from === 3 || to === 3;
    const ids = Array.from({ length: 10 }, () => cluster.submit(0));
    runUntilExecuted(cluster, ids, [0, 1, 2], 300);
    cluster.drop = null;
    const later: string[] = [];
    assert.ok(cluster.runUntil(() => cluster.status(3).stateTransferring, 100), describeCluster(cluster));
    assert.equal(cluster.host(3).stateValid, false, 'queries are refused while state may be inconsistent');
    // The network keeps going while replica 3 transfers.
    for (let i = 0; i < 8; i++) later.push(cluster.submit(1));
    runUntilExecuted(cluster, [...ids, ...later], undefined, 600);
    assert.equal(cluster.host(3).stateValid, true);
    assert.equal(cluster.status(3).lastExec, cluster.status(0).lastExec);
  });
});

describe('checkpoint certificates', () => {
  it('TestWitnessCheckpointOutOfBounds: one replica above the high watermark is ignored; f+1 make the replica transfer', () => {
    const cluster = scenario({ replica: { K: 2, logMultiplier: 2 } });
    const far = 20;
    cluster.inject(1, 0, { type: 'checkpoint', seqNo: far, id: fakeId(far), replicaId: 1 });
    cluster.run(2);
    assert.equal(cluster.status(0).skipInProgress, false);
    assert.equal(cluster.status(0).h, 0);
    cluster.inject(2, 0, { type: 'checkpoint', seqNo: far, id: fakeId(far), replicaId: 2 });
    cluster.run(1);
    const status = cluster.status(0);
    assert.equal(status.skipInProgress, true, 'f+1 above H: out of date');
    assert.equal(status.h, far);
  });

  it('TestNoCheckpointQuorum: without an intersection quorum of matching checkpoints the watermark stays', () => {
    const cluster = scenario({ replica: { K: 2, logMultiplier: 2 } });
    cluster.inject(1, 0, { type: 'checkpoint', seqNo: 2, id: fakeId(2), replicaId: 1 });
    cluster.inject(2, 0, { type: 'checkpoint', seqNo: 2, id: fakeId(3), replicaId: 2 });
    cluster.run(2);
    assert.equal(cluster.status(0).h, 0);
    cluster.inject(3, 0, { type: 'checkpoint', seqNo: 2, id: fakeId(2), replicaId: 3 });
    cluster.run(2);
    assert.equal(cluster.status(0).h, 0, 'two matching of three needed, and this replica has not reached seqNo 2 itself');
  });

  it('TestCheckpointDiffersFromWeakCert: a replica whose own checkpoint differs from the quorum says so loudly', () => {
    const cluster = scenario({ replica: { K: 2, logMultiplier: 2 } });
    // Replicas 1 and 2 (and 3) are made to report a different state at seqNo 2 to replica 0.
    cluster.intercept = (from, to, message) => (to === 0 && message.type === 'checkpoint' && from !== 0 ? [{ ...message, id: fakeId(99) }] : null);
    const ids = [cluster.submit(0), cluster.submit(0)];
    runUntilExecuted(cluster, ids);
    cluster.run(5);
    assert.ok(cluster.trace.tail(400).some((line) => / r0 +error +checkpoint at seqNo 2 is .* at a quorum: execution is not deterministic/.test(line)), describeCluster(cluster));
  });
});
