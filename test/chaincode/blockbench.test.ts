// The BLOCKBENCH chaincodes (chaincode/blockbench/) through the real sandbox: every function
// BLOCKBENCH's drivers call, with the state each leaves and the Go code's error strings, plus
// weft's bounds on hostile arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WEFT_ROOT } from '../../host/chaincode/build.ts';
import { MockNetwork, readWasm } from '../../host/testing/mock-network.ts';
import { ok, chaincodeError } from './built.ts';

/** chaincode/blockbench/<name>/build/<name>.wasm, built by `npm run build`. */
function blockbench(name: string): Uint8Array {
  const path = join(WEFT_ROOT, 'chaincode', 'blockbench', name, 'build', `${name}.wasm`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return readWasm(path);
}

function deploy(name: string): MockNetwork {
  const net = new MockNetwork();
  ok(net.deploy(name, blockbench(name), ['init']));
  return net;
}

test('kvstore: write, read, delete; YCSB values of ~100 bytes; Go error strings', () => {
  const net = deploy('kvstore');
  const value = 'field3=' + 'x'.repeat(100);
  assert.equal(ok(net.invoke('kvstore', ['write', 'user6284781860667377211', value])), '');
  assert.equal(net.getState('kvstore', 'user6284781860667377211'), value);
  assert.equal(ok(net.query('kvstore', ['read', 'user6284781860667377211'])), value);
  assert.equal(ok(net.query('kvstore', ['read', 'absent'])), '', 'an unset key reads as empty');
  ok(net.invoke('kvstore', ['delete', 'user6284781860667377211']));
  assert.deepEqual(net.keys('kvstore'), []);
  assert.equal(chaincodeError(net.invoke('kvstore', ['write', 'k'])), 'Incorrect number of arguments. Expecting 2. name of the key and value to set');
  assert.equal(chaincodeError(net.invoke('kvstore', ['delete'])), 'Incorrect number of arguments. Expecting name of the key to delete');
  assert.equal(chaincodeError(net.invoke('kvstore', ['read', 'k'])), 'Received unknown function invocation');
  assert.equal(chaincodeError(net.query('kvstore', ['write', 'k', 'v'])), 'Received unknown function query');
  assert.equal(chaincodeError(net.query('kvstore', ['read'])), 'Incorrect number of arguments. Expecting name of the key to query');
  assert.equal(chaincodeError(net.query('kvstore', ['read', 'a', 'b'])), 'Incorrect number of arguments. Expecting name of the key to query');
});

test('donothing: succeeds without touching state; everything else fails', () => {
  const net = deploy('donothing');
  const result = net.invoke('donothing', ['donothing']);
  assert.equal(ok(result), '');
  assert.deepEqual(net.keys('donothing'), []);
  assert.equal(chaincodeError(net.invoke('donothing', ['something'])), 'Received unknown function invocation');
  assert.equal(chaincodeError(net.query('donothing', ['donothing'])), 'Received unknown function query');
});

test('smallbank: the six transactions with the Go code\'s arithmetic; unset accounts hold 100000', () => {
  const net = deploy('smallbank');
  const state = (key: string): string | undefined => net.getState('smallbank', key);
  assert.equal(ok(net.invoke('smallbank', ['getBalance', '7'])), '200000', 'saving + checking of a fresh account');
  assert.deepEqual(net.keys('smallbank'), [], 'getBalance writes nothing');

  ok(net.invoke('smallbank', ['updateBalance', '1', '50']));
  assert.equal(state('checking_1'), '100050');
  ok(net.invoke('smallbank', ['updateSaving', '1', '-30']));
  assert.equal(state('saving_1'), '99970');
  assert.equal(ok(net.invoke('smallbank', ['getBalance', '1'])), '200020');

  ok(net.invoke('smallbank', ['sendPayment', '1', '2', '25']));
  assert.equal(state('checking_1'), '100025');
  assert.equal(state('checking_2'), '100025');
  ok(net.invoke('smallbank', ['sendPayment', '3', '3', '10']));
  assert.equal(state('checking_3'), '100010', 'same account: the credit is written last, as in Go');
  ok(net.invoke('smallbank', ['sendPayment', '4', '5', 'lots']));
  assert.equal(state('checking_4'), '100000', 'an unparsable amount is 0 (Go ignored the error)');

  // amalgate a b: saving_b = saving_a + checking_b; checking_a = 0
  ok(net.invoke('smallbank', ['amalgate', '1', '2']));
  assert.equal(state('checking_1'), '0');
  assert.equal(state('saving_2'), String(99_970 + 100_025));
  ok(net.invoke('smallbank', ['amalgamate', '6', '7']));
  assert.equal(state('checking_6'), '0');
  assert.equal(state('saving_7'), '200000');

  // writeCheck: one more is taken when the amount is below the total (Go's inverted penalty)
  ok(net.invoke('smallbank', ['writeCheck', '8', '10']));
  assert.equal(state('checking_8'), String(100_000 - 10 - 1));
  ok(net.invoke('smallbank', ['writeCheck', '9', '300000']));
  assert.equal(state('checking_9'), String(100_000 - 300_000));

  // an unparsable stored balance reads as BALANCE
  net.putState('smallbank', 'checking_10', 'garbage');
  ok(net.invoke('smallbank', ['updateBalance', '10', '1']));
  assert.equal(state('checking_10'), '100001');

  assert.equal(ok(net.query('smallbank', ['anything', 'checking_8'])), '99989', 'Query answers the raw value of args[0]');
  assert.equal(ok(net.query('smallbank', ['x', 'checking_404'])), '');
  assert.equal(chaincodeError(net.query('smallbank', ['x'])), 'Incorrect number of arguments. Expecting the key to query');
});

test('smallbank: argument errors, unknown functions and preload', () => {
  const net = deploy('smallbank');
  assert.equal(chaincodeError(net.invoke('smallbank', ['updateBalance', '1', 'ten'])), 'strconv.Atoi: parsing "ten": invalid syntax');
  assert.equal(chaincodeError(net.invoke('smallbank', ['updateSaving', '1', ''])), 'strconv.Atoi: parsing "": invalid syntax');
  assert.equal(chaincodeError(net.invoke('smallbank', ['sendPayment', '1', '2'])), 'Incorrect number of arguments. Expecting 3: sendPayment <acc1> <acc2> <amount>');
  assert.equal(chaincodeError(net.invoke('smallbank', ['amalgate', '1'])), 'Incorrect number of arguments. Expecting 2: amalgate <acc1> <acc2>');
  assert.equal(chaincodeError(net.invoke('smallbank', ['getBalance'])), 'Incorrect number of arguments. Expecting 1: getBalance <acc>');
  assert.equal(chaincodeError(net.invoke('smallbank', ['writeCheck', '1', '2', '3'])), 'Incorrect number of arguments. Expecting 2: writeCheck <acc> <amount>');
  assert.equal(chaincodeError(net.invoke('smallbank', ['steal', '1'])), 'Received unknown function invocation: steal');
  assert.deepEqual(net.keys('smallbank'), [], 'failed transactions leave no writes');

  ok(net.invoke('smallbank', ['preload', '10', '3']));
  assert.deepEqual(net.keys('smallbank'), ['checking_10', 'checking_11', 'checking_12', 'saving_10', 'saving_11', 'saving_12']);
  assert.equal(net.getState('smallbank', 'saving_12'), '100000');
  const thousand = net.invoke('smallbank', ['preload', '0', '1000']);
  ok(thousand);
  assert.equal(net.keys('smallbank').length, 2000);
  assert.ok(thousand.fuelUsed < 50_000_000, `preload of 1,000 accounts used ${thousand.fuelUsed} fuel`);
  assert.equal(chaincodeError(net.invoke('smallbank', ['preload', '0', '1001'])), 'preload: first must be >= 0 and count from 0 to 1000');
  assert.equal(chaincodeError(net.invoke('smallbank', ['preload', '-1', '1'])), 'preload: first must be >= 0 and count from 0 to 1000');
  assert.equal(chaincodeError(net.invoke('smallbank', ['preload', 'x', '1'])), 'strconv.Atoi: parsing "x": invalid syntax');
});

test('ioheavy: write puts 20-digit keys with 100-byte values from the alphabet; scan and read them', () => {
  const net = deploy('ioheavy');
  ok(net.invoke('ioheavy', ['write', '48', '3']));
  assert.deepEqual(net.keys('ioheavy'), ['00000000000000000048', '00000000000000000049', '00000000000000000050']);
  const alphabet = 'abcdefghijklmnopqrstuvwxy#$%^&*()_+[]{}|;:,./<>?`~';
  const pool = alphabet.repeat(3);
  assert.equal(net.getState('ioheavy', '00000000000000000048'), pool.slice(48, 148));
  assert.equal(net.getState('ioheavy', '00000000000000000050'), pool.slice(0, 100));
  assert.equal(net.getState('ioheavy', '00000000000000000049')!.length, 100);
  assert.equal(ok(net.query('ioheavy', ['read', '00000000000000000049'])), pool.slice(49, 149));
  assert.equal(ok(net.invoke('ioheavy', ['scan', '40', '20'])), '3', 'keys 48, 49, 50 of 40…59 exist');
  assert.equal(ok(net.invoke('ioheavy', ['scan', '0', '0'])), '0');

  const big = net.invoke('ioheavy', ['write', '1000', '20000']);
  ok(big);
  assert.equal(net.keys('ioheavy').length, 20_003);
  assert.equal(net.getState('ioheavy', '00000000000000020999'), pool.slice(20_999 % 50, 20_999 % 50 + 100));
  assert.equal(ok(net.invoke('ioheavy', ['scan', '1000', '20000'])), '20000', 'BLOCKBENCH\'s batch of 20,000 fits the fuel limit');

  assert.equal(chaincodeError(net.invoke('ioheavy', ['write', '0', '20001'])), 'at most 20000 keys per transaction, got 20001');
  assert.equal(chaincodeError(net.invoke('ioheavy', ['write', '-1', '1'])), 'start key out of range, got -1');
  assert.equal(chaincodeError(net.invoke('ioheavy', ['write', '9223372036854775807', '1'])), 'start key out of range, got 9223372036854775807');
  assert.equal(chaincodeError(net.invoke('ioheavy', ['write', '1'])), 'Incorrect number of arguments. Expecting 2. name of the key and value to set');
  assert.equal(chaincodeError(net.invoke('ioheavy', ['scan', 'a', '1'])), 'strconv.Atoi: parsing "a": invalid syntax');
  assert.equal(chaincodeError(net.invoke('ioheavy', ['read', '1', '1'])), 'Received unknown function invocation');
  assert.equal(chaincodeError(net.query('ioheavy', ['scan', '1'])), 'Received unknown function query');
});

test('cpuheavy: sort n sorts n+1 integers and records n; the fuel limit bounds n', () => {
  const net = deploy('cpuheavy');
  ok(net.invoke('cpuheavy', ['sort', '0']));
  assert.equal(net.getState('cpuheavy', 'num'), '0');
  const small = net.invoke('cpuheavy', ['sort', '1000']);
  ok(small);
  assert.equal(net.getState('cpuheavy', 'num'), '1000');
  const large = net.invoke('cpuheavy', ['sort', '100000']);
  ok(large);
  assert.equal(net.getState('cpuheavy', 'num'), '100000');
  assert.ok(large.fuelUsed > 50 * small.fuelUsed, `fuel grows with n log n: ${small.fuelUsed} → ${large.fuelUsed}`);
  const tooMuch = net.invoke('cpuheavy', ['sort', '1000000']);
  assert.equal(tooMuch.ok, false);
  assert.equal(!tooMuch.ok && tooMuch.kind, 'fuel');
  assert.equal(net.getState('cpuheavy', 'num'), '100000', 'a failed sort writes nothing');
  assert.equal(chaincodeError(net.invoke('cpuheavy', ['sort', '1000001'])), 'sort: n must be from 0 to 1000000, got 1000001');
  assert.equal(chaincodeError(net.invoke('cpuheavy', ['sort', '-5'])), 'sort: n must be from 0 to 1000000, got -5');
  assert.equal(chaincodeError(net.invoke('cpuheavy', ['sort', 'many'])), 'strconv.Atoi: parsing "many": invalid syntax');
  assert.equal(chaincodeError(net.invoke('cpuheavy', ['sort'])), 'Incorrect number of arguments. Expecting 1: sort <n>');
  assert.equal(chaincodeError(net.invoke('cpuheavy', ['shuffle', '1'])), 'Received unknown function invocation: shuffle');
  assert.equal(chaincodeError(net.query('cpuheavy', ['sort', '1'])), 'Received unknown function query');
});
