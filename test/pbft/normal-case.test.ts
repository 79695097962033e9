// Normal operation and a faulty primary, after Fabric v0.6's pbft-core_test.go and batch_test.go:
// TestNetwork, TestPbftF0, TestOrderedRequests, TestCheckpoint, TestNetworkBatch,
// TestOutstandingReqsIngestion, TestLostPrePrepare, TestInconsistentPrePrepare,
// TestMaliciousPrePrepare, TestWrongReplicaID, TestIncompletePayload.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRequestBatch } from '../../network/pbft/codec.ts';
import { batchDigest } from '../../network/pbft/digest.ts';
import { requestKey, type PbftMessage, type PrePrepare, type Request } from '../../network/pbft/messages.ts';
import { txPayload } from '../sim/toy-ledger.ts';
import { blockOf, chain, describeCluster, runUntilExecuted, scenario, SCENARIO_REPLICA } from './scenario.ts';

describe('normal case', () => {
  it('TestNetwork: seven replicas execute a request as the same block', () => {
    const cluster = scenario({ n: 7 });
    const tx = cluster.submit(3);
    runUntilExecuted(cluster, [tx]);
    assert.deepEqual(blockOf(cluster, tx), [2, 2, 2, 2, 2, 2, 2]);
    const chains = cluster.hosts.map((h) => chain(cluster, h.id).join(','));
    assert.equal(new Set(chains).size, 1);
    for (const h of cluster.hosts) assert.equal(cluster.status(h.id).lastExec, 1);
    assert.deepEqual(cluster.safety.violations, []);
  });

  it('TestPbftF0: a single replica (N=1, f=0), and two replicas with f=0, order on their own', () => {
    const single = scenario({ n: 1, f: 0 });
    const tx = single.submit(0);
    runUntilExecuted(single, [tx], undefined, 20);
    assert.equal(single.status(0).lastExec, 1);
    const pair = scenario({ n: 2, f: 0 });
    const a = pair.submit(0);
    const b = pair.submit(1);
    runUntilExecuted(pair, [a, b], undefined, 50);
    assert.deepEqual(chain(pair, 0), chain(pair, 1));
  });

  it('TestOrderedRequests: requests execute in the order the primary received them, everywhere', () => {
    const cluster = scenario();
    const ids = [0, 1, 2, 3, 4].map(() => cluster.submit(0));
    runUntilExecuted(cluster, ids);
    for (const h of cluster.hosts) {
      const order = [2, 3, 4, 5, 6].map((height) => h.ledger.blockAt(height)?.txIds[0]);
      assert.deepEqual(order, ids, `replica ${h.id}`);
    }
  });

  it('TestCheckpoint: K=2, logmultiplier=2 takes a checkpoint at seqNo 2 and moves h to 2', () => {
    const cluster = scenario({ replica: { K: 2, logMultiplier: 2 } });
    const ids = [cluster.submit(0), cluster.submit(0)];
    runUntilExecuted(cluster, ids);
    assert.ok(cluster.runUntil(() => cluster.hosts.every((h) => cluster.status(h.id).h === 2), 20), describeCluster(cluster));
    for (const h of cluster.hosts) assert.deepEqual({ h: cluster.status(h.id).h, H: cluster.status(h.id).H }, { h: 2, H: 6 });
    // The window keeps moving: many more requests than L=4 still execute.
    const more = Array.from({ length: 9 }, () => cluster.submit(1));
    runUntilExecuted(cluster, more);
    for (const h of cluster.hosts) assert.equal(cluster.status(h.id).h, 10);
  });

  it('TestNetworkBatch: batchsize 2 puts two requests in one block; a third goes after the batch timeout', () => {
    const cluster = scenario({ replica: { batchSize: 2, batchTimeoutTicks: 8 } });
    const [a, b] = [cluster.submit(0), cluster.submit(0)];
    runUntilExecuted(cluster, [a as string, b as string]);
    for (const h of cluster.hosts) assert.deepEqual(h.ledger.blockAt(2)?.txIds, [a, b]);
    const c = cluster.submit(0);
    const submittedAt = cluster.now;
    runUntilExecuted(cluster, [c]);
    assert.ok(cluster.now - submittedAt >= 8, 'a lone request waits for the batch timeout');
    for (const h of cluster.hosts) assert.deepEqual(h.ledger.blockAt(3)?.txIds, [c]);
  });

  it('TestOutstandingReqsIngestion: requests submitted at backups reach every replica and the primary orders them', () => {
    const cluster = scenario({ replica: { batchSize: 3 } });
    const ids = [cluster.submit(1), cluster.submit(2), cluster.submit(3)];
    assert.ok(cluster.runUntil(() => cluster.hosts.every((h) => cluster.status(h.id).outstandingRequests === 3), 5), 'every replica knows all three');
    runUntilExecuted(cluster, ids);
    for (const h of cluster.hosts) {
      assert.deepEqual([...(h.ledger.blockAt(2)?.txIds ?? [])].sort(), [...ids].sort());
      assert.equal(cluster.status(h.id).outstandingRequests, 0);
    }
  });
});

