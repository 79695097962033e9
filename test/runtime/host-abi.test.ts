// Every function of the weft ABI v1, through the kv test chaincode: happy path, each error code,
// and what the host answers when the guest misuses it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { AbiError } from '../../host/runtime/abi.ts';
import type { CallerIdentity } from '../../host/runtime/types.ts';
import { MockNetwork, type MockResult } from '../../host/testing/mock-network.ts';
import { cryptoHash } from '../../host/protocol/hash.ts';
import { FUEL_HOST_CALL_BASE } from '../../host/protocol/limits.ts';
import { callOnce, encodedArgs, kvChaincode, records, reply } from './guest.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function ok(result: MockResult): Extract<MockResult, { ok: true }> {
  assert.ok(result.ok, `expected success, got ${result.ok ? '' : `${result.kind}: ${result.error}`}`);
  return result;
}

function failed(result: MockResult): Extract<MockResult, { ok: false }> {
  assert.ok(!result.ok, 'expected a failure');
  return result;
}

/** Runs one kv op and decodes its reply (return code + register). */
function call(network: MockNetwork, args: Array<string | Uint8Array>, options: Parameters<MockNetwork['invoke']>[2] = {}): ReturnType<typeof reply> {
  return reply(ok(network.invoke('kv', args, options)).payload);
}

const caller: CallerIdentity = {
  certificate: enc.encode('CERT'),
  metadata: enc.encode('META'),
  binding: enc.encode('BIND'),
  attributes: new Map([['role', enc.encode('admin')]]),
  verifySignature: (certificate, signature, message) =>
    dec.decode(certificate) === 'CERT' && dec.decode(signature) === 'SIG' && dec.decode(message) === 'MSG',
};

describe('ABI: transaction context', () => {
  let network: MockNetwork;
  before(() => {
    network = new MockNetwork();
    ok(network.deploy('kv', kvChaincode(), ['n']));
  });

  it('get_args returns every arg, function name first, in the wire form', () => {
    const args = ['a', 'x', '', 'héllo'];
    const result = call(network, args);
    assert.equal(result.rc, encodedArgs(args).length);
    assert.deepEqual(result.data, encodedArgs(args));
    const binary = new Uint8Array([0x61, 0xff, 0x00]);
    assert.deepEqual(call(network, ['a', binary]).data.subarray(13), binary, 'args are bytes, not text');
  });

  it('get_tx_id, get_chaincode_id and get_payload come from the transaction', () => {
    assert.deepEqual(call(network, ['t'], { txid: 'tx-42' }), { rc: 5, data: enc.encode('tx-42'), text: 'tx-42' });
    assert.equal(call(network, ['c']).text, 'kv');
    assert.equal(call(network, ['y'], { payload: enc.encode('SPEC') }).text, 'SPEC');
    assert.equal(call(network, ['y']).rc, 0);
  });

  it('get_tx_timestamp writes i64 seconds and i32 nanos, little-endian', () => {
    const result = ok(network.invoke('kv', ['s'], { timestamp: { seconds: 1_700_000_123, nanos: 456_789 } }));
    const view = new DataView(result.payload.buffer, result.payload.byteOffset, 12);
    assert.equal(view.getBigInt64(0, true), 1_700_000_123n);
    assert.equal(view.getInt32(8, true), 456_789);
  });

  it('membership calls answer SECURITY_DISABLED without a caller, real data with one', () => {
    for (const op of ['b', 'C', 'M']) {
      assert.deepEqual(call(network, [op]), {
        rc: AbiError.SECURITY_DISABLED,
        data: enc.encode('security is not enabled: membership services are off on this network'),
        text: 'security is not enabled: membership services are off on this network',
      });
    }
    assert.equal(call(network, ['A', 'role']).rc, AbiError.SECURITY_DISABLED);
    assert.equal(call(network, ['V', 'role', 'admin']).rc, AbiError.SECURITY_DISABLED);
    assert.equal(call(network, ['S', 'CERT', 'SIG', 'MSG']).rc, AbiError.SECURITY_DISABLED);

    assert.equal(call(network, ['b'], { caller }).text, 'BIND');
    assert.equal(call(network, ['C'], { caller }).text, 'CERT');
    assert.equal(call(network, ['M'], { caller }).text, 'META');
    assert.deepEqual(call(network, ['A', 'role'], { caller }), { rc: 5, data: enc.encode('admin'), text: 'admin' });
    assert.deepEqual(call(network, ['A', 'team'], { caller }), { rc: AbiError.ABSENT, data: new Uint8Array(0), text: '' });
    assert.equal(call(network, ['V', 'role', 'admin'], { caller }).rc, 1);
    assert.equal(call(network, ['V', 'role', 'user'], { caller }).rc, 0);
    assert.equal(call(network, ['V', 'team', 'admin'], { caller }).rc, 0);
    assert.equal(call(network, ['S', 'CERT', 'SIG', 'MSG'], { caller }).rc, 1);
    assert.equal(call(network, ['S', 'CERT', 'BAD', 'MSG'], { caller }).rc, 0);
    const throwing: CallerIdentity = { ...caller, verifySignature: () => { throw new Error('malformed certificate'); } };
    assert.equal(call(network, ['S', 'x', 'y', 'z'], { caller: throwing }).rc, 0, 'a verifier error is a failed verification');
  });
});

