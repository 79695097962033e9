// State-transfer support: reading blocks and deltas, catching up by deltas, blocks without state
// then a snapshot, and every tampered block, delta or snapshot refused with the ledger unchanged.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Ledger } from '../../host/ledger/ledger.ts';
import { LedgerRejectedError } from '../../host/ledger/ledger-errors.ts';
import { decodeSnapshotChunk, encodeSnapshotChunk, type StateSnapshotChunk } from '../../host/ledger/snapshot.ts';
import { decodeStateDelta, encodeStateDelta } from '../../host/ledger/state-delta.ts';
import type { StateDelta } from '../../host/ledger/types.ts';
import type { Block } from '../../host/protocol/messages.ts';
import { blockInput, hex, invoke, openTempLedger, stateOf, utf8, writes } from './helpers.ts';

/** A source ledger with 6 blocks over two namespaces. */
async function source(t: TestContext): Promise<Ledger> {
  const { ledger } = await openTempLedger(t);
  for (let i = 1; i <= 6; i++) {
    const entries: Record<string, string | null> = { [`k${i}`]: `v${i}`, shared: String(i) };
    if (i > 2) entries[`k${i - 2}`] = null;
    await ledger.commitBlock(blockInput({ transactions: [invoke(`tx-${i}`)], writes: writes(i % 2 ? 'cc' : 'dd', entries) }));
  }
  return ledger;
}

function snapshotOf(ledger: Ledger): { hash: string; height: number; head: string; cc: Record<string, string>; dd: Record<string, string> } {
  return {
    hash: hex(ledger.stateHash()),
    height: ledger.height(),
    head: hex(ledger.blockchainInfo().currentBlockHash),
    cc: stateOf(ledger, 'cc'),
    dd: stateOf(ledger, 'dd'),
  };
}

function cloneDelta(delta: StateDelta): StateDelta {
  return decodeStateDelta(encodeStateDelta(delta));
}

test('readBlocks reads forwards and backwards with hashes and deltas, bounded', async (t) => {
  const a = await source(t);
  const backwards = await a.readBlocks(3, 1, { withDeltas: true });
  assert.deepEqual(backwards.map((r) => r.blockNumber), [3, 2, 1]);
  for (const record of backwards) {
    assert.equal(hex(record.blockHash), hex((await a.getBlockHash(record.blockNumber))!));
    assert.ok(record.delta);
  }
  assert.equal(hex(backwards[0]!.block.previousBlockHash), hex(backwards[1]!.blockHash));
  const forwards = await a.readBlocks(5, 6);
  assert.deepEqual(forwards.map((r) => r.blockNumber), [5, 6]);
  assert.equal(forwards[0]!.delta, undefined);
  await assert.rejects(a.readBlocks(5, 7), /block 7 does not exist \(height 7\)/);
  await assert.rejects(a.readBlocks(-1, 2), /block -1 does not exist/);
  assert.equal(hex((await a.getEncodedStateDelta(2))!), hex(encodeStateDelta((await a.getStateDelta(2))!)));
});

test('a peer catches up block by block with deltas and ends identical to the source', async (t) => {
  const a = await source(t);
  const { ledger: b } = await openTempLedger(t);
  for (const record of await a.readBlocks(1, 6, { withDeltas: true })) {
    // Over the wire: deltas travel encoded.
    const delta = decodeStateDelta(encodeStateDelta(record.delta!));
    const committed = await b.appendBlockWithDelta(record.block, delta, record.blockHash);
    assert.equal(committed.blockNumber, record.blockNumber);
  }
  assert.deepEqual(snapshotOf(b), snapshotOf(a));
  assert.deepEqual(await b.verifyChain(0, 6), { valid: true });
  assert.equal((await b.getTransaction('tx-4'))?.blockNumber, 4);
  assert.ok(await b.getStateDelta(6));
});