describe('a faulty primary', () => {
  it('TestLostPrePrepare: a backup that never gets the pre-prepare does not stop the others, and catches up', () => {
    const cluster = scenario();
    cluster.drop = (from, to, message) => from === 0 && to === 2 && message.type === 'pre-prepare';
    const tx = cluster.submit(0);
    runUntilExecuted(cluster, [tx], [0, 1, 3], 20);
    assert.equal(cluster.host(2).ledger.hasExecuted(tx), false, 'replica 2 cannot have executed it yet');
    // weft: commits and a fetched batch let replica 2 execute it too (Fabric's replica 2 stays behind).
    runUntilExecuted(cluster, [tx], [2], 100);
    assert.deepEqual(chain(cluster, 2), chain(cluster, 0));
    assert.equal(cluster.status(2).view, 0, 'no view change was needed');
  });

  it('TestInconsistentPrePrepare: different batches for one seqNo stop the view, and the next view orders the requests once', () => {
    const cluster = scenario({ replica: { batchSize: 2 } });
    cluster.intercept = (from, to, message) => {
      if (from !== 0 || message.type !== 'pre-prepare' || message.view !== 0 || message.batch === null) return null;
      if (to === 2) {
        const batch = { requests: [...message.batch.requests].reverse() };
        return [{ ...message, batch, digest: batchDigest(encodeRequestBatch(batch)) }];
      }
      if (to === 3) return [{ ...message, batch: null, digest: '' }];
      return null;
    };
    const ids = [cluster.submit(1), cluster.submit(1)];
    cluster.run(15);
    for (const h of cluster.hosts) assert.equal(h.ledger.height, 1, `replica ${h.id} executed in view 0`);
    runUntilExecuted(cluster, ids, undefined, 300);
    for (const h of cluster.hosts) {
      assert.ok(cluster.status(h.id).view >= 1, `replica ${h.id} still in view 0`);
      assert.equal([...h.ledger.executedIds()].length, 2, 'each request exactly once');
    }
    assert.deepEqual(cluster.safety.violations, []);
  });

  it('a batch never executes as more than BATCH_TRANSACTIONS_MAX transactions: the primary cuts early, backups refuse more', () => {
    // Every request declares 6,000 transactions (as a bundle would): two never share a batch.
    const cluster = scenario({ replica: { batchSize: 4 }, transactionsIn: () => 6_000 });
    const txs = [cluster.submit(0), cluster.submit(0)];
    runUntilExecuted(cluster, txs);
    assert.deepEqual(txs.map((tx) => blockOf(cluster, tx)[1]), [2, 3]);

    // A primary that puts two such requests in one batch is refused by every backup.
    const byzantine = scenario({ replica: { batchSize: 4 }, transactionsIn: () => 6_000 });
    byzantine.intercept = (from, _to, message) => {
      if (from !== 0 || message.type !== 'pre-prepare' || message.batch === null) return null;
      const [first] = message.batch.requests;
      const batch = { requests: [first!, { ...first!, counter: first!.counter + 1_000 }] };
      return [{ ...message, batch, digest: batchDigest(encodeRequestBatch(batch)) }];
    };
    byzantine.submit(0);
    byzantine.run(10);
    for (const r of [1, 2, 3]) assert.equal(byzantine.status(r).drops['batch of 12000 transactions exceeds 10000'], 1, `replica ${r}: ${JSON.stringify(byzantine.status(r).drops)}`);
  });

  it('TestMaliciousPrePrepare: a pre-prepare whose digest does not match its batch is dropped; a view change follows', () => {
    const cluster = scenario();
    cluster.intercept = (from, _to, message) =>
      from === 0 && message.type === 'pre-prepare' && message.batch !== null ? [{ ...message, digest: batchDigest(new Uint8Array([1, 2, 3])) }] : null;
    const tx = cluster.submit(1);
    cluster.run(10);
    for (const r of [1, 2, 3]) assert.equal(cluster.status(r).drops['pre-prepare digest does not match its batch'], 1);
    runUntilExecuted(cluster, [tx], [1, 2, 3], 300);
    assert.ok(cluster.status(1).view >= 1);
  });

  it('TestWrongReplicaID: a message whose replica id is not its sender is dropped with that reason', () => {
    const cluster = scenario();
    const forged: PbftMessage = { type: 'prepare', view: 0, seqNo: 1, digest: batchDigest(new Uint8Array(1)), replicaId: 2 };
    cluster.inject(1, 3, forged);
    const forgedPrePrepare: PrePrepare = { type: 'pre-prepare', view: 0, seqNo: 1, digest: '', batch: null, replicaId: 0 };
    cluster.inject(2, 3, forgedPrePrepare);
    cluster.run(2);
    const status = cluster.status(3);
    assert.equal(status.drops['sender id differs from the replica id in the message'], 2);
    assert.equal(status.certificates, 0, 'nothing was recorded');
  });

  it('TestIncompletePayload: a pre-prepare without its batch, or bytes that are no message, are refused', () => {
    const cluster = scenario();
    const digest = batchDigest(new Uint8Array([9]));
    cluster.inject(0, 1, { type: 'pre-prepare', view: 0, seqNo: 1, digest, batch: null, replicaId: 0 });
    cluster.inject(0, 1, { type: 'pre-prepare', view: 0, seqNo: 1, digest: '', batch: { requests: [] }, replicaId: 0 });
    cluster.network.send(0, 2, new Uint8Array([1, 2, 0xff]), cluster.now);
    cluster.run(3);
    const drops = cluster.status(1).drops;
    assert.equal(drops['pre-prepare without its batch'], 1);
    assert.equal(drops['null request carries a batch'], 1);
    assert.equal(cluster.decodeErrors, 1);
    assert.equal(cluster.status(1).certificates, 0);
  });

  it('a primary that puts one request twice in a batch is refused; an already executed request never executes again', () => {
    const cluster = scenario({ replica: { batchSize: 2 } });
    const [a] = [cluster.submit(0)];
    runUntilExecuted(cluster, [a as string]);
    const request = cluster.host(0).core?.status();
    assert.equal(request?.lastExec, 1);
    // The primary replays the executed request in a new batch (a stale or byzantine primary).
    const executedRequest = cluster.delivered.find((d) => d.message.type === 'request')?.message;
    assert.ok(executedRequest?.type === 'request');
    const replay = { requests: [executedRequest.request] };
    cluster.inject(0, 1, { type: 'pre-prepare', view: 0, seqNo: 2, digest: batchDigest(encodeRequestBatch(replay)), batch: replay, replicaId: 0 });
    const twice = { requests: [executedRequest.request, executedRequest.request] };
    cluster.inject(0, 2, { type: 'pre-prepare', view: 0, seqNo: 2, digest: batchDigest(encodeRequestBatch(twice)), batch: twice, replicaId: 0 });
    cluster.run(3);
    assert.match(Object.keys(cluster.status(2).drops).join(','), /twice in one batch/);
    const b = cluster.submit(0);
    runUntilExecuted(cluster, [b], undefined, 300);
    for (const h of cluster.hosts) {
      const ids = [...h.ledger.executedIds()];
      assert.deepEqual(ids.sort(), [a, b].sort(), `replica ${h.id}`);
    }
    assert.deepEqual(cluster.safety.violations, []);
  });
});