describe('ABI: state', () => {
  let network: MockNetwork;
  before(() => {
    network = new MockNetwork();
    ok(network.deploy('kv', kvChaincode(), ['p', 'seed', 'from-init']));
  });

  it('put_state writes, get_state reads, absent keys are -1 with an empty register', () => {
    assert.equal(network.getState('kv', 'seed'), 'from-init', 'init writes are committed');
    assert.equal(call(network, ['p', 'k', 'v1']).rc, 0);
    assert.equal(network.getState('kv', 'k'), 'v1');
    assert.deepEqual(call(network, ['g', 'k']), { rc: 2, data: enc.encode('v1'), text: 'v1' });
    assert.deepEqual(call(network, ['g', 'missing']), { rc: AbiError.ABSENT, data: new Uint8Array(0), text: '' });
    assert.equal(call(network, ['p', '', 'empty key']).rc, 0);
    assert.equal(call(network, ['g', '']).text, 'empty key');
    assert.equal(call(network, ['p', 'zero', '']).rc, 0);
    assert.deepEqual(call(network, ['g', 'zero']), { rc: 0, data: new Uint8Array(0), text: '' }, 'an empty value is not an absent one');
  });

  it('an invoke sees its own uncommitted writes', () => {
    assert.equal(call(network, ['u', 'fresh', 'mine']).text, 'mine');
  });

  it('del_state deletes (whether or not the key existed)', () => {
    call(network, ['p', 'gone', 'x']);
    assert.equal(call(network, ['d', 'gone']).rc, 0);
    assert.equal(network.getState('kv', 'gone'), undefined);
    assert.equal(call(network, ['d', 'never-there']).rc, 0);
  });

  it('a query is read-only, with Fabric\'s text', () => {
    const put = reply(ok(network.query('kv', ['p', 'k', 'q'], { txid: 'q1' })).payload);
    assert.deepEqual(put, { rc: AbiError.READ_ONLY, data: enc.encode('[q1]Cannot handle PUT_STATE in query context'), text: '[q1]Cannot handle PUT_STATE in query context' });
    assert.equal(reply(ok(network.query('kv', ['d', 'k'], { txid: 'q2' })).payload).text, '[q2]Cannot handle DEL_STATE in query context');
    assert.equal(reply(ok(network.query('kv', ['e', 'evt', 'x'], { txid: 'q3' })).payload).text, '[q3]Cannot handle SET_EVENT in query context');
    assert.equal(reply(ok(network.query('kv', ['i', 'kv', encodedArgs(['n'])], { txid: 'q4' })).payload).text, '[q4]Cannot handle INVOKE_CHAINCODE in query context');
    assert.equal(reply(ok(network.query('kv', ['g', 'k'])).payload).text, 'v1', 'reads still work');
    assert.equal(network.getState('kv', 'k'), 'v1');
  });

  it('range_open/next/close scan in UTF-8 byte order, start and end inclusive, "" unbounded', () => {
    const scan = new MockNetwork();
    ok(scan.deploy('kv', kvChaincode(), ['n']));
    for (const key of ['b', 'a', 'c', 'ab', '\u{1F600}', '\uFFFD', 'd']) call(scan, ['p', key, `v-${key}`]);
    call(scan, ['d', 'd']);
    const all = records(ok(scan.invoke('kv', ['r', '', ''])).payload);
    assert.deepEqual(all.map(([key]) => key), ['a', 'ab', 'b', 'c', '\uFFFD', '\u{1F600}']);
    assert.deepEqual(all[0], ['a', 'v-a']);
    assert.deepEqual(records(ok(scan.invoke('kv', ['r', 'ab', 'c'])).payload).map(([key]) => key), ['ab', 'b', 'c']);
    assert.deepEqual(records(ok(scan.invoke('kv', ['r', 'b', ''])).payload).map(([key]) => key), ['b', 'c', '\uFFFD', '\u{1F600}']);
    assert.deepEqual(records(ok(scan.invoke('kv', ['x', 'a'])).payload).map(([key]) => key), ['a', 'ab'], 'PREFIX flag');
    assert.deepEqual(records(ok(scan.query('kv', ['r', '', 'a'])).payload), [['a', 'v-a']], 'queries may scan');
  });

  it('range calls answer BAD_HANDLE for unknown handles and INVALID_ARGUMENT for unknown flags', () => {
    assert.deepEqual(call(network, ['N', '9']), { rc: AbiError.BAD_HANDLE, data: enc.encode('no iterator with handle 9'), text: 'no iterator with handle 9' });
    assert.equal(call(network, ['K', '9']).rc, AbiError.BAD_HANDLE);
    assert.deepEqual(call(network, ['o', 'a', 'b', '2']), { rc: AbiError.INVALID_ARGUMENT, data: enc.encode('unknown range_open flags 2'), text: 'unknown range_open flags 2' });
    assert.equal(call(network, ['o', 'a', 'b', '0']).rc, 0, 'the first handle is 0');
  });
});

