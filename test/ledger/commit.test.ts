// Commits: genesis, Fabric's TestLedgerCommit / TestGetTransactionByID / TestLedgerRollback
// (a refused batch leaves nothing behind), the hash chain, failed-transaction results on record,
// persist entries committed with the block, and reopening.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storedBlockHash, storedPreviousBlockHash } from '../../host/ledger/block-store.ts';
import { Ledger } from '../../host/ledger/ledger.ts';
import { LedgerRejectedError } from '../../host/ledger/ledger-errors.ts';
import { EMPTY_STATE_HASH } from '../../host/ledger/state-hash.ts';
import { cryptoHash } from '../../host/protocol/hash.ts';
import { BlockCodec } from '../../host/protocol/messages.ts';
import { blockInput, hex, invoke, openTempLedger, stateOf, text, utf8, writes } from './helpers.ts';

test('a fresh ledger holds the genesis block: height 1, no transactions, no previous hash, empty-state hash', async (t) => {
  const { ledger } = await openTempLedger(t);
  assert.equal(ledger.height(), 1);
  const genesis = await ledger.getBlock(0);
  assert.ok(genesis);
  assert.deepEqual(genesis.transactions, []);
  assert.equal(genesis.previousBlockHash.length, 0);
  assert.equal(hex(genesis.stateHash), hex(EMPTY_STATE_HASH));
  assert.equal(hex(ledger.stateHash()), hex(EMPTY_STATE_HASH));
  const info = ledger.blockchainInfo();
  assert.equal(info.height, 1);
  assert.equal(info.previousBlockHash.length, 0);
  assert.equal(hex(info.currentBlockHash), hex(cryptoHash(BlockCodec.encode({ ...genesis, nonHashData: null }))));
  assert.equal(await ledger.getBlock(1), undefined);
  assert.deepEqual(ledger.stateStatus(), { blockNumber: 0, height: 1, behind: false });
});

test('the genesis block hashes the same in every ledger (its commit time is not hashed)', async (t) => {
  const a = await openTempLedger(t);
  const b = await openTempLedger(t);
  assert.equal(hex(a.ledger.blockchainInfo().currentBlockHash), hex(b.ledger.blockchainInfo().currentBlockHash));
});

test('commitBlock (TestLedgerCommit): block contents, state, hash chain and block hash as Fabric defines it', async (t) => {
  const { ledger } = await openTempLedger(t);
  const genesisHash = ledger.blockchainInfo().currentBlockHash;
  const committed = await ledger.commitBlock(
    blockInput({
      transactions: [invoke('tx-1'), invoke('tx-2')],
      writes: writes('example02', { a: '90', b: '210' }),
      consensusMetadata: utf8('seqNo 1'),
      commitTimestamp: { seconds: 1_700_000_123, nanos: 456 },
    }),
  );
  assert.equal(committed.blockNumber, 1);
  assert.equal(ledger.height(), 2);
  assert.deepEqual(stateOf(ledger, 'example02'), { a: '90', b: '210' });

  const block = await ledger.getBlock(1);
  assert.ok(block);
  assert.deepEqual(block.transactions.map((tx) => tx.txid), ['tx-1', 'tx-2']);
  assert.equal(hex(block.previousBlockHash), hex(genesisHash));
  assert.equal(hex(block.stateHash), hex(ledger.stateHash()));
  assert.equal(text(block.consensusMetadata), 'seqNo 1');
  assert.deepEqual(block.nonHashData?.localLedgerCommitTimestamp, { seconds: 1_700_000_123, nanos: 456 });
  assert.equal(block.timestamp, null, 'no block timestamp unless the ordering gives one: it is hashed');

  // Block hash = cryptoHash(protobuf of the block without nonHashData), computed independently.
  const expectedHash = cryptoHash(BlockCodec.encode({ ...block, nonHashData: null }));
  assert.equal(hex(committed.blockHash), hex(expectedHash));
  assert.equal(hex((await ledger.getBlockHash(1))!), hex(expectedHash));
  assert.equal(hex(ledger.blockchainInfo().currentBlockHash), hex(expectedHash));
  assert.equal(hex(ledger.blockchainInfo().previousBlockHash), hex(genesisHash));
  assert.equal(await ledger.getBlockNumberByHash(expectedHash), 1);
  assert.equal(await ledger.getBlockNumberByHash(genesisHash), 0);
  assert.equal(await ledger.getBlockNumberByHash(new Uint8Array(64)), undefined);
  assert.deepEqual(ledger.head().consensusMetadata, utf8('seqNo 1'));
});

test('the stored block is the protobuf of the whole block, and hashing its prefix gives the block hash', async (t) => {
  const { ledger } = await openTempLedger(t);
  await ledger.commitBlock(
    blockInput({
      transactions: [invoke('tx-1')],
      writes: writes('cc', { k: 'v' }),
      chaincodeEvents: [{ chaincodeID: 'cc', txID: 'tx-1', eventName: 'moved', payload: utf8('p') }],
    }),
  );
  const block = (await ledger.getBlock(1))!;
  const full = BlockCodec.encode(block);
  assert.equal(hex(storedBlockHash(full)), hex(cryptoHash(BlockCodec.encode({ ...block, nonHashData: null }))));
  assert.equal(block.nonHashData?.chaincodeEvents[0]?.eventName, 'moved');
});

