// The bench's per-peer batch figures: parsed from a /metrics text, differenced over the run; a
// peer without the histograms (noops), missing from a scrape or restarted is left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchFigures, parseBatchTotals } from '../../host/bench/batch-figures.ts';

const scrape = (orderingSum: number, ordered: number, executionSum: number, batches: number): string =>
  [
    '# TYPE weft_pbft_batch_ordering_seconds histogram',
    `weft_pbft_batch_ordering_seconds_bucket{le="+Inf"} ${ordered}`,
    `weft_pbft_batch_ordering_seconds_sum ${orderingSum}`,
    `weft_pbft_batch_ordering_seconds_count ${ordered}`,
    `weft_pbft_batch_execution_seconds_sum ${executionSum}`,
    `weft_pbft_batch_execution_seconds_count ${batches}`,
    'weft_block_height 12',
  ].join('\n');

test('parseBatchTotals reads the sums and counts; without the histograms there is nothing', () => {
  assert.deepEqual(parseBatchTotals(scrape(1.5, 10, 0.25, 11)), { orderingSeconds: 1.5, orderedBatches: 10, executionSeconds: 0.25, batches: 11 });
  assert.equal(parseBatchTotals('weft_block_height 3\n'), null);
  assert.equal(parseBatchTotals(''), null);
});

test('batchFigures: means over the run per peer; a peer missing or restarted is left out', () => {
  const before = [parseBatchTotals(scrape(1, 10, 0.5, 10)), parseBatchTotals(scrape(0, 0, 0, 0)), null, parseBatchTotals(scrape(5, 50, 5, 50))];
  const after = [parseBatchTotals(scrape(3, 30, 1.5, 30)), parseBatchTotals(scrape(0, 0, 0.04, 4)), parseBatchTotals(scrape(1, 1, 1, 1)), parseBatchTotals(scrape(0.1, 1, 0.1, 1))];
  assert.deepEqual(batchFigures(['vp0', 'vp1', 'vp2', 'vp3'], before, after), [
    { peer: 'vp0', batches: 20, orderingMs: 100, executionMs: 50 },
    { peer: 'vp1', batches: 4, orderingMs: 0, executionMs: 10 },
  ]);
});
