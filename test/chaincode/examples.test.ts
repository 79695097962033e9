// The other Fabric v0.6 examples through the real runtime, porting core/chaincode/
// exectransaction_test.go where it applies: TestChaincodeInvokeChaincode (ex02 + ex04),
// TestChaincodeQueryChaincode (ex05), TestChaincodeInvokeChaincodeErrorCase and
// TestChaincodeQueryChaincodeErrorCase (passthru), TestRangeQuery (map), TestGetEvent
// (eventsender), the erroneous transaction of ex01, ex03's read-only query, and ABAC with
// authorizable_counter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockNetwork, type CallerIdentity } from '../../host/testing/mock-network.ts';
import { chaincode, text, ok, chaincodeError } from './built.ts';

function withEx02(net = new MockNetwork()): MockNetwork {
  ok(net.deploy('ex02', chaincode('chaincode_example02'), ['init', 'a', '100', 'b', '200']));
  return net;
}

const encoder = new TextEncoder();

function caller(attributes: Record<string, string>): CallerIdentity {
  return {
    certificate: encoder.encode('cert'),
    metadata: encoder.encode('metadata'),
    binding: encoder.encode('binding'),
    attributes: new Map(Object.entries(attributes).map(([k, v]) => [k, encoder.encode(v)])),
    verifySignature: () => false,
  };
}

test('chaincode_example01: state lives in module variables; a non-integer X is an erroneous transaction', () => {
  const net = new MockNetwork();
  const ex01 = chaincode('chaincode_example01');
  assert.equal(chaincodeError(net.deploy('ex01', ex01, ['init', 'a', '100', 'b'])), 'Incorrect number of arguments. Expecting 4');
  assert.equal(chaincodeError(net.deploy('ex01', ex01, ['init', 'a', 'x', 'b', '200'])), 'Expecting integer value for asset holding');
  ok(net.deploy('ex01', ex01, ['init', 'a', '100', 'b', '200']));
  const moved = net.invoke('ex01', ['invoke', '10'], { timestamp: { seconds: 1_500_000_000, nanos: 42 } });
  ok(moved);
  // module variables start from scratch in every transaction: Aval was 0 here, not 100
  assert.equal(moved.logs.length, 1);
  assert.ok(moved.logs[0]!.endsWith('[chaincode_example01] Transaction Time: 1500000000s 42ns, Aval = -10, Bval = 10'), moved.logs[0]);
  assert.equal(chaincodeError(net.invoke('ex01', ['invoke', 'ten'])), 'strconv.Atoi: parsing "ten": invalid syntax');
  assert.deepEqual(net.keys('ex01'), [], 'ex01 never writes state');
  assert.equal(ok(net.query('ex01', ['query'])), '');
});

test('chaincode_example03: a query that writes state answers Fabric\'s error', () => {
  const net = new MockNetwork();
  const ex03 = chaincode('chaincode_example03');
  assert.equal(chaincodeError(net.deploy('ex03', ex03, ['init', 'a'])), 'Incorrect number of arguments. Expecting 2');
  ok(net.deploy('ex03', ex03, ['init', 'a', '42']));
  assert.equal(net.getState('ex03', 'a'), '42');
  assert.equal(chaincodeError(net.query('ex03', ['query', 'a', '43'])), '{"Error":"Cannot put state within chaincode query"}');
  assert.equal(chaincodeError(net.query('ex03', ['read', 'a', '43'])), 'Invalid query function name. Expecting "query"');
  assert.equal(chaincodeError(net.query('ex03', ['query', 'a', 'x'])), 'Expecting integer value for asset holding');
  assert.equal(net.getState('ex03', 'a'), '42');
  assert.equal(ok(net.invoke('ex03', ['anything'])), '', 'invoke is a no-op');
});

