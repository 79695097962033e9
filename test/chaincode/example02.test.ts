// chaincode_example02 through the real runtime: Fabric's canonical run (init a 100 b 200,
// invoke a b 10, query a = 90 and b = 210), every error text of the Go original, delete, and
// the properties Fabric's TestExecuteInvokeTransaction / TestExecuteQuery /
// TestExecuteInvokeInvalidTransaction check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockNetwork, type MockResult } from '../../host/testing/mock-network.ts';
import { chaincode } from './built.ts';

const EX02 = chaincode('chaincode_example02');

function deployed(): MockNetwork {
  const net = new MockNetwork();
  const result = net.deploy('ex02', EX02, ['init', 'a', '100', 'b', '200']);
  assert.equal(result.ok, true, result.ok ? '' : result.error);
  return net;
}

function errorOf(result: MockResult): string {
  assert.equal(result.ok, false, 'expected a failure');
  if (result.ok) return '';
  assert.equal(result.kind, 'chaincode');
  return result.error;
}

test('the canonical run: init a 100 b 200, invoke a b 10, query a = 90, b = 210', () => {
  const net = deployed();
  assert.equal(net.getState('ex02', 'a'), '100');
  assert.equal(net.getState('ex02', 'b'), '200');
  const moved = net.invoke('ex02', ['invoke', 'a', 'b', '10']);
  assert.equal(moved.ok, true);
  assert.equal(moved.ok && moved.text, '');
  const a = net.query('ex02', ['query', 'a']);
  const b = net.query('ex02', ['query', 'b']);
  assert.equal(a.ok && a.text, '90');
  assert.equal(b.ok && b.text, '210');
  assert.deepEqual(net.keys('ex02'), ['a', 'b']);
});

test('invoke with any function name but "delete" moves, without a negative-balance check', () => {
  const net = deployed();
  assert.equal(net.invoke('ex02', ['transfer', 'a', 'b', '150']).ok, true);
  assert.equal(net.getState('ex02', 'a'), '-50');
  assert.equal(net.getState('ex02', 'b'), '350');
  assert.equal(net.invoke('ex02', ['', 'b', 'a', '-5']).ok, true, 'a negative amount moves the other way');
  assert.equal(net.getState('ex02', 'a'), '-55');
});

test('init errors are Fabric\'s', () => {
  const net = new MockNetwork();
  assert.equal(errorOf(net.deploy('x', EX02, ['init', 'a', '100', 'b'])), 'Incorrect number of arguments. Expecting 4');
  assert.equal(errorOf(net.deploy('x', EX02, ['init', 'a', '1x', 'b', '2'])), 'Expecting integer value for asset holding');
  assert.equal(errorOf(net.deploy('x', EX02, ['init', 'a', '1', 'b', ''])), 'Expecting integer value for asset holding');
  assert.equal(net.isDeployed('x'), false, 'a failed init registers nothing');
  assert.deepEqual(net.keys('x'), [], 'and writes nothing');
});

test('invoke errors are Fabric\'s and leave state unchanged (TestExecuteInvokeInvalidTransaction)', () => {
  const net = deployed();
  assert.equal(errorOf(net.invoke('ex02', ['invoke', 'a', 'b'])), 'Incorrect number of arguments. Expecting 3');
  assert.equal(errorOf(net.invoke('ex02', ['invoke', 'a', 'c', '10'])), 'Entity not found');
  assert.equal(errorOf(net.invoke('ex02', ['invoke', 'c', 'b', '10'])), 'Entity not found');
  assert.equal(errorOf(net.invoke('ex02', ['invoke', 'a', 'b', 'ten'])), 'Invalid transaction amount, expecting a integer value');
  assert.equal(errorOf(net.invoke('ex02', ['invoke', 'a', 'b', '99999999999999999999'])), 'Invalid transaction amount, expecting a integer value');
  assert.equal(net.getState('ex02', 'a'), '100');
  assert.equal(net.getState('ex02', 'b'), '200');
});

test('delete removes an entity; its errors are Fabric\'s', () => {
  const net = deployed();
  assert.equal(errorOf(net.invoke('ex02', ['delete'])), 'Incorrect number of arguments. Expecting 1');
  assert.equal(errorOf(net.invoke('ex02', ['delete', 'a', 'b'])), 'Incorrect number of arguments. Expecting 1');
  assert.equal(net.invoke('ex02', ['delete', 'a']).ok, true);
  assert.equal(net.getState('ex02', 'a'), undefined);
  assert.equal(net.invoke('ex02', ['delete', 'nobody']).ok, true, 'deleting a missing key is not an error');
  assert.equal(errorOf(net.query('ex02', ['query', 'a'])), '{"Error":"Nil amount for a"}');
  assert.equal(errorOf(net.invoke('ex02', ['invoke', 'a', 'b', '1'])), 'Entity not found');
});

test('query errors are Fabric\'s (TestExecuteInvalidQuery)', () => {
  const net = deployed();
  assert.equal(errorOf(net.query('ex02', ['get', 'a'])), 'Invalid query function name. Expecting "query"');
  assert.equal(errorOf(net.query('ex02', ['query'])), 'Incorrect number of arguments. Expecting name of the person to query');
  assert.equal(errorOf(net.query('ex02', ['query', 'a', 'b'])), 'Incorrect number of arguments. Expecting name of the person to query');
  assert.equal(errorOf(net.query('ex02', ['query', 'zz'])), '{"Error":"Nil amount for zz"}');
});

test('query returns the raw value bytes, whatever they are', () => {
  const net = deployed();
  net.putState('ex02', 'raw', new Uint8Array([0, 255, 10]));
  const raw = net.query('ex02', ['query', 'raw']);
  assert.equal(raw.ok, true);
  assert.deepEqual(raw.ok && [...raw.payload], [0, 255, 10]);
  net.putState('ex02', 'empty', '');
  const empty = net.query('ex02', ['query', 'empty']);
  assert.equal(empty.ok && empty.text, '', 'an empty value is not nil');
});

test('a non-integer stored balance counts as 0, as Go\'s ignored Atoi error did', () => {
  const net = deployed();
  net.putState('ex02', 'a', 'lots');
  assert.equal(net.invoke('ex02', ['invoke', 'a', 'b', '10']).ok, true);
  assert.equal(net.getState('ex02', 'a'), '-10');
});

test('the same transactions use the same fuel on a fresh network', () => {
  const fuel = (): number[] => {
    const net = new MockNetwork();
    const results = [
      net.deploy('ex02', EX02, ['init', 'a', '100', 'b', '200']),
      net.invoke('ex02', ['invoke', 'a', 'b', '10']),
      net.query('ex02', ['query', 'a']),
      net.invoke('ex02', ['invoke', 'a', 'b', 'x']),
    ];
    return results.map((r) => r.fuelUsed);
  };
  const first = fuel();
  assert.deepEqual(fuel(), first);
  assert.ok(first.every((f) => f > 0));
});