test('blocks chain by hash over several commits, and deletes remove keys', async (t) => {
  const { ledger } = await openTempLedger(t);
  for (let i = 1; i <= 5; i++) {
    await ledger.commitBlock(blockInput({ transactions: [invoke(`tx-${i}`)], writes: writes('cc', { [`k${i}`]: `v${i}`, [`k${i - 1}`]: null }) }));
  }
  assert.equal(ledger.height(), 6);
  assert.deepEqual(stateOf(ledger, 'cc'), { k5: 'v5' });
  for (let n = 1; n < 6; n++) {
    const block = (await ledger.getBlock(n))!;
    assert.equal(hex(block.previousBlockHash), hex((await ledger.getBlockHash(n - 1))!), `block ${n} links to block ${n - 1}`);
  }
  assert.deepEqual(await ledger.verifyChain(0, 5), { valid: true });
});

test('getTransaction finds a transaction by txid with its block and index (TestGetTransactionByID)', async (t) => {
  const { ledger } = await openTempLedger(t);
  await ledger.commitBlock(blockInput({ transactions: [invoke('first')] }));
  await ledger.commitBlock(blockInput({ transactions: [invoke('second'), invoke('third')] }));
  const found = await ledger.getTransaction('third');
  assert.ok(found);
  assert.equal(found.blockNumber, 2);
  assert.equal(found.index, 1);
  assert.equal(found.transaction.txid, 'third');
  assert.equal(text(found.transaction.payload), 'payload of third');
  assert.equal((await ledger.getTransaction('first'))?.blockNumber, 1);
  assert.equal(await ledger.getTransaction('missing'), undefined);
  assert.equal(await ledger.getTransaction(''), undefined);
});

test('committedTxids answers which txids are in committed blocks, in one read; malformed ids are simply absent', async (t) => {
  const { ledger } = await openTempLedger(t);
  assert.deepEqual([...(await ledger.committedTxids([]))], []);
  await ledger.commitBlock(blockInput({ transactions: [invoke('first')] }));
  await ledger.commitBlock(blockInput({ transactions: [invoke('second'), invoke('third')] }));
  assert.deepEqual([...(await ledger.committedTxids(['third', 'missing', 'first', '', '\ud800', 'second']))].sort(), ['first', 'second', 'third']);
  assert.deepEqual([...(await ledger.committedTxids(['missing']))], []);
});

test('failed transactions stay on record: results in nonHashData, left out of the block and the txid index', async (t) => {
  const { ledger } = await openTempLedger(t);
  await ledger.commitBlock(
    blockInput({
      transactions: [],
      chaincodeEvents: [{ chaincodeID: '', txID: '', eventName: '', payload: new Uint8Array(0) }],
      transactionResults: [{ txid: 'bad-tx', result: new Uint8Array(0), errorCode: 1, error: 'Invalid transaction amount, expecting a integer value' }],
    }),
  );
  assert.equal(ledger.height(), 2);
  const block = (await ledger.getBlock(1))!;
  assert.deepEqual(block.transactions, []);
  assert.equal(block.nonHashData?.transactionResults.length, 1);
  assert.equal(block.nonHashData?.transactionResults[0]?.txid, 'bad-tx');
  assert.equal(block.nonHashData?.transactionResults[0]?.errorCode, 1);
  assert.equal(block.nonHashData?.transactionResults[0]?.error, 'Invalid transaction amount, expecting a integer value');
  assert.equal(await ledger.getTransaction('bad-tx'), undefined);
});

test('a refused commit leaves height, state and state hash unchanged (TestLedgerRollback)', async (t) => {
  const { ledger } = await openTempLedger(t);
  await ledger.commitBlock(blockInput({ writes: writes('cc', { a: '1' }) }));
  const before = { height: ledger.height(), hash: hex(ledger.stateHash()), head: hex(ledger.blockchainInfo().currentBlockHash) };

  const cases: Array<[string, Parameters<Ledger['commitBlock']>[0], RegExp]> = [
    ['lone surrogate key', blockInput({ writes: new Map([['cc', new Map([['a', utf8('2')], ['\ud800', utf8('x')]])]]) }), /state key is not well-formed Unicode/],
    ['namespace with NUL', blockInput({ writes: writes('c\u0000c', { a: '2' }) }), /chaincode name contains U\+0000/],
    ['empty namespace', blockInput({ writes: writes('', { a: '2' }) }), /chaincode name is empty/],
    ['oversized key', blockInput({ writes: writes('cc', { ['k'.repeat(1025)]: '2' }) }), /state key exceeds 1024 bytes/],
    ['bad persist key', blockInput({ writes: writes('cc', { a: '2' }), persist: new Map([['', utf8('x')]]) }), /persist key is empty/],
  ];
  for (const [name, input, message] of cases) {
    await assert.rejects(ledger.commitBlock(input), (error: Error) => error instanceof LedgerRejectedError && message.test(error.message), name);
    assert.equal(ledger.height(), before.height, name);
    assert.equal(hex(ledger.stateHash()), before.hash, name);
    assert.equal(hex(ledger.blockchainInfo().currentBlockHash), before.head, name);
    assert.deepEqual(stateOf(ledger, 'cc'), { a: '1' }, name);
  }
  // And the ledger still commits afterwards.
  await ledger.commitBlock(blockInput({ writes: writes('cc', { a: '3' }) }));
  assert.deepEqual(stateOf(ledger, 'cc'), { a: '3' });
});