test('tampered blocks and deltas are refused and leave the ledger unchanged', async (t) => {
  const a = await source(t);
  const { ledger: b } = await openTempLedger(t);
  const [one, two] = await a.readBlocks(1, 2, { withDeltas: true });
  await b.appendBlockWithDelta(one!.block, one!.delta!, one!.blockHash);
  const before = snapshotOf(b);
  const good = two!;
  const wrongHash = new Uint8Array(64).fill(7);

  const tamperedValue = cloneDelta(good.delta!);
  tamperedValue.get('dd')!.get('k2')!.value = utf8('forged');
  const wrongPrevious = cloneDelta(good.delta!);
  wrongPrevious.get('dd')!.set('k1', { previous: utf8('not there'), value: null });
  const extraKey = cloneDelta(good.delta!);
  extraKey.get('dd')!.set('extra', { previous: null, value: utf8('x') });
  const missingKey = cloneDelta(good.delta!);
  missingKey.get('dd')!.delete('shared');
  const loneSurrogate = cloneDelta(good.delta!);
  loneSurrogate.get('dd')!.set('\udc00', { previous: null, value: utf8('x') });

  const cases: Array<[string, Block, StateDelta, Uint8Array | undefined, RegExp]> = [
    ['stateHash changed', { ...good.block, stateHash: wrongHash }, good.delta!, undefined, /block 2: state hash after its delta [0-9a-f]{16}… does not match its stateHash 0707070707070707…/],
    ['stateHash too short', { ...good.block, stateHash: new Uint8Array(3) }, good.delta!, undefined, /block 2: block stateHash is not 64 bytes/],
    ['does not link', one!.block, one!.delta!, undefined, /block 2: previousBlockHash [0-9a-f]{16}… is not the hash of block 1/],
    ['transaction changed', { ...good.block, transactions: [invoke('other')] }, good.delta!, good.blockHash, /block 2: hash [0-9a-f]{16}… is not the expected/],
    ['delta value changed', good.block, tamperedValue, good.blockHash, /state hash after its delta .* does not match its stateHash/],
    ['delta previous wrong', good.block, wrongPrevious, good.blockHash, /delta of block 2: previous value of dd\/"k1" is not the current state/],
    ['delta with an extra key', good.block, extraKey, good.blockHash, /does not match its stateHash/],
    ['delta missing a key', good.block, missingKey, good.blockHash, /does not match its stateHash/],
    ['delta with a lone surrogate', good.block, loneSurrogate, good.blockHash, /state key is not well-formed Unicode/],
  ];
  for (const [name, block, delta, expected, message] of cases) {
    await assert.rejects(b.appendBlockWithDelta(block, delta, expected), (error: Error) => error instanceof LedgerRejectedError && message.test(error.message), name);
    assert.deepEqual(snapshotOf(b), before, name);
    assert.equal(await b.getBlock(2), undefined, name);
  }
  // The refused attempts left nothing behind in the state hash: the real block still fits.
  await b.appendBlockWithDelta(good.block, good.delta!, good.blockHash);
  assert.equal(hex(b.stateHash()), hex(good.block.stateHash));
});

test('blocks without state, then a snapshot: behind until installed, then identical', async (t) => {
  const a = await source(t);
  const { ledger: b, dir } = await openTempLedger(t);
  const records = await a.readBlocks(1, 6);
  await b.appendBlocksWithoutState(records.map((r) => r.block), records.at(-1)!.blockHash);
  assert.deepEqual(b.stateStatus(), { blockNumber: 0, height: 7, behind: true });
  assert.equal(hex(b.blockchainInfo().currentBlockHash), hex(a.blockchainInfo().currentBlockHash));
  await assert.rejects(b.commitBlock(blockInput()), /the state is at block 0, behind the head block 6/);
  await assert.rejects(b.appendBlockWithDelta(records[0]!.block, new Map()), /cannot append a block with its delta: the state is at block 0/);

  const snapshot = a.exportStateSnapshot({ chunkBytes: 40 });
  assert.equal(snapshot.blockNumber, 6);
  assert.equal(snapshot.entryCount, 4);
  const wire = [...snapshot.chunks].map(encodeSnapshotChunk);
  assert.ok(wire.length > 2, `several chunks (${wire.length})`);
  const status = await b.installStateSnapshot(6, wire.map(decodeSnapshotChunk));
  assert.deepEqual(status, { blockNumber: 6, height: 7, behind: false });
  assert.deepEqual(snapshotOf(b), snapshotOf(a));
  await b.commitBlock(blockInput({ writes: writes('cc', { after: 'yes' }) }));

  await b.close();
  const reopened = await Ledger.open(dir, { deltaHistorySize: 500 });
  t.after(() => reopened.close());
  assert.equal(reopened.height(), 8);
  assert.equal(stateOf(reopened, 'cc').after, 'yes');
  assert.deepEqual(stateOf(reopened, 'dd'), stateOf(a, 'dd'));
});

