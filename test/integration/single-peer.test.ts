// End to end on one real peer process (noops): chaincode_example02 deployed, invoked and queried
// from the CLI and over REST with Fabric's answers; blocks on the event hub; bad input answered
// in Fabric's shape while the peer keeps serving; a restart loses nothing committed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventClient, type HubEvent } from '../../host/events/event-client.ts';
import { EventType } from '../../host/events/interests.ts';
import { startPeer, stopPeer } from '../../host/launcher/network-launcher.ts';
import { eventually, getJson, rpc, startNetwork, weft, type TestNetwork } from './harness.ts';

let network: TestNetwork;
let rest: string;
let events: string;
let name = '';

before(async () => {
  network = await startNetwork({ peers: 1, consensus: 'noops', env: { CORE_NOOPS_BLOCK_WAIT: '100ms' } });
  const peer = network.layout.peers[0];
  assert.ok(peer);
  rest = peer.restAddress;
  events = peer.eventsAddress;
});

after(async () => {
  await network?.down();
});

test('a fresh peer has the genesis block: height 1', async () => {
  const { status, json } = await getJson(rest, '/chain');
  assert.equal(status, 200);
  assert.equal(json.height, 1);
  assert.equal(typeof json.currentBlockHash, 'string');
  assert.equal(json.previousBlockHash, undefined);
});

test('CLI: deploy example02 (a=100, b=200), move 10, query a=90 and b=210', async () => {
  const deploy = await weft(['chaincode', 'deploy', '--peer', rest, '-p', 'chaincode/chaincode_example02', '-c', '{"Function":"init","Args":["a","100","b","200"]}', '--wait', '60']);
  assert.equal(deploy.code, 0, deploy.stderr);
  const match = /Deploy chaincode: ([0-9a-f]{128})/.exec(deploy.stdout);
  assert.ok(match, deploy.stdout);
  name = match[1] as string;

  const blocks: HubEvent[] = [];
  const listener = await EventClient.connect({ address: events, interests: [{ eventType: EventType.BLOCK }], onEvent: (e) => blocks.push(e) });
  const invoke = await weft(['chaincode', 'invoke', '--peer', rest, '-n', name, '-c', '{"Args":["invoke","a","b","10"]}', '--wait', '60']);
  assert.equal(invoke.code, 0, invoke.stderr);
  const txid = /Successfully invoked transaction: (\S+)/.exec(invoke.stdout)?.[1];
  assert.ok(txid, invoke.stdout);
  await eventually(async () => blocks.length, (n) => n >= 1);
  await listener.close();
  const block = blocks[0];
  assert.ok(block && 'block' in block);
  assert.deepEqual((block.block.transactions as Array<{ txid: string }>).map((t) => t.txid), [txid]);

  const a = await weft(['chaincode', 'query', '--peer', rest, '-n', name, '-c', '{"Args":["query","a"]}']);
  assert.equal(a.stdout.trim(), 'Query Result: 90', a.stderr);
  const b = await weft(['chaincode', 'query', '--peer', rest, '-n', name, '-c', '{"Function":"query","Args":["b"]}']);
  assert.equal(b.stdout.trim(), 'Query Result: 210', b.stderr);
  const hex = await weft(['chaincode', 'query', '--peer', rest, '-n', name, '-x', '-c', '{"Args":["query","b"]}']);
  assert.equal(hex.stdout.trim(), `Query Result: ${Buffer.from('210').toString('hex')}`);
});

test('REST: invoke answers at once with a txid, which /transactions serves once committed', async () => {
  assert.notEqual(name, '', 'needs the deploy of the previous test');
  const invoke = await rpc(rest, { jsonrpc: '2.0', method: 'invoke', params: { type: 1, chaincodeID: { name }, ctorMsg: { args: ['invoke', 'b', 'a', '5'] } }, id: 3 });
  assert.equal(invoke.status, 200);
  assert.equal(invoke.json.result.status, 'OK');
  assert.equal(invoke.json.id, 3);
  const txid = invoke.json.result.message as string;
  const tx = await eventually(() => getJson(rest, `/transactions/${txid}`), (r) => r.status === 200);
  assert.equal(tx.json.txid, txid);
  assert.equal(tx.json.type, 2);
  const query = await rpc(rest, { jsonrpc: '2.0', method: 'query', params: { type: 1, chaincodeID: { name }, ctorMsg: { function: 'query', args: ['a'] } }, id: 5 });
  assert.deepEqual(query.json, { jsonrpc: '2.0', result: { status: 'OK', message: '95' }, id: 5 });
  const deployTx = await getJson(rest, `/transactions/${name}`);
  assert.equal(deployTx.status, 200, 'the deploy transaction is found by the chaincode name');
  assert.equal(deployTx.json.type, 1);
});

