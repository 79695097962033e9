// The REST API against a fake peer: Fabric v0.6's JSON-RPC envelope (codes, messages, HTTP
// statuses, notifications, case-insensitive keys), ledger routes and their errors
// (core/rest/rest_api_test.go, reference §1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRestServer, type PeerApi } from '../../host/rest/server.ts';
import { emptyTransaction, type ChaincodeSpec } from '../../host/protocol/messages.ts';

interface Calls { deploy: ChaincodeSpec[]; invoke: ChaincodeSpec[]; query: ChaincodeSpec[] }

function fakePeer(overrides: Partial<PeerApi> = {}): { peer: PeerApi; calls: Calls } {
  const calls: Calls = { deploy: [], invoke: [], query: [] };
  const peer: PeerApi = {
    securityEnabled: false,
    deploy: async (spec) => { calls.deploy.push(spec); return 'c'.repeat(128); },
    invoke: async (spec) => { calls.invoke.push(spec); return 'tx-1'; },
    query: async (spec) => { calls.query.push(spec); return new TextEncoder().encode('210'); },
    blockchainInfo: () => ({ height: 2, currentBlockHash: new Uint8Array([1, 2, 3]), previousBlockHash: new Uint8Array([4]) }),
    getBlock: async (n) => (n === 1 ? { version: 0, transactions: [], stateHash: new Uint8Array([9]), previousBlockHash: new Uint8Array([8]), consensusMetadata: new Uint8Array(0), nonHashData: null } : undefined),
    getTransaction: async (txid) => (txid === 'known' ? { ...emptyTransaction(), txid, type: 2 } : undefined),
    peers: () => [{ ID: { name: 'vp0' }, address: '127.0.0.1:7051', type: 1 }],
    transactionStatus: async () => ({ status: 'unknown' }),
    ...overrides,
  };
  return { peer, calls };
}

async function post(peer: PeerApi, body: string) {
  const app = buildRestServer(peer);
  const response = await app.inject({ method: 'POST', url: '/chaincode', payload: body, headers: { 'content-type': 'application/json' } });
  await app.close();
  return { status: response.statusCode, text: response.body, json: response.body ? JSON.parse(response.body) : undefined, headers: response.headers };
}

const invokeBody = (extra: object = {}) =>
  JSON.stringify({ jsonrpc: '2.0', method: 'invoke', params: { type: 1, chaincodeID: { name: 'mycc' }, ctorMsg: { args: ['invoke', 'a', 'b', '10'] } }, id: 3, ...extra });

test('invoke answers at once with the txid in Fabric\'s envelope', async () => {
  const { peer, calls } = fakePeer();
  const r = await post(peer, invokeBody());
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { jsonrpc: '2.0', result: { status: 'OK', message: 'tx-1' }, id: 3 });
  assert.equal(calls.invoke.length, 1);
  assert.deepEqual(calls.invoke[0]?.ctorMsg.args.map((a) => new TextDecoder().decode(a)), ['invoke', 'a', 'b', '10']);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['access-control-allow-origin'], '*');
  assert.equal(r.headers['access-control-allow-headers'], 'accept, content-type');
});

test('function + args form prepends the function; keys are case-insensitive; string ids echo', async () => {
  const { peer, calls } = fakePeer();
  const body = JSON.stringify({ JSONRPC: '2.0', Method: 'query', Params: { ChaincodeID: { Name: 'mycc' }, CtorMsg: { Function: 'query', Args: ['b'] } }, ID: 'abc' });
  const r = await post(peer, body);
  assert.deepEqual(r.json, { jsonrpc: '2.0', result: { status: 'OK', message: '210' }, id: 'abc' });
  assert.deepEqual(calls.query[0]?.ctorMsg.args.map((a) => new TextDecoder().decode(a)), ['query', 'b']);
});

test('envelope errors in Fabric\'s order with their HTTP statuses', async () => {
  const { peer } = fakePeer();
  const cases: Array<[string, number, number, string]> = [
    ['', 400, -32600, 'Client must supply a payload for chaincode requests.'],
    ['{"jsonrpc":', 400, -32700, 'Error unmarshalling chaincode request payload:'],
    ['{"method":"invoke","id":1}', 400, -32600, 'Missing JSON RPC 2.0 version string.'],
    ['{"jsonrpc":"1.0","method":"invoke","id":1}', 400, -32600, 'Invalid JSON RPC 2.0 version string. Must be 2.0.'],
    ['{"jsonrpc":"2.0","id":1}', 400, -32600, 'Missing JSON RPC 2.0 method string.'],
    ['{"jsonrpc":"2.0","method":"destroy","id":1}', 404, -32601, 'Requested method does not exist.'],
    ['{"jsonrpc":"2.0","method":"invoke","id":1}', 400, -32602, 'Client must supply ChaincodeSpec for chaincode invoke request.'],
    ['{"jsonrpc":"2.0","method":"invoke","params":{},"id":1}', 200, -32602, 'Payload must contain a ChaincodeID.'],
    ['{"jsonrpc":"2.0","method":"deploy","params":{"chaincodeID":{"name":"x"}},"id":1}', 200, -32602, 'Chaincode path may not be blank.'],
    ['{"jsonrpc":"2.0","method":"invoke","params":{"chaincodeID":{"path":"x"}},"id":1}', 200, -32602, 'Chaincode name may not be blank.'],
    ['{"jsonrpc":"2.0","method":"invoke","params":{"chaincodeID":{"name":"x"}},"id":1}', 200, -32602, 'Payload must contain a CtorMsg with a Chaincode function name.'],
    ['{"jsonrpc":"2.0","method":"invoke","params":{"chaincodeID":{"name":"x"},"ctorMsg":{"args":[1]}},"id":1}', 400, -32700, 'Error unmarshalling chaincode request payload:'],
  ];
  for (const [body, status, code, data] of cases) {
    const r = await post(peer, body);
    assert.equal(r.status, status, `status for ${body}`);
    assert.equal(r.json.error.code, code, `code for ${body}`);
    assert.ok(String(r.json.error.data).startsWith(data), `data for ${body}: ${r.json.error.data}`);
    assert.equal(r.json.result, undefined);
    assert.equal(r.json.jsonrpc, '2.0');
  }
});