test('TestChaincodeInvokeChaincode: example04 invokes example02 in the same transaction', () => {
  const net = withEx02();
  const ex04 = chaincode('chaincode_example04');
  assert.equal(chaincodeError(net.deploy('ex04', ex04, ['init', 'event'])), 'Incorrect number of arguments. Expecting 2');
  assert.equal(chaincodeError(net.deploy('ex04', ex04, ['init', 'event', 'x'])), 'Expecting integer value for event status');
  ok(net.deploy('ex04', ex04, ['init', 'event', '0']));
  ok(net.invoke('ex04', ['invoke', 'ex02', 'event', '1']));
  assert.equal(net.getState('ex02', 'a'), '90');
  assert.equal(net.getState('ex02', 'b'), '210');
  assert.equal(net.getState('ex04', 'event'), '1');
  assert.equal(ok(net.query('ex04', ['query', 'event'])), '{"Name":"event","Amount":"1"}');
  assert.equal(ok(net.query('ex02', ['query', 'a'])), '90');

  // an event value other than 1 does nothing
  ok(net.invoke('ex04', ['invoke', 'ex02', 'event', '2']));
  assert.equal(net.getState('ex02', 'a'), '90');
  assert.equal(net.getState('ex04', 'event'), '1');

  assert.equal(chaincodeError(net.invoke('ex04', ['invoke', 'ex02', 'event'])), 'Incorrect number of arguments. Expecting 3');
  assert.equal(chaincodeError(net.invoke('ex04', ['invoke', 'ex02', 'event', 'one'])), 'Expected integer value for event state change');
  assert.equal(chaincodeError(net.query('ex04', ['query'])), 'Incorrect number of arguments. Expecting entity to query');
  assert.equal(chaincodeError(net.query('ex04', ['query', 'nothing'])), '{"Error":"Nil value for nothing"}');
  assert.equal(chaincodeError(net.query('ex04', ['get', 'event'])), 'Invalid query function name. Expecting "query"');
});

test('a failing callee fails the caller and rolls back both namespaces', () => {
  const net = withEx02();
  ok(net.deploy('ex04', chaincode('chaincode_example04'), ['init', 'event', '0']));
  net.putState('ex02', 'b', 'gone');
  net.invoke('ex02', ['delete', 'b']);
  const failed = chaincodeError(net.invoke('ex04', ['invoke', 'ex02', 'event', '1']));
  assert.match(failed, /^Failed to invoke chaincode\. Got error: .*Entity not found/);
  assert.equal(net.getState('ex02', 'a'), '100');
  assert.equal(net.getState('ex04', 'event'), '0');
  const missing = chaincodeError(net.invoke('ex04', ['invoke', 'nosuch', 'event', '1']));
  assert.match(missing, /^Failed to invoke chaincode\. Got error: .*nosuch/);
});

test('TestChaincodeQueryChaincode: example05 queries example02 and stores a + b', () => {
  const net = withEx02();
  const ex05 = chaincode('chaincode_example05');
  assert.equal(chaincodeError(net.deploy('ex05', ex05, ['init', 'sum', 'zero'])), 'Expecting integer value for sum');
  ok(net.deploy('ex05', ex05, ['init', 'sum', '0']));
  assert.equal(ok(net.invoke('ex05', ['invoke', 'ex02', 'sum'])), '300');
  assert.equal(net.getState('ex05', 'sum'), '300');
  ok(net.invoke('ex02', ['invoke', 'a', 'b', '10']));
  assert.equal(ok(net.query('ex05', ['query', 'ex02', 'sum'])), '300');
  assert.equal(chaincodeError(net.query('ex05', ['query', 'ex02'])), 'Incorrect number of arguments. Expecting 2');
  assert.equal(chaincodeError(net.query('ex05', ['sum', 'ex02', 'sum'])), 'Invalid query function name. Expecting "query"');
  assert.equal(chaincodeError(net.invoke('ex05', ['invoke', 'ex02'])), 'Incorrect number of arguments. Expecting 2');
});

test('TestChaincodeQueryChaincodeErrorCase: example05 reports a callee that fails or answers garbage', () => {
  const net = withEx02();
  ok(net.deploy('ex05', chaincode('chaincode_example05'), ['init', 'sum', '0']));
  const missing = chaincodeError(net.query('ex05', ['query', 'nosuch', 'sum']));
  assert.match(missing, /^Failed to query chaincode\. Got error: .*nosuch/);
  net.putState('ex02', 'a', 'many');
  assert.equal(
    chaincodeError(net.invoke('ex05', ['invoke', 'ex02', 'sum'])),
    'Error retrieving state from ledger for queried chaincode: strconv.Atoi: parsing "many": invalid syntax',
  );
  net.invoke('ex02', ['delete', 'b']);
  net.putState('ex02', 'a', '1');
  assert.equal(
    chaincodeError(net.invoke('ex05', ['invoke', 'ex02', 'sum'])),
    'Failed to query chaincode. Got error: {"Error":"Nil amount for b"}',
  );
  assert.equal(net.getState('ex05', 'sum'), '0');
});

test('TestChaincodeInvokeChaincodeErrorCase: passthru forwards example02\'s argument error', () => {
  const net = withEx02();
  const passthru = chaincode('passthru');
  assert.equal(ok(net.deploy('passthru', passthru, ['init'])), 'init', 'init answers the function name');
  assert.equal(chaincodeError(net.deploy('pt2', passthru, ['an error here'])), 'an error here');
  const failed = chaincodeError(net.invoke('passthru', ['ex02', 'invoke', 'a']));
  assert.ok(failed.includes('Incorrect number of arguments. Expecting 3'), failed);
  assert.equal(ok(net.invoke('passthru', ['ex02', 'invoke', 'a', 'b', '5'])), '');
  assert.equal(ok(net.query('passthru', ['ex02', 'query', 'b'])), '205');
  assert.equal(chaincodeError(net.invoke('passthru', [''])), 'Chaincode ID not provided');
  assert.equal(chaincodeError(net.query('passthru', [''])), 'Chaincode ID not provided');
});

