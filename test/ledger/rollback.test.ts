// Verification and rollback: Fabric's TestVerifyChain (a tampered block is found),
// TestRollBackwardsAndForwards (state moved by deltas, checked against each block's stateHash),
// deltas' contents and their pruning to the last deltaHistorySize blocks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Level } from 'level';
import { Ledger } from '../../host/ledger/ledger.ts';
import { blockKey } from '../../host/ledger/key-spaces.ts';
import { encodeBlock } from '../../host/ledger/block-store.ts';
import { BlockCodec } from '../../host/protocol/messages.ts';
import { blockInput, hex, invoke, openTempLedger, stateOf, text, utf8, writes } from './helpers.ts';

async function commitFive(ledger: Ledger): Promise<void> {
  await ledger.commitBlock(blockInput({ transactions: [invoke('t1')], writes: writes('cc', { a: '1' }) }));
  await ledger.commitBlock(blockInput({ transactions: [invoke('t2')], writes: writes('cc', { a: '2', b: '1' }) }));
  await ledger.commitBlock(blockInput({ transactions: [invoke('t3')], writes: writes('cc', { a: null, c: '1' }) }));
  await ledger.commitBlock(blockInput({ transactions: [invoke('t4')], writes: writes('other', { x: 'x' }) }));
  await ledger.commitBlock(blockInput({ transactions: [invoke('t5')], writes: writes('cc', { b: '5' }) }));
}

test('verifyChain accepts an intact chain and finds a tampered block (TestVerifyChain)', async (t) => {
  const { ledger, dir } = await openTempLedger(t);
  await commitFive(ledger);
  assert.deepEqual(await ledger.verifyChain(0, 5), { valid: true });
  assert.deepEqual(await ledger.verifyChain(2, 4), { valid: true });
  assert.deepEqual(await ledger.verifyChain(5, 5), { valid: true });
  await assert.rejects(ledger.verifyChain(0, 6), /cannot verify blocks 0..6 \(height 6\)/);
  await ledger.close();

  // Rewrite block 3 on disk with different (hashed) content.
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  const block3 = BlockCodec.decode((await db.get(blockKey(3)))!);
  await db.put(blockKey(3), encodeBlock({ ...block3, consensusMetadata: utf8('forged') }).stored);
  await db.close();

  const reopened = await Ledger.open(dir, { deltaHistorySize: 500 });
  t.after(() => reopened.close());
  assert.deepEqual(await reopened.verifyChain(0, 5), {
    valid: false,
    blockNumber: 4,
    reason: 'previousBlockHash of block 4 is not the hash of block 3',
  });
  const result = await reopened.verifyChain(0, 3);
  assert.equal(result.valid, false);
  assert.equal(!result.valid && result.blockNumber, 3);
  assert.match(!result.valid ? result.reason : '', /^block hash index does not map [0-9a-f]{16}… to block 3$/);
  assert.deepEqual(await reopened.verifyChain(0, 2), { valid: true });
});

test('state deltas record previous and new value per key', async (t) => {
  const { ledger } = await openTempLedger(t);
  await commitFive(ledger);
  const delta = await ledger.getStateDelta(3);
  assert.ok(delta);
  assert.deepEqual([...delta.keys()], ['cc']);
  const keys = delta.get('cc')!;
  assert.equal(text(keys.get('a')!.previous!), '2');
  assert.equal(keys.get('a')!.value, null);
  assert.equal(keys.get('c')!.previous, null);
  assert.equal(text(keys.get('c')!.value!), '1');
  assert.equal(await ledger.getStateDelta(6), undefined);
});