test('a request without id is a notification: HTTP 200, empty body, but it still runs', async () => {
  const { peer, calls } = fakePeer();
  const bare = await post(peer, '{"jsonrpc":"2.0"}');
  assert.equal(bare.status, 200);
  assert.equal(bare.text, '');
  const r = await post(peer, JSON.stringify({ jsonrpc: '2.0', method: 'invoke', params: { chaincodeID: { name: 'cc' }, ctorMsg: { args: ['f'] } } }));
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
  assert.equal(calls.invoke.length, 1);
});

test('failures of the operation map to -32001/-32002/-32003 with Fabric\'s prefixes', async () => {
  const { peer } = fakePeer({
    deploy: async () => { throw new Error('boom-d'); },
    invoke: async () => { throw new Error('boom-i'); },
    query: async () => { throw new Error('Error:Transaction or query returned with failure: {"Error":"Nil amount for c"}'); },
  });
  const d = await post(peer, JSON.stringify({ jsonrpc: '2.0', method: 'deploy', params: { chaincodeID: { path: 'p' }, ctorMsg: { args: ['init'] } }, id: 1 }));
  assert.deepEqual(d.json.error, { code: -32001, message: 'Deployment failure', data: 'Error when deploying chaincode: boom-d' });
  const i = await post(peer, invokeBody());
  assert.deepEqual(i.json.error, { code: -32002, message: 'Invocation failure', data: 'Error when invoking chaincode: boom-i' });
  const q = await post(peer, invokeBody({ method: 'query' }));
  assert.equal(q.json.error.code, -32003);
  assert.equal(q.json.error.data, 'Error when querying chaincode: Error:Transaction or query returned with failure: {"Error":"Nil amount for c"}');
});

test('deploy may carry the module as base64 codePackage (weft extension); garbage is a parse error', async () => {
  const { peer } = fakePeer({ deploy: async (_spec, code) => `len=${code?.length}` });
  const good = await post(peer, JSON.stringify({ jsonrpc: '2.0', method: 'deploy', params: { chaincodeID: { path: 'x.wasm' }, ctorMsg: { args: ['init'] }, codePackage: Buffer.from([0, 97, 115, 109]).toString('base64') }, id: 1 }));
  assert.equal(good.json.result.message, 'len=4');
  const bad = await post(peer, JSON.stringify({ jsonrpc: '2.0', method: 'deploy', params: { chaincodeID: { path: 'x.wasm' }, ctorMsg: { args: ['init'] }, codePackage: '!!!' }, id: 1 }));
  assert.equal(bad.json.error.code, -32700);
});

test('ledger routes: /chain, /chain/blocks/{n}, /transactions/{txid}, /network/peers, unknown route', async () => {
  const { peer } = fakePeer();
  const app = buildRestServer(peer);
  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url });
    return { status: r.statusCode, json: JSON.parse(r.body) };
  };
  assert.deepEqual(await get('/chain'), { status: 200, json: { height: 2, currentBlockHash: 'AQID', previousBlockHash: 'BA==' } });
  assert.deepEqual(await get('/chain/blocks/1'), { status: 200, json: { stateHash: 'CQ==', previousBlockHash: 'CA==' } });
  for (const bad of ['-1', 'abc', '1.5', '18446744073709551616']) {
    assert.deepEqual(await get(`/chain/blocks/${bad}`), { status: 400, json: { Error: 'Block id must be an integer (uint64).' } }, bad);
  }
  assert.deepEqual(await get('/chain/blocks/7'), { status: 404, json: { Error: 'openchain: resource not found' } });
  assert.deepEqual(await get('/transactions/known'), { status: 200, json: { type: 2, txid: 'known' } });
  assert.deepEqual(await get('/transactions/nope'), { status: 404, json: { Error: 'Transaction nope is not found.' } });
  assert.deepEqual(await get('/network/peers'), { status: 200, json: { peers: [{ ID: { name: 'vp0' }, address: '127.0.0.1:7051', type: 1 }] } });
  assert.deepEqual(await get('/no/such/route'), { status: 404, json: { Error: 'Openchain endpoint not found.' } });
  await app.close();
});