describe('request signatures: checked once, by whoever relies on them', () => {
  const badRequest = (origin: number, counter: number): Request => ({ origin, counter, payload: txPayload(`bad-${counter}`), signature: new Uint8Array(32).fill(7) });

  it('a request straight from its origin is stored unchecked; the primary checks it before proposing and drops a bad one; no view change follows', () => {
    const cluster = scenario();
    const bad = badRequest(2, 1_000);
    const reason = `request ${requestKey(bad)} has a bad signature`;
    for (const to of [0, 1, 3]) cluster.inject(2, to, { type: 'request', request: bad });
    cluster.run(2);
    assert.equal(cluster.status(0).drops[reason], 1, 'the primary checked it when it came to propose it');
    for (const r of [1, 3]) assert.equal(cluster.status(r).drops[reason], undefined, `replica ${r} took it unchecked from its origin`);
    const good = cluster.submit(1);
    runUntilExecuted(cluster, [good]);
    // Past the request timeout, the backups check what they hold unchecked instead of blaming the primary.
    cluster.run(SCENARIO_REPLICA.requestTimeoutTicks! * 3);
    for (const r of [1, 3]) assert.equal(cluster.status(r).drops[reason], 1, `replica ${r} dropped it at its request timeout`);
    for (const h of cluster.hosts) {
      assert.equal(cluster.status(h.id).view, 0, `replica ${h.id} stayed in view 0`);
      assert.deepEqual([...h.ledger.executedIds()], [good]);
    }
    assert.deepEqual(cluster.safety.violations, []);
  });

  it('a request relayed by anyone but its origin is checked on arrival', () => {
    const cluster = scenario();
    const bad = badRequest(2, 1_001);
    cluster.inject(1, 3, { type: 'request', request: bad });
    cluster.run(2);
    assert.equal(cluster.status(3).drops[`request ${requestKey(bad)} has a bad signature`], 1);
    assert.equal(cluster.status(3).outstandingRequests, 0);
  });
});