test('rolling state back and forwards by deltas passes through every block\'s state (TestRollBackwardsAndForwards)', async (t) => {
  const { ledger, dir } = await openTempLedger(t);
  const hashes: string[] = [hex(ledger.stateHash())];
  const states: Array<Record<string, string>> = [stateOf(ledger, 'cc')];
  await ledger.commitBlock(blockInput({ writes: writes('cc', { a: '1' }) }));
  hashes.push(hex(ledger.stateHash()));
  states.push(stateOf(ledger, 'cc'));
  await ledger.commitBlock(blockInput({ writes: writes('cc', { a: '2', b: '1' }) }));
  hashes.push(hex(ledger.stateHash()));
  states.push(stateOf(ledger, 'cc'));
  await ledger.commitBlock(blockInput({ writes: writes('cc', { a: null, c: '1' }) }));
  hashes.push(hex(ledger.stateHash()));
  states.push(stateOf(ledger, 'cc'));

  for (let n = 2; n >= 0; n--) {
    assert.deepEqual(await ledger.rollStateBack(), { blockNumber: n, height: 4, behind: true });
    assert.equal(hex(ledger.stateHash()), hashes[n]);
    assert.equal(hex(ledger.stateHash()), hex((await ledger.getBlock(n))!.stateHash));
    assert.deepEqual(stateOf(ledger, 'cc'), states[n]);
  }
  await assert.rejects(ledger.rollStateBack(), /the state is at the genesis block; nothing to roll back/);
  await assert.rejects(ledger.commitBlock(blockInput()), /cannot commit a block: the state is at block 0, behind the head block 3/);
  assert.equal(ledger.height(), 4, 'the chain itself is untouched');

  await ledger.rollStateForward();
  // Behind survives a restart.
  await ledger.close();
  const reopened = await Ledger.open(dir, { deltaHistorySize: 500 });
  t.after(() => reopened.close());
  assert.deepEqual(reopened.stateStatus(), { blockNumber: 1, height: 4, behind: true });
  assert.deepEqual(stateOf(reopened, 'cc'), states[1]);

  for (let n = 2; n <= 3; n++) {
    await reopened.rollStateForward();
    assert.equal(hex(reopened.stateHash()), hashes[n]);
    assert.deepEqual(stateOf(reopened, 'cc'), states[n]);
  }
  assert.deepEqual(reopened.stateStatus(), { blockNumber: 3, height: 4, behind: false });
  await assert.rejects(reopened.rollStateForward(), /the state is at the head block 3; nothing to roll forward/);
  const next = await reopened.commitBlock(blockInput({ writes: writes('cc', { d: '1' }) }));
  assert.equal(next.blockNumber, 4);
});

test('deltas are kept for the last deltaHistorySize blocks and pruned in the commit batch', async (t) => {
  const { ledger, dir } = await openTempLedger(t, 3);
  for (let i = 1; i <= 6; i++) await ledger.commitBlock(blockInput({ writes: writes('cc', { k: String(i) }) }));
  const kept = [];
  for (let n = 0; n < 7; n++) if ((await ledger.getStateDelta(n)) !== undefined) kept.push(n);
  assert.deepEqual(kept, [4, 5, 6]);
  await ledger.rollStateBack();
  await ledger.rollStateBack();
  await ledger.rollStateBack();
  assert.equal(text(ledger.getState('cc', 'k')), '3');
  await assert.rejects(ledger.rollStateBack(), /no state delta for block 3 \(deltas are kept for the last 3 blocks\)/);
  for (let i = 0; i < 3; i++) await ledger.rollStateForward();
  await ledger.close();

  // Reopening with a smaller window prunes at open.
  const reopened = await Ledger.open(dir, { deltaHistorySize: 1 });
  t.after(() => reopened.close());
  const keptAfter = [];
  for (let n = 0; n < 7; n++) if ((await reopened.getStateDelta(n)) !== undefined) keptAfter.push(n);
  assert.deepEqual(keptAfter, [6]);
});

test('deltaHistorySize 0 keeps no deltas; invalid sizes are refused', async (t) => {
  const { ledger, dir } = await openTempLedger(t, 0);
  await ledger.commitBlock(blockInput({ writes: writes('cc', { k: '1' }) }));
  assert.equal(await ledger.getStateDelta(1), undefined);
  await assert.rejects(ledger.rollStateBack(), /no state delta for block 1/);
  await assert.rejects(Ledger.open(dir + '-x', { deltaHistorySize: -1 }), /deltaHistorySize must be a non-negative integer, got -1/);
  await assert.rejects(Ledger.open(dir + '-x', { deltaHistorySize: 1.5 }), /deltaHistorySize must be a non-negative integer, got 1.5/);
});