test('persist entries commit with the block and are readable by prefix', async (t) => {
  const { ledger } = await openTempLedger(t);
  await ledger.putPersist('discovery', utf8('peers'));
  await ledger.commitBlock(blockInput({ persist: new Map([['consensus.view', utf8('3')], ['consensus.seqNo', utf8('7')]]) }));
  assert.equal(text(await ledger.getPersist('consensus.view')), '3');
  await ledger.writePersist(new Map([['consensus.view', null], ['consensus.h', utf8('5')]]));
  const loaded = await ledger.loadPersist('consensus.');
  assert.deepEqual([...loaded.keys()].sort(), ['consensus.h', 'consensus.seqNo']);
  await ledger.deletePersist('discovery');
  assert.equal(await ledger.getPersist('discovery'), undefined);
  await assert.rejects(ledger.putPersist('', utf8('x')), /persist key is empty/);
});

test('commits are serialised: concurrent calls commit one after the other in call order', async (t) => {
  const { ledger } = await openTempLedger(t);
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) => ledger.commitBlock(blockInput({ transactions: [invoke(`tx-${i}`)], writes: writes('cc', { counter: String(i) }) }))),
  );
  assert.deepEqual(results.map((r) => r.blockNumber), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(text(ledger.getState('cc', 'counter')), '7');
  assert.deepEqual(await ledger.verifyChain(0, 8), { valid: true });
});

test('a reopened ledger has the same head, state, state hash and indexes', async (t) => {
  const { ledger, dir } = await openTempLedger(t);
  await ledger.commitBlock(blockInput({ transactions: [invoke('t1')], writes: writes('cc', { a: '1', b: '2' }) }));
  await ledger.commitBlock(blockInput({ transactions: [invoke('t2')], writes: writes('other', { x: 'y' }) }));
  const info = ledger.blockchainInfo();
  const stateHash = hex(ledger.stateHash());
  await ledger.close();
  await assert.rejects(ledger.getBlock(1), /is closed/);

  const reopened = await Ledger.open(dir, { deltaHistorySize: 500 });
  t.after(() => reopened.close());
  assert.equal(reopened.height(), 3);
  assert.equal(hex(reopened.blockchainInfo().currentBlockHash), hex(info.currentBlockHash));
  assert.equal(hex(reopened.blockchainInfo().previousBlockHash), hex(info.previousBlockHash));
  assert.equal(hex(reopened.stateHash()), stateHash);
  assert.deepEqual(stateOf(reopened, 'cc'), { a: '1', b: '2' });
  assert.equal((await reopened.getTransaction('t2'))?.blockNumber, 2);
  const next = await reopened.commitBlock(blockInput({ writes: writes('cc', { a: '5' }) }));
  assert.equal(next.blockNumber, 3);
  assert.deepEqual(await reopened.verifyChain(0, 3), { valid: true });
});

test('a stored block yields its previousBlockHash and hash without a full decode', async (t) => {
  const { ledger } = await openTempLedger(t);
  await ledger.commitBlock(blockInput({ transactions: [invoke('a'), invoke('b')], writes: writes('cc', { k: 'v' }) }));
  const block = (await ledger.getBlock(1))!;
  const stored = BlockCodec.encode(block);
  assert.equal(hex(storedPreviousBlockHash(stored)), hex(block.previousBlockHash));
  assert.equal(hex(storedPreviousBlockHash(BlockCodec.encode((await ledger.getBlock(0))!))), '');
  assert.throws(() => storedBlockHash(stored.subarray(0, stored.length - 3)), /block: truncated field/);
});

test('a block timestamp given by the ordering is hashed; the commit timestamp is not', async (t) => {
  const a = (await openTempLedger(t)).ledger;
  const b = (await openTempLedger(t)).ledger;
  const c = (await openTempLedger(t)).ledger;
  const same = { seconds: 1_700_000_500, nanos: 0 };
  const one = await a.commitBlock(blockInput({ blockTimestamp: same, commitTimestamp: { seconds: 1, nanos: 0 } }));
  const two = await b.commitBlock(blockInput({ blockTimestamp: same, commitTimestamp: { seconds: 2, nanos: 0 } }));
  const three = await c.commitBlock(blockInput({ blockTimestamp: { seconds: 1_700_000_501, nanos: 0 } }));
  assert.equal(hex(one.blockHash), hex(two.blockHash));
  assert.notEqual(hex(one.blockHash), hex(three.blockHash));
  assert.deepEqual((await a.getBlock(1))!.timestamp, same);
});
