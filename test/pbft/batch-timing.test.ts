// BatchTimings: ordering from the first pre-prepare to execution start, execution to commit; a
// batch whose pre-prepare was never seen has no ordering time; what a faulty replica can make it
// remember is bounded; the status summary covers the last RECENT_BATCHES batches only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchTimings, PRE_PREPARES_TRACKED_MAX, RECENT_BATCHES } from '../../network/pbft/batch-timing.ts';

test('ordering runs from the first pre-prepare seen to execution start; execution from there to the commit', () => {
  const timings = new BatchTimings();
  timings.prePrepared(1, 100);
  timings.prePrepared(1, 150); // a resent pre-prepare does not restart the clock
  timings.prePrepared(2, 120);
  assert.deepEqual(timings.executed(1, 40, 180, 230), { seqNo: 1, transactions: 40, orderingMs: 80, executionMs: 50 });
  assert.deepEqual(timings.executed(2, 10, 230, 240), { seqNo: 2, transactions: 10, orderingMs: 110, executionMs: 10 });
  // A new view's batch: no pre-prepare was seen here.
  assert.equal(timings.executed(3, 5, 240, 245).orderingMs, null);
  assert.deepEqual(timings.summary(), { batches: 3, transactionsPerBatch: 18.3, orderingMs: { mean: 95, max: 110 }, executionMs: { mean: 21.7, max: 50 } });
});

test('executing or transferring past a seqNo forgets the pre-prepares at or below it', () => {
  const timings = new BatchTimings();
  for (const seqNo of [3, 4, 5, 9]) timings.prePrepared(seqNo, seqNo);
  timings.executed(4, 1, 10, 11);
  assert.equal(timings.tracked, 2, '3 (reassigned by a view change) and 4 are gone');
  timings.forgetThrough(8);
  assert.equal(timings.tracked, 1);
  timings.prePrepared(Number.NaN, 1);
  timings.prePrepared(1.5, 1);
  assert.equal(timings.tracked, 1, 'not a seqNo');
});

test('a flood of pre-prepares for made-up seqNos keeps at most PRE_PREPARES_TRACKED_MAX, the newest', () => {
  const timings = new BatchTimings();
  for (let seqNo = 1; seqNo <= PRE_PREPARES_TRACKED_MAX * 3; seqNo++) timings.prePrepared(seqNo, seqNo);
  assert.equal(timings.tracked, PRE_PREPARES_TRACKED_MAX);
  const last = PRE_PREPARES_TRACKED_MAX * 3;
  assert.equal(timings.executed(last, 1, last + 5, last + 6).orderingMs, 5);
  assert.equal(timings.executed(1, 1, 10, 11).orderingMs, null, 'the oldest were forgotten');
});

test('the summary covers the last RECENT_BATCHES batches; none yet gives zeros', () => {
  const timings = new BatchTimings();
  assert.deepEqual(timings.summary(), { batches: 0, transactionsPerBatch: 0, orderingMs: { mean: 0, max: 0 }, executionMs: { mean: 0, max: 0 } });
  // A slow early batch, then RECENT_BATCHES quick ones: the slow one no longer shows.
  timings.executed(1, 500, 0, 1_000);
  for (let seqNo = 2; seqNo <= RECENT_BATCHES + 1; seqNo++) timings.executed(seqNo, 2, 0, 4);
  assert.deepEqual(timings.summary(), { batches: RECENT_BATCHES, transactionsPerBatch: 2, orderingMs: { mean: 0, max: 0 }, executionMs: { mean: 4, max: 4 } });
});
