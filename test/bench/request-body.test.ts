// The driver's JSON-RPC body (built by hand on the hot path) parses to what the REST API expects,
// with a secureContext when one is given; its reading of the answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readReply, requestBody } from '../../host/bench/driver.ts';

test('requestBody: the JSON-RPC invoke or query, with a secureContext only when given', () => {
  const args = ['invoke', 'a "quoted"', 'b\n'];
  assert.deepEqual(JSON.parse(requestBody('invoke', JSON.stringify('cc'), args, 7)), {
    jsonrpc: '2.0',
    method: 'invoke',
    params: { type: 1, chaincodeID: { name: 'cc' }, ctorMsg: { args } },
    id: 7,
  });
  assert.deepEqual(JSON.parse(requestBody('query', JSON.stringify('cc'), ['read'], 8, 'diego "x"')).params, {
    type: 1,
    chaincodeID: { name: 'cc' },
    ctorMsg: { args: ['read'] },
    secureContext: 'diego "x"',
  });
});

test('readReply: the message, or the error text', () => {
  assert.deepEqual(readReply('{"jsonrpc":"2.0","result":{"status":"OK","message":"tx1"},"id":1}'), { ok: true, message: 'tx1' });
  assert.deepEqual(readReply('{"jsonrpc":"2.0","error":{"code":-32000,"message":"Server error","data":"User diego not logged in."},"id":1}'), { ok: false, error: 'User diego not logged in.' });
  assert.equal(readReply('not json').ok, false);
});
