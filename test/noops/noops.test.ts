// The noops plugin: batches by size or wait, executes one batch at a time, bounds its queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoopsConsensus } from '../../network/noops/noops.ts';
import type { OrderedBatch } from '../../network/consensus.ts';

function stack() {
  const batches: OrderedBatch[] = [];
  let running = 0;
  let maxRunning = 0;
  return {
    batches,
    maxRunning: () => maxRunning,
    stack: {
      async execute(batch: OrderedBatch) {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        batches.push(batch);
        running--;
        return { height: batches.length, blockHash: new Uint8Array(0), stateHash: new Uint8Array(0), consensusMetadata: new Uint8Array(0) };
      },
      head: () => ({ height: 0, blockHash: new Uint8Array(0), stateHash: new Uint8Array(0), consensusMetadata: new Uint8Array(0) }),
    },
  };
}

const tx = (n: number) => new Uint8Array([n]);

test('a full block is cut at once; the rest waits for block.wait', async () => {
  const s = stack();
  const noops = new NoopsConsensus(s.stack, { blockSize: 3, blockWaitMs: 50, queueMax: 100 });
  await noops.start();
  for (let i = 0; i < 4; i++) await noops.submit(tx(i));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(s.batches.map((b) => b.transactions.map((t) => t[0])), [[0, 1, 2]]);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(s.batches.map((b) => b.transactions.map((t) => t[0])), [[0, 1, 2], [3]]);
  await noops.stop();
});

test('batches execute one at a time, in order; stop flushes the queue', async () => {
  const s = stack();
  const noops = new NoopsConsensus(s.stack, { blockSize: 2, blockWaitMs: 10_000, queueMax: 100 });
  await noops.start();
  for (let i = 0; i < 7; i++) await noops.submit(tx(i));
  await noops.stop();
  assert.deepEqual(s.batches.map((b) => b.transactions.map((t) => t[0])), [[0, 1], [2, 3], [4, 5], [6]]);
  assert.equal(s.maxRunning(), 1);
  await assert.rejects(noops.submit(tx(9)), /consensus is stopping/);
});

test('a full queue rejects with a clear error instead of growing', async () => {
  const s = stack();
  const noops = new NoopsConsensus(s.stack, { blockSize: 1000, blockWaitMs: 10_000, queueMax: 3 });
  await noops.start();
  for (let i = 0; i < 3; i++) await noops.submit(tx(i));
  await assert.rejects(noops.submit(tx(3)), /transaction queue is full \(3 waiting\)/);
  await noops.stop();
  assert.equal(s.batches.length, 1);
});

test('bad options are refused', () => {
  const s = stack();
  assert.throws(() => new NoopsConsensus(s.stack, { blockSize: 0, blockWaitMs: 1, queueMax: 1 }), /block.size/);
});
