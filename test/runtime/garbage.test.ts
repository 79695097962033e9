// A guest that hands the host garbage: pointers outside its memory, negative and huge lengths,
// invalid UTF-8, malformed args, nonsense return values. Each is a deterministic failure, and
// the host answers the next transaction as if nothing happened.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbiError } from '../../host/runtime/abi.ts';
import { MockNetwork, type MockResult } from '../../host/testing/mock-network.ts';
import { STATE_KEY_BYTES_MAX } from '../../host/protocol/limits.ts';
import { argChaincode, callOnce, kvChaincode, reply } from './guest.ts';

const MEMORY_BYTES = 16 * 65_536;
const OUTSIDE = -16; // 0xFFFFFFF0 as the unsigned pointer the host sees

function expectFailure(bytes: Uint8Array, kind: string, error: string): void {
  const network = new MockNetwork();
  assert.ok(network.deploy('bad', bytes, []).ok);
  ok(network.deploy('kv', kvChaincode(), ['n']));
  for (let round = 0; round < 2; round++) {
    const result = network.invoke('bad', []);
    assert.ok(!result.ok, `expected ${kind}: ${error}`);
    assert.deepEqual({ kind: result.kind, error: result.error }, { kind, error });
    const next = ok(network.invoke('kv', ['p', 'after', String(round)]));
    assert.equal(reply(next.payload).rc, 0, 'the host carries on');
  }
}

function ok(result: MockResult): Extract<MockResult, { ok: true }> {
  assert.ok(result.ok, result.ok ? '' : `${result.kind}: ${result.error}`);
  return result;
}

describe('pointers and lengths', () => {
  it('a pointer outside guest memory traps with the range it named', () => {
    expectFailure(callOnce('get_state', [OUTSIDE, 10]), 'abi', `key of get_state at 4294967280+10 is outside guest memory (${MEMORY_BYTES} bytes)`);
    expectFailure(callOnce('get_state', [MEMORY_BYTES - 2, 3]), 'abi', `key of get_state at ${MEMORY_BYTES - 2}+3 is outside guest memory (${MEMORY_BYTES} bytes)`);
    expectFailure(callOnce('put_state', [0, 1, OUTSIDE, 8]), 'abi', `value of put_state at 4294967280+8 is outside guest memory (${MEMORY_BYTES} bytes)`);
    expectFailure(callOnce('set_result', [MEMORY_BYTES, 1]), 'abi', `result at ${MEMORY_BYTES}+1 is outside guest memory (${MEMORY_BYTES} bytes)`);
    expectFailure(callOnce('get_tx_timestamp', [MEMORY_BYTES - 11]), 'abi', `get_tx_timestamp destination at ${MEMORY_BYTES - 11}+12 is outside guest memory (${MEMORY_BYTES} bytes)`);
    expectFailure(callOnce('hash', [0, OUTSIDE, 32]), 'abi', `hash input at 4294967280+32 is outside guest memory (${MEMORY_BYTES} bytes)`);
    expectFailure(callOnce('log', [4, OUTSIDE, 1]), 'abi', `log message at 4294967280+1 is outside guest memory (${MEMORY_BYTES} bytes)`);
    expectFailure(callOnce('set_event', [0, 1, OUTSIDE, 1]), 'abi', `event payload at 4294967280+1 is outside guest memory (${MEMORY_BYTES} bytes)`);
  });

  it('ret_read into a destination too small for the register traps (the txid mock-tx-N is 9 bytes)', () => {
    const bytes = argChaincode({ invoke: `(drop (call $get_tx_id)) (call $ret_read (i32.const ${MEMORY_BYTES - 2})) (i32.const 0)` });
    expectFailure(bytes, 'abi', `ret_read destination at ${MEMORY_BYTES - 2}+9 is outside guest memory (${MEMORY_BYTES} bytes)`);
  });

  it('a negative length is a huge unsigned one: over the cap, before any copy', () => {
    expectFailure(callOnce('get_state', [0, -1]), 'limit', `key of 4294967295 bytes exceeds STATE_KEY_BYTES_MAX (${STATE_KEY_BYTES_MAX})`);
    expectFailure(callOnce('put_state', [0, 1, 0, -2]), 'limit', 'value of 4294967294 bytes exceeds STATE_VALUE_BYTES_MAX (1048576)');
    expectFailure(callOnce('set_result', [0, -1]), 'limit', 'result of 4294967295 bytes exceeds RESULT_BYTES_MAX (1048576)');
  });

  it('bad handles and bad levels', () => {
    const network = new MockNetwork();
    ok(network.deploy('h', callOnce('range_next', [-1]), []));
    assert.equal(new DataView(ok(network.invoke('h', [])).payload.buffer).getInt32(0, true), AbiError.BAD_HANDLE);
    expectFailure(callOnce('log', [9, 0, 0]), 'abi', 'log level 9 is not one of 0..5');
    expectFailure(callOnce('log', [-1, 0, 0]), 'abi', 'log level -1 is not one of 0..5');
  });
});