test('a snapshot of an earlier block, then deltas forward to the head', async (t) => {
  const { ledger: a } = await openTempLedger(t);
  await a.commitBlock(blockInput({ writes: writes('cc', { x: '1', y: '1' }) }));
  await a.commitBlock(blockInput({ writes: writes('cc', { x: '2' }) }));
  // Taken at block 2; the chunks are read only after two more commits: still block 2's state.
  const snapshot = a.exportStateSnapshot({ chunkBytes: 1 });
  await a.commitBlock(blockInput({ writes: writes('cc', { x: '3', y: null }) }));
  await a.commitBlock(blockInput({ writes: writes('cc', { z: '4' }) }));

  const { ledger: b } = await openTempLedger(t);
  const records = await a.readBlocks(1, 4, { withDeltas: true });
  await b.appendBlocksWithoutState(records.map((r) => r.block));
  await b.installStateSnapshot(snapshot.blockNumber, snapshot.chunks);
  assert.deepEqual(b.stateStatus(), { blockNumber: 2, height: 5, behind: true });
  assert.deepEqual(stateOf(b, 'cc'), { x: '2', y: '1' });
  await assert.rejects(b.rollStateForward(records[3]!.delta!), /state hash after the delta [0-9a-f]{16}… does not match block 3's stateHash/);
  await b.rollStateForward(records[2]!.delta!);
  await b.rollStateForward(records[3]!.delta!);
  assert.deepEqual(b.stateStatus(), { blockNumber: 4, height: 5, behind: false });
  assert.deepEqual(snapshotOf(b), snapshotOf(a));
  assert.ok(await b.getStateDelta(4), 'fetched deltas are kept');
});

test('bad snapshots are refused and leave the ledger unchanged', async (t) => {
  const a = await source(t);
  const { ledger: b, dir } = await openTempLedger(t);
  const records = await a.readBlocks(1, 6);
  await b.appendBlocksWithoutState(records.map((r) => r.block));
  const before = snapshotOf(b);
  const chunks = (): StateSnapshotChunk[] => [...a.exportStateSnapshot({ chunkBytes: 60 }).chunks];

  const forged = chunks();
  forged[0]!.entries[0] = { ...forged[0]!.entries[0]!, value: utf8('forged') };
  const reordered = chunks();
  const flat = reordered.flatMap((c) => c.entries);
  const swapped: StateSnapshotChunk[] = [{ entries: [flat[1]!, flat[0]!, ...flat.slice(2)] }];
  const duplicated: StateSnapshotChunk[] = [{ entries: [flat[0]!, ...flat] }];
  const dropped: StateSnapshotChunk[] = [{ entries: flat.slice(1) }];
  async function* failing(): AsyncGenerator<StateSnapshotChunk> {
    yield chunks()[0]!;
    throw new Error('peer went away');
  }

  const cases: Array<[string, number, Iterable<StateSnapshotChunk> | AsyncIterable<StateSnapshotChunk>, RegExp]> = [
    ['forged value', 6, forged, /snapshot of block 6: state hash [0-9a-f]{16}… does not match the block's stateHash/],
    ['wrong block', 5, chunks(), /snapshot of block 5: state hash .* does not match/],
    ['out of order', 6, swapped, /snapshot of block 6: entries are not in strictly increasing key order/],
    ['duplicate key', 6, duplicated, /entries are not in strictly increasing key order/],
    ['missing entry', 6, dropped, /does not match the block's stateHash/],
    ['bad name', 6, [{ entries: [{ chaincodeName: 'a\u0000b', key: 'k', value: utf8('v') }] }], /chaincode name contains U\+0000/],
    ['not a chunk', 6, [{} as StateSnapshotChunk], /a chunk has no entry list/],
    ['too big', 6, chunks(), /more than 10 bytes of state/],
    ['source fails', 6, failing(), /peer went away/],
    ['no such block', 7, chunks(), /snapshot of block 7, which the chain does not hold \(height 7\)/],
  ];
  for (const [name, blockNumber, source, message] of cases) {
    const options = name === 'too big' ? { bytesMax: 10 } : {};
    await assert.rejects(b.installStateSnapshot(blockNumber, source, options), message, name);
    assert.deepEqual(snapshotOf(b), before, name);
    assert.deepEqual(b.stateStatus(), { blockNumber: 0, height: 7, behind: true }, name);
  }
  await b.installStateSnapshot(6, chunks());
  assert.deepEqual(snapshotOf(b), snapshotOf(a));
  await b.close();
  const reopened = await Ledger.open(dir, { deltaHistorySize: 500 });
  t.after(() => reopened.close());
  assert.deepEqual(snapshotOf(reopened), snapshotOf(a));
});

test('markStateConsistent: accepted when the state is the head block\'s state, refused otherwise', async (t) => {
  const { ledger: a } = await openTempLedger(t);
  await a.commitBlock(blockInput({ writes: writes('cc', { x: '1' }) }));
  await a.commitBlock(blockInput({ transactions: [invoke('no-writes')] }));
  await a.commitBlock(blockInput({ writes: writes('cc', { x: '2' }) }));
  const records = await a.readBlocks(1, 3, { withDeltas: true });

  const { ledger: b } = await openTempLedger(t);
  await b.appendBlockWithDelta(records[0]!.block, records[0]!.delta!);
  await b.appendBlocksWithoutState([records[1]!.block]);
  assert.equal(b.stateStatus().behind, true);
  // Block 2 changed nothing: the state is already block 2's.
  assert.deepEqual(await b.markStateConsistent(), { blockNumber: 2, height: 3, behind: false });

  await b.appendBlocksWithoutState([records[2]!.block]);
  await assert.rejects(b.markStateConsistent(), /state of block 2 \(hash [0-9a-f]{16}…\) is not the head block 3's state/);
  assert.equal(b.stateStatus().behind, true);
});

test('appendBlocksWithoutState checks every link and the expected last hash', async (t) => {
  const a = await source(t);
  const { ledger: b } = await openTempLedger(t);
  const records = await a.readBlocks(1, 3);
  await assert.rejects(b.appendBlocksWithoutState([records[0]!.block, records[2]!.block]), /block 2: previousBlockHash .* is not the hash of block 1/);
  await assert.rejects(b.appendBlocksWithoutState(records.map((r) => r.block), records[0]!.blockHash), /block 3: hash .* is not the expected/);
  await assert.rejects(b.appendBlocksWithoutState([]), /no blocks to append/);
  assert.equal(b.height(), 1);
  await b.appendBlocksWithoutState(records.map((r) => r.block), records[2]!.blockHash);
  assert.equal(b.height(), 4);
  assert.deepEqual(await b.verifyChain(0, 3), { valid: true });
});

test('the chunk and delta codecs refuse hostile bytes with a clear error', () => {
  const chunk = encodeSnapshotChunk({ entries: [{ chaincodeName: 'cc', key: 'k', value: utf8('v') }] });
  assert.deepEqual(decodeSnapshotChunk(chunk).entries.map((e) => [e.chaincodeName, e.key]), [['cc', 'k']]);
  assert.throws(() => decodeSnapshotChunk(chunk.subarray(0, chunk.length - 1)), /snapshot chunk: value of 1 bytes is truncated/);
  assert.throws(() => decodeSnapshotChunk(new Uint8Array([2, 0, 0, 0, 0])), /snapshot chunk: unknown version 2/);
  assert.throws(() => decodeSnapshotChunk(new Uint8Array([1, 0xff, 0xff, 0xff, 0xff])), /snapshot chunk: entry count 4294967295 exceeds 1000000/);
  assert.throws(() => decodeSnapshotChunk(new Uint8Array([1, 0, 0, 0, 9])), /snapshot chunk: entry count 9 does not fit in the remaining 0 bytes/);
  assert.throws(() => decodeSnapshotChunk(new Uint8Array([...chunk, 0])), /snapshot chunk: 1 trailing bytes/);

  const delta: StateDelta = new Map([['cc', new Map([['b', { previous: null, value: utf8('2') }], ['a', { previous: utf8('1'), value: null }]])]]);
  const bytes = encodeStateDelta(delta);
  assert.deepEqual([...decodeStateDelta(bytes).get('cc')!.keys()], ['a', 'b'], 'canonical order');
  assert.throws(() => decodeStateDelta(bytes.subarray(0, 10)), /state delta: namespace count 1 does not fit in the remaining 5 bytes \(at byte 5\)/);
  // Swap the two keys' order by hand: a non-canonical encoding is refused.
  const unordered = encodeStateDeltaUnordered([['b', null, utf8('2')], ['a', utf8('1'), null]]);
  assert.throws(() => decodeStateDelta(unordered), /state delta: keys of cc not in strictly increasing order/);
  const badUtf8 = encodeStateDeltaUnordered([['a', null, utf8('x')]]);
  badUtf8[badUtf8.indexOf(0x61, 14)] = 0xff;
  assert.throws(() => decodeStateDelta(badUtf8), /state delta: state key is not well-formed UTF-8/);
});

/** A delta encoding of namespace "cc" with keys in the given order (bypassing the canonical encoder). */
function encodeStateDeltaUnordered(entries: Array<[string, Uint8Array | null, Uint8Array | null]>): Uint8Array {
  const parts: number[] = [1, 0, 0, 0, 1, 0, 0, 0, 2, 0x63, 0x63, 0, 0, 0, entries.length];
  const optional = (value: Uint8Array | null): number[] => (value === null ? [0] : [1, 0, 0, 0, value.length, ...value]);
  for (const [key, previous, value] of entries) parts.push(0, 0, 0, key.length, ...utf8(key), ...optional(previous), ...optional(value));
  return new Uint8Array(parts);
}
