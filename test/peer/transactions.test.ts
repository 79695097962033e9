// Transaction construction: Fabric's chaincode naming and transaction ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chaincodeName, newDeployTransaction, newInvokeTransaction, sha256TransactionId } from '../../host/peer/transactions.ts';
import { ChaincodeDeploymentSpecCodec, ChaincodeIDCodec, ChaincodeInvocationSpecCodec, TransactionType, emptyChaincodeSpec } from '../../host/protocol/messages.ts';

const bytes = (...strings: string[]) => strings.map((s) => new TextEncoder().encode(s));

test('the sha256 transaction id matches Fabric\'s bdd test vector', () => {
  assert.equal(sha256TransactionId(bytes('put', 'a', '10')), '73b88d92d86502eb66288f84fafae848fed0d21790f2ef1475850f4b635c47f0');
});

test('chaincode names: 128 hex chars, a function of code and constructor only', () => {
  const code = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
  const name = chaincodeName(code, bytes('init', 'a', '100'));
  assert.match(name, /^[0-9a-f]{128}$/);
  assert.equal(chaincodeName(code, bytes('init', 'a', '100')), name);
  assert.notEqual(chaincodeName(code, bytes('init', 'a', '101')), name);
  assert.notEqual(chaincodeName(new Uint8Array([...code, 0]), bytes('init', 'a', '100')), name);
});

test('a deploy transaction is named by its code: txid = name, payload carries the code', () => {
  const spec = { ...emptyChaincodeSpec(), chaincodeID: { path: 'chaincode/x', name: 'ignored' }, ctorMsg: { args: bytes('init') } };
  const code = new Uint8Array([1, 2, 3]);
  const tx = newDeployTransaction(spec, code, { seconds: 5, nanos: 6 });
  assert.equal(tx.type, TransactionType.CHAINCODE_DEPLOY);
  assert.equal(tx.txid, chaincodeName(code, spec.ctorMsg.args));
  const deployment = ChaincodeDeploymentSpecCodec.decode(tx.payload);
  assert.deepEqual([...deployment.codePackage], [1, 2, 3]);
  assert.equal(deployment.chaincodeSpec.chaincodeID.name, tx.txid);
  assert.deepEqual(ChaincodeIDCodec.decode(tx.chaincodeID), { path: 'chaincode/x', name: tx.txid });
  assert.deepEqual(tx.timestamp, { seconds: 5, nanos: 6 });
});

test('invoke transactions get v4 UUIDs, or the sha256 id on request; unknown algorithms are refused', () => {
  const spec = { ...emptyChaincodeSpec(), chaincodeID: { path: '', name: 'cc' }, ctorMsg: { args: bytes('put', 'a', '10') } };
  const a = newInvokeTransaction(spec, { seconds: 1, nanos: 0 });
  const b = newInvokeTransaction(spec, { seconds: 1, nanos: 0 });
  assert.match(a.txid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a.txid, b.txid);
  assert.equal(ChaincodeInvocationSpecCodec.decode(a.payload).chaincodeSpec.chaincodeID.name, 'cc');
  assert.equal(newInvokeTransaction(spec, { seconds: 1, nanos: 0 }, 'sha256').txid, '73b88d92d86502eb66288f84fafae848fed0d21790f2ef1475850f4b635c47f0');
  assert.throws(() => newInvokeTransaction(spec, { seconds: 1, nanos: 0 }, 'md5'), /Unknown transaction id algorithm/);
});
