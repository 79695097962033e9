// State transfer between two real ledgers over the in-memory transport: by deltas when close,
// by snapshot when far behind (also from a peer whose state has moved past the target), a lying
// peer skipped for an honest one, and a chain that does not extend ours refused.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Ledger } from '../../host/ledger/ledger.ts';
import { StateTransfer, StateTransferServer } from '../../host/peer/state-transfer.ts';
import { decodeBlocksAnswer, decodeSyncRequest, encodeBlocksAnswer } from '../../host/peer/sync-messages.ts';
import { BlockCodec } from '../../host/protocol/messages.ts';
import { MemoryHub } from '../../network/transport/memory-transport.ts';
import { blockInput, hex, invoke, openTempLedger, stateOf, writes } from '../ledger/helpers.ts';

const OPTIONS = { blocksPerRequest: 3, maxDeltas: 5, blockTimeoutMs: 2_000, snapshotTimeoutMs: 10_000 };

async function grow(ledger: Ledger, blocks: number, tag: string): Promise<void> {
  for (let i = 0; i < blocks; i++) {
    const n = ledger.height();
    await ledger.commitBlock(
      blockInput({
        transactions: [invoke(`${tag}-${n}`)],
        // Keys written, overwritten and deleted, so deltas carry all three kinds of change.
        writes: writes('ex02', { [`k${n}`]: `v${n}`, a: String(n), [`k${n - 2}`]: n % 3 === 0 ? null : `w${n}` }),
      }),
    );
  }
}

async function pair(t: TestContext) {
  const hub = new MemoryHub();
  const source = await openTempLedger(t);
  const target = await openTempLedger(t);
  const server = hub.create('vp0');
  const client = hub.create('vp1');
  const serving = new StateTransferServer(source.ledger, { snapshotIdleMs: 60_000 });
  server.onRequest('sync', (from, payload) => serving.handle(from, payload));
  await server.start();
  await client.start();
  return { hub, source: source.ledger, target: target.ledger, server, client, transfer: new StateTransfer(target.ledger, client, OPTIONS) };
}

function assertSame(a: Ledger, b: Ledger): void {
  assert.equal(b.height(), a.height());
  assert.equal(hex(b.head().blockHash), hex(a.head().blockHash));
  assert.equal(hex(b.stateHash()), hex(a.stateHash()));
  assert.deepEqual(stateOf(b, 'ex02'), stateOf(a, 'ex02'));
  assert.equal(b.stateStatus().behind, false);
}

test('a peer a few blocks behind catches up block by block with the deltas', async (t) => {
  const { source, target, transfer } = await pair(t);
  await grow(source, 4, 'tx');
  const head = await transfer.syncTo({ height: source.height(), blockHash: source.head().blockHash }, ['vp0']);
  assert.equal(head.height, 5);
  assertSame(source, target);
  assert.ok(await target.getStateDelta(4), 'the fetched deltas are kept for later catch-up');
  assert.deepEqual((await target.verifyChain(0, 4)).valid, true);
});

test('a peer far behind appends the blocks, then installs a snapshot verified against the head block', async (t) => {
  const { source, target, transfer } = await pair(t);
  await grow(source, 12, 'tx');
  await transfer.syncTo({ height: source.height(), blockHash: source.head().blockHash }, ['vp0']);
  assertSame(source, target);
});

test('when the serving peer has moved past the target, its snapshot is taken back with the inverted deltas', async (t) => {
  const { source, target, transfer } = await pair(t);
  await grow(source, 9, 'tx');
  const targetHeight = source.height();
  const targetHash = source.head().blockHash;
  const targetState = stateOf(source, 'ex02');
  const targetStateHash = hex(source.stateHash());
  await grow(source, 4, 'later');
  await transfer.syncTo({ height: targetHeight, blockHash: targetHash }, ['vp0']);
  assert.equal(target.height(), targetHeight);
  assert.equal(hex(target.stateHash()), targetStateHash);
  assert.deepEqual(stateOf(target, 'ex02'), targetState);
  // And from there, the rest by deltas.
  await transfer.syncTo({ height: source.height(), blockHash: source.head().blockHash }, ['vp0']);
  assertSame(source, target);
});

test('a peer sending blocks off the proven chain is skipped; the next peer serves, and nothing false is appended', async (t) => {
  const { hub, source, target } = await pair(t);
  await grow(source, 4, 'tx');
  const honest = new StateTransferServer(source, { snapshotIdleMs: 60_000 });
  const liar = hub.create('vp2');
  liar.onRequest('sync', async (from, payload) => {
    const answer = decodeBlocksAnswer(await honest.handle(from, payload));
    const request = decodeSyncRequest(payload);
    assert.equal(request.kind, 'blocks');
    return encodeBlocksAnswer(
      answer.map((entry) => {
        const block = BlockCodec.decode(entry.block);
        return { ...entry, block: BlockCodec.encode({ ...block, transactions: [invoke('forged')] }) };
      }),
    );
  });
  await liar.start();
  const client = hub.peer('vp1')!;
  const transfer = new StateTransfer(target, client, OPTIONS);
  await assert.rejects(transfer.syncTo({ height: source.height(), blockHash: source.head().blockHash }, ['vp2']), /vp2 sent block 4 with hash/);
  assert.equal(target.height(), 1, 'nothing appended from the liar');
  await transfer.syncTo({ height: source.height(), blockHash: source.head().blockHash }, ['vp2', 'vp0']);
  assertSame(source, target);
});

test('a target whose chain does not extend ours is refused, and so is an unknown target below our head', async (t) => {
  const { source, target, transfer } = await pair(t);
  await grow(source, 3, 'tx');
  await grow(target, 1, 'other');
  await assert.rejects(transfer.syncTo({ height: source.height(), blockHash: source.head().blockHash }, ['vp0']), /the chains differ/);
  assert.equal(target.height(), 2);
  await assert.rejects(transfer.syncTo({ height: 2, blockHash: new Uint8Array(64) }, ['vp0']), /the chains differ/);
  await assert.rejects(transfer.syncTo({ height: source.height(), blockHash: source.head().blockHash }, []), /no peer/);
});

test('malformed sync requests are answered with errors, not crashes', async (t) => {
  const { source } = await pair(t);
  const server = new StateTransferServer(source, { snapshotIdleMs: 60_000 });
  await assert.rejects(server.handle('x', new Uint8Array([])), /truncated/);
  await assert.rejects(server.handle('x', new Uint8Array([9])), /unknown request kind 9/);
  await assert.rejects(server.handle('x', new Uint8Array([4, 0, 0, 0, 7, 0, 0, 0, 0])), /no snapshot 7 open for x/);
  await assert.rejects(server.handle('x', new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 6, 0])), /blocks 5\.\.6 asked for, height is 1/);
});