test('a failed invoke is left out of its block, which still commits, and is reported as rejected', async () => {
  const before = (await getJson(rest, '/chain')).json.height as number;
  const bad = await rpc(rest, { jsonrpc: '2.0', method: 'invoke', params: { chaincodeID: { name }, ctorMsg: { args: ['invoke', 'a', 'b', 'ten'] } }, id: 1 });
  const txid = bad.json.result.message as string;
  const status = await eventually(() => getJson(rest, `/weft/transactions/${txid}/status`), (r) => r.json.status !== 'unknown');
  assert.equal(status.json.status, 'rejected');
  assert.equal(status.json.error, 'Invalid transaction amount, expecting a integer value');
  const height = (await getJson(rest, '/chain')).json.height as number;
  assert.equal(height, before + 1);
  const block = await getJson(rest, `/chain/blocks/${height - 1}`);
  assert.equal(block.json.transactions, undefined, 'the block of a failed transaction has no transactions');
  assert.equal((await getJson(rest, `/transactions/${txid}`)).status, 404);
});

test('bad input gets Fabric-shaped errors and the peer keeps serving', async () => {
  const parse = await rpc(rest, '{"jsonrpc":');
  assert.equal(parse.status, 400);
  assert.equal(parse.json.error.code, -32700);
  const version = await rpc(rest, { jsonrpc: '1.0', method: 'query', params: {}, id: 1 });
  assert.equal(version.status, 400);
  assert.equal(version.json.error.data, 'Invalid JSON RPC 2.0 version string. Must be 2.0.');
  const method = await rpc(rest, { jsonrpc: '2.0', method: 'frob', params: {}, id: 1 });
  assert.equal(method.status, 404);
  assert.equal(method.json.error.code, -32601);
  const unknown = await rpc(rest, { jsonrpc: '2.0', method: 'query', params: { chaincodeID: { name: 'nope' }, ctorMsg: { args: ['query', 'a'] } }, id: 1 });
  assert.equal(unknown.json.error.code, -32003);
  assert.match(unknown.json.error.data, /^Error when querying chaincode: /);
  const noKey = await rpc(rest, { jsonrpc: '2.0', method: 'query', params: { chaincodeID: { name }, ctorMsg: { args: ['query', 'c'] } }, id: 1 });
  assert.equal(noKey.json.error.data, 'Error when querying chaincode: Error:Transaction or query returned with failure: {"Error":"Nil amount for c"}');
  for (const bad of ['-1', 'abc', '1.5', '99999999999999999999999']) {
    const r = await getJson(rest, `/chain/blocks/${bad}`);
    assert.equal(r.status, 400, bad);
    assert.deepEqual(r.json, { Error: 'Block id must be an integer (uint64).' });
  }
  assert.deepEqual((await getJson(rest, '/chain/blocks/100000')).json, { Error: 'openchain: resource not found' });
  const malformed = await weft(['chaincode', 'deploy', '--peer', rest, '-p', 'README.md', '-c', '{"Args":["init"]}']);
  assert.notEqual(malformed.code, 0);
  assert.match(malformed.stderr, /must be a chaincode folder or a \.wasm file/);
  const query = await rpc(rest, { jsonrpc: '2.0', method: 'query', params: { chaincodeID: { name }, ctorMsg: { args: ['query', 'a'] } }, id: 2 });
  assert.equal(query.json.result.message, '95');
});

test('a restarted peer resumes from disk with nothing committed lost', async () => {
  const before = (await getJson(rest, '/chain')).json;
  await stopPeer(network.dataDir, 'vp0');
  await startPeer(network.dataDir, 'vp0');
  const after = (await getJson(rest, '/chain')).json;
  assert.deepEqual(after, before);
  const a = await rpc(rest, { jsonrpc: '2.0', method: 'query', params: { chaincodeID: { name }, ctorMsg: { args: ['query', 'a'] } }, id: 2 });
  assert.equal(a.json.result.message, '95');
  const status = await weft(['node', 'status'], { CORE_REST_ADDRESS: rest, CORE_PEER_FILESYSTEMPATH: `${network.dataDir}/vp0` });
  assert.equal(status.stdout.trim(), 'status:STARTED');
});