describe('text and encodings', () => {
  const invalidUtf8 = '(data (i32.const 64) "\\ff\\fe")';

  it('strings from the guest must be valid UTF-8', () => {
    expectFailure(callOnce('get_state', [64, 2], invalidUtf8), 'abi', 'key of get_state is not valid UTF-8');
    expectFailure(callOnce('put_state', [64, 2, 0, 0], invalidUtf8), 'abi', 'key of put_state is not valid UTF-8');
    expectFailure(callOnce('log', [4, 64, 2], invalidUtf8), 'abi', 'log message is not valid UTF-8');
    expectFailure(callOnce('set_event', [64, 2, 0, 0], invalidUtf8), 'abi', 'event name is not valid UTF-8');
    expectFailure(callOnce('invoke_chaincode', [64, 2, 0, 4], invalidUtf8), 'abi', 'chaincode name of invoke_chaincode is not valid UTF-8');
    // A lone surrogate encoded in UTF-8 (CESU-style) is not valid UTF-8 either.
    expectFailure(callOnce('get_state', [64, 3], '(data (i32.const 64) "\\ed\\a0\\80")'), 'abi', 'key of get_state is not valid UTF-8');
  });

  it('malformed args for invoke_chaincode are INVALID_ARGUMENT with the reason', () => {
    const cases: Array<[string, string]> = [
      ['\\01\\00', 'args encoding of 2 bytes is shorter than its count'],
      ['\\02\\00\\00\\00\\01\\00\\00\\00x', 'args encoding ends inside the length of arg 1'],
      ['\\01\\00\\00\\00\\09\\00\\00\\00x', 'arg 0 of 9 bytes runs past the end of the args encoding'],
      ['\\00\\00\\00\\00zz', 'args encoding has 2 bytes after its last arg'],
      ['\\ff\\ff\\00\\00', '65535 args exceed ARGS_COUNT_MAX (1024)'],
    ];
    for (const [encoding, message] of cases) {
      const length = encoding.split('\\').length - 1 + encoding.replace(/\\[0-9a-f]{2}/g, '').length;
      const bytes = argChaincode({
        invoke: `(call $reply (call $invoke_chaincode (i32.const 0) (i32.const 2) (i32.const 64) (i32.const ${length})))`,
        extra: `(data (i32.const 0) "kv") (data (i32.const 64) "${encoding}")`,
      });
      const network = new MockNetwork();
      ok(network.deploy('kv', kvChaincode(), ['n']));
      ok(network.deploy('caller', bytes, []));
      assert.deepEqual(reply(ok(network.invoke('caller', [])).payload).text, message);
      assert.equal(reply(ok(network.invoke('caller', [])).payload).rc, AbiError.INVALID_ARGUMENT);
    }
  });
});

describe('odd entry points', () => {
  it('a non-zero return without a message is a chaincode error saying so', () => {
    const network = new MockNetwork();
    ok(network.deploy('odd', argChaincode({ invoke: '(i32.const 2147483647)', query: '(i32.const -1)' }), []));
    const invoked = network.invoke('odd', []);
    assert.deepEqual(invoked.ok ? null : [invoked.kind, invoked.error], ['chaincode', 'chaincode invoke returned 2147483647 without a message']);
    const queried = network.query('odd', []);
    assert.deepEqual(queried.ok ? null : [queried.kind, queried.error], ['chaincode', 'chaincode query returned -1 without a message']);
  });

  it('an error message that is not UTF-8 is shown with replacement characters', () => {
    const network = new MockNetwork();
    ok(network.deploy('odd', argChaincode({ invoke: '(call $set_result (i32.const 64) (i32.const 3)) (i32.const 1)', extra: '(data (i32.const 64) "a\\ffb")' }), []));
    const result = network.invoke('odd', []);
    assert.equal(result.ok ? '' : result.error, 'a\uFFFDb');
  });

  it('guest traps are named from a fixed list', () => {
    expectFailure(argChaincode({ invoke: '(i32.div_u (i32.const 1) (i32.const 0))' }), 'trap', 'wasm trap: divide by zero');
    expectFailure(argChaincode({ invoke: `(i32.load (i32.const ${MEMORY_BYTES}))` }), 'trap', 'wasm trap: memory access out of bounds');
    expectFailure(argChaincode({ invoke: '(unreachable)' }), 'trap', 'wasm trap: unreachable');
    expectFailure(argChaincode({ invoke: '(call_indirect (type $t) (i32.const 5))', extra: '(type $t (func (result i32))) (table 1 funcref)' }), 'trap', 'wasm trap: table index is out of bounds');
  });
});
