// A deployment is kept in the chaincode registry as one state value, bounded by
// STATE_VALUE_BYTES_MAX (1 MiB), while a module may be up to MODULE_BYTES_MAX (2 MiB) and a
// transaction up to 4 MiB. A deploy between the two is rejected on its own, with a clear reason;
// before, it reached the commit and failed the whole block.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newDeployTransaction, timestampNow } from '../../host/peer/transactions.ts';
import { emptyChaincodeSpec, TransactionCodec } from '../../host/protocol/messages.ts';
import { MODULE_BYTES_MAX, STATE_VALUE_BYTES_MAX } from '../../host/protocol/limits.ts';
import { startPeerFixture, type PeerFixture } from '../events/peer-fixture.ts';

let fixture: PeerFixture;

before(async () => {
  fixture = await startPeerFixture();
});

after(async () => {
  await fixture?.close();
});

test('a deploy whose record exceeds STATE_VALUE_BYTES_MAX is rejected alone; the block commits and the peer goes on', async () => {
  const { peer } = fixture;
  const code = new Uint8Array(1_500_000).fill(7);
  assert.ok(code.length > STATE_VALUE_BYTES_MAX && code.length <= MODULE_BYTES_MAX);
  const spec = { ...emptyChaincodeSpec(), chaincodeID: { path: 'big', name: '' }, ctorMsg: { args: [new TextEncoder().encode('init')] } };
  const big = newDeployTransaction(spec, code, timestampNow());
  const height = peer.ledger.height();
  await peer.executor.executeBatch({ transactions: [TransactionCodec.encode(big)], consensusMetadata: new Uint8Array(0) });
  assert.equal(peer.ledger.height(), height + 1);
  const status = await peer.executor.transactionStatus(big.txid);
  assert.equal(status.status, 'rejected');
  assert.match((status as { error: string }).error, /^deployment of 15\d{5} bytes exceeds STATE_VALUE_BYTES_MAX \(1048576\): the chaincode registry keeps it as one state value$/);
  const name = await fixture.deploy('chaincode_example02', ['init', 'a', '100', 'b', '200']);
  assert.equal(new TextDecoder().decode(await peer.query({ ...emptyChaincodeSpec(), chaincodeID: { path: '', name }, ctorMsg: { args: [new TextEncoder().encode('query'), new TextEncoder().encode('b')] } })), '200');
});