test('a query cannot invoke another chaincode: passthru\'s forwarded invoke fails in a query', () => {
  const net = withEx02();
  ok(net.deploy('passthru', chaincode('passthru'), ['init']));
  // query → passthru's query → query_chaincode(ex02 "invoke") runs ex02's Query, which rejects the name
  assert.equal(chaincodeError(net.query('passthru', ['ex02', 'invoke', 'a', 'b', '1'])).includes('Invalid query function name'), true);
  assert.equal(net.getState('ex02', 'a'), '100');
});

test('TestRangeQuery: map keys lists every key in byte order as a JSON array', () => {
  const net = new MockNetwork();
  ok(net.deploy('map', chaincode('map'), ['init']));
  assert.equal(ok(net.query('map', ['keys'])), 'null', 'no keys: Go marshals a nil slice as null');
  for (const key of ['b', 'a', 'é', 'A', 'a<b>&', 'aa']) ok(net.invoke('map', ['put', key, `v-${key}`]));
  assert.equal(ok(net.query('map', ['keys'])), '["A","a","a\\u003cb\\u003e\\u0026","aa","b","é"]');
  assert.equal(ok(net.query('map', ['get', 'é'])), 'v-é');
  assert.equal(ok(net.query('map', ['get', 'missing'])), '', 'a missing key answers no bytes');
  const binary = new Uint8Array([0xff, 0x00, 0xfe]);
  ok(net.invoke('map', ['put', 'bin', binary]));
  const got = net.query('map', ['get', 'bin']);
  assert.deepEqual(got.ok && [...got.payload], [...binary], 'values keep their raw bytes');
  ok(net.invoke('map', ['remove', 'bin']));
  ok(net.invoke('map', ['remove', 'aa']));
  assert.deepEqual(net.keys('map'), ['A', 'a', 'a<b>&', 'b', 'é']);
  assert.equal(chaincodeError(net.invoke('map', ['put', 'k'])), 'put operation must include two arguments, a key and value');
  assert.equal(chaincodeError(net.invoke('map', ['remove'])), 'remove operation must include one argument, a key');
  assert.equal(chaincodeError(net.query('map', ['get'])), 'get operation must include one argument, a key');
  assert.equal(chaincodeError(net.invoke('map', ['clear'])), 'Unsupported operation');
  assert.equal(chaincodeError(net.query('map', ['size'])), 'Unsupported operation');
});

test('TestGetEvent: eventsender sets "evtsender" with the invoke\'s args', () => {
  const net = new MockNetwork();
  ok(net.deploy('events', chaincode('eventsender'), ['init']));
  const first = net.invoke('events', ['', 'i', 'am', 'satoshi']);
  ok(first);
  assert.equal(first.event?.eventName, 'evtsender');
  assert.equal(text(first.event!.payload), 'Event 0,i,am,satoshi');
  const second = net.invoke('events', ['send']);
  assert.equal(text(second.event!.payload), 'Event 1');
  assert.equal(ok(net.query('events', ['count'])), '{"NoEvents":"2"}');
  const query = net.query('events', ['']);
  assert.equal(query.event, null, 'queries carry no event');
});

test('authorizable_counter: only a caller with position = Software Engineer increments', () => {
  const net = new MockNetwork();
  ok(net.deploy('counter', chaincode('authorizable_counter'), ['init']));
  assert.equal(ok(net.query('counter', ['read'])), '0');
  ok(net.invoke('counter', ['increment']));
  assert.equal(ok(net.query('counter', ['read'])), '0', 'security off: verifyAttribute fails, nothing changes, no error');
  ok(net.invoke('counter', ['increment'], { caller: caller({ position: 'Manager' }) }));
  assert.equal(ok(net.query('counter', ['read'])), '0');
  const engineer = net.invoke('counter', ['increment'], { caller: caller({ position: 'Software Engineer' }) });
  ok(engineer);
  assert.ok(engineer.logs.some((l) => l.includes('Position => Software Engineer error <nil>')), engineer.logs.join('\n'));
  assert.equal(ok(net.query('counter', ['read'])), '1');
  assert.equal(chaincodeError(net.invoke('counter', ['decrement'])), 'Invalid invoke function name. Expecting "increment"');
  assert.equal(chaincodeError(net.query('counter', ['get'])), 'Invalid query function name. Expecting "read"');
});