describe('ABI: events, logs, results, hashes', () => {
  let network: MockNetwork;
  before(() => {
    network = new MockNetwork();
    ok(network.deploy('kv', kvChaincode(), ['n']));
  });

  it('set_event sets the transaction\'s event; the last call wins', () => {
    const single = ok(network.invoke('kv', ['e', 'evt', 'payload']));
    assert.deepEqual(single.event, { eventName: 'evt', payload: enc.encode('payload') });
    const twice = ok(network.invoke('kv', ['v', 'first', '1', 'second', '2']));
    assert.deepEqual(twice.event, { eventName: 'second', payload: enc.encode('2') });
    assert.equal(ok(network.invoke('kv', ['n'])).event, null);
    assert.deepEqual(call(network, ['e', '', 'x']), { rc: AbiError.INVALID_ARGUMENT, data: enc.encode('event name must not be empty'), text: 'event name must not be empty' });
  });

  it('a chaincode error returns its message, keeps its event, and commits nothing', () => {
    const result = failed(network.invoke('kv', ['E', 'went wrong', 'evt-payload']));
    assert.equal(result.kind, 'chaincode');
    assert.equal(result.error, 'went wrong');
    assert.deepEqual(result.event, { eventName: 'went wrong', payload: enc.encode('evt-payload') });
    const written = failed(network.invoke('kv', ['W', 'doomed', 'x']));
    assert.equal(written.error, 'doomed');
    assert.equal(network.getState('kv', 'doomed'), undefined);
    const silent = failed(network.invoke('kv', ['?']));
    assert.equal(silent.error, 'unknown function');
  });

  it('log keeps "LEVEL message" lines', () => {
    const result = ok(network.invoke('kv', ['l', '4', 'hello']));
    assert.deepEqual(result.logs, ['INFO hello']);
    assert.deepEqual(ok(network.invoke('kv', ['l', '0', 'bad'])).logs, ['CRITICAL bad']);
    assert.deepEqual(ok(network.invoke('kv', ['l', '5', 'trace'])).logs, ['DEBUG trace']);
  });

  it('hash computes SHA-256, SHA3-256 and Fabric\'s SHAKE256-64; other algorithms are INVALID_ARGUMENT', () => {
    assert.equal(hex(call(network, ['h', '0', 'abc']).data), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(hex(call(network, ['h', '1', 'abc']).data), '3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532');
    assert.equal(hex(call(network, ['h', '1', 'abc']).data), createHash('sha3-256').update('abc').digest('hex'));
    assert.deepEqual(call(network, ['h', '2', 'abc']).data, cryptoHash(enc.encode('abc')));
    assert.equal(call(network, ['h', '2', 'abc']).rc, 64);
    assert.deepEqual(call(network, ['h', '3', 'abc']), {
      rc: AbiError.INVALID_ARGUMENT,
      data: enc.encode('unknown hash algorithm 3 (0 SHA-256, 1 SHA3-256, 2 SHAKE256-64)'),
      text: 'unknown hash algorithm 3 (0 SHA-256, 1 SHA3-256, 2 SHAKE256-64)',
    });
  });

  it('ret_len repeats the register length and charges one host call', () => {
    const network2 = new MockNetwork();
    const bytes = callOnce('ret_len', []);
    ok(network2.deploy('r', bytes, []));
    const result = ok(network2.invoke('r', []));
    assert.equal(new DataView(result.payload.buffer, result.payload.byteOffset).getInt32(0, true), 0);
    assert.ok(result.fuelUsed > 2 * FUEL_HOST_CALL_BASE, 'ret_len and set_result are each charged the base price');
  });

  it('env.abort ends the transaction with AssemblyScript\'s message, file and position', () => {
    // An AssemblyScript string: byte length at ptr - 4, then UTF-16LE code units.
    const utf16 = (text: string): string => [...text].map((c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}\\00`).join('');
    const message = 'bad thing';
    const file = 'assembly/index.ts';
    const abort = callOnce('abort', [104, 204, 12, 7], `
      (data (i32.const 100) "\\${(message.length * 2).toString(16).padStart(2, '0')}\\00\\00\\00${utf16(message)}")
      (data (i32.const 200) "\\${(file.length * 2).toString(16).padStart(2, '0')}\\00\\00\\00${utf16(file)}")`);
    const network2 = new MockNetwork();
    ok(network2.deploy('a', abort, []));
    const result = failed(network2.invoke('a', []));
    assert.equal(result.kind, 'trap');
    assert.equal(result.error, 'abort: bad thing in assembly/index.ts(12:7)');
    const unreadable = new MockNetwork();
    ok(unreadable.deploy('a', callOnce('abort', [-8, 0, 1, 2]), []));
    assert.equal(failed(unreadable.invoke('a', [])).error, 'abort: <unreadable> in (1:2)');
  });
});
