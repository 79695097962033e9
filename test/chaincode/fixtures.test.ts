// The adversarial fixtures of chaincode/fixtures/ against the real runtime: each one is either
// refused at deploy with a deterministic message, or fails at run time with a deterministic
// kind, message and fuel — and the network (the same chaincode and others) keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockNetwork, type MockResult } from '../../host/testing/mock-network.ts';
import {
  CHAINCODE_CALL_NESTING_MAX, EVENT_PAYLOAD_BYTES_MAX, ITERATORS_OPEN_MAX, LOG_BYTES_PER_TRANSACTION_MAX,
  MEMORY_PAGES_INITIAL, MEMORY_PAGES_MAX, RESULT_BYTES_MAX, STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX,
} from '../../host/protocol/limits.ts';
import { AbiError } from '../../host/runtime/abi.ts';
import { chaincode, fixture, ok } from './built.ts';

/** Small enough that runaway fixtures stop quickly, large enough for every benign call here. */
const TEST_FUEL = 50_000_000;

function network(): MockNetwork {
  const net = new MockNetwork({ fuelLimit: TEST_FUEL });
  assert.equal(net.deploy('ex02', chaincode('chaincode_example02'), ['init', 'a', '100', 'b', '200']).ok, true);
  return net;
}

function deploy(net: MockNetwork, name: string): void {
  const result = net.deploy(name, fixture(name), ['init']);
  assert.equal(result.ok, true, result.ok ? '' : result.error);
}

function failure(result: MockResult): { kind: string; error: string } {
  assert.equal(result.ok, false, result.ok ? `expected a failure, got "${result.text}"` : '');
  return result.ok ? { kind: '', error: '' } : { kind: result.kind, error: result.error };
}

/** The network still runs ordinary transactions: example02 moves 1 from a to b. */
function stillWorks(net: MockNetwork): void {
  const before = Number(net.getState('ex02', 'a'));
  ok(net.invoke('ex02', ['invoke', 'a', 'b', '1']));
  assert.equal(ok(net.query('ex02', ['query', 'a'])), String(before - 1));
}

/** Runs the same failing transaction twice: identical outcome and fuel. */
function sameTwice(run: () => MockResult): { kind: string; error: string; fuelUsed: number } {
  const first = run();
  const second = run();
  assert.deepEqual(failure(second), failure(first));
  assert.equal(second.fuelUsed, first.fuelUsed, 'the same failure costs the same fuel');
  return { ...failure(first), fuelUsed: first.fuelUsed };
}

test('modules the host must refuse at deploy, each with its reason', () => {
  const net = network();
  const refusals: Array<[string, string]> = [
    ['forbidden_import_seed', 'invalid chaincode module: forbidden import env.seed: Math.random is not deterministic; use the SDK\'s transaction-seeded PRNG'],
    ['forbidden_import_date', 'invalid chaincode module: forbidden import env.Date.now: Date.now is not deterministic; use the transaction timestamp'],
    ['forbidden_import_wasi', 'invalid chaincode module: forbidden import wasi_snapshot_preview1.fd_write: WASI is not available to chaincode'],
    ['bad_signature', 'invalid chaincode module: import weft.get_state has signature (i32) -> i32, ABI v1 requires (i32, i32) -> i32'],
    ['missing_marker', 'invalid chaincode module: missing export "weft_abi_v1" (ABI v1 requires memory, init, invoke, query, weft_abi_v1)'],
    ['simd', 'invalid chaincode module: SIMD instruction i32x4.extract_lane in function $1 is not allowed'],
  ];
  for (const [name, message] of refusals) {
    assert.throws(() => net.deploy(name, fixture(name), ['init']), { name: 'PrepareError', message }, name);
    assert.equal(net.isDeployed(name), false);
  }
  assert.throws(() => net.deploy('float_use', fixture('float_use'), ['init']), {
    name: 'PrepareError',
    message: /^invalid chaincode module: .*floating point is not allowed/,
  });
  stillWorks(net);
});

test('infinite loops run out of fuel at exactly the limit, in invoke, query and init', () => {
  const net = network();
  deploy(net, 'infinite_loop');
  for (const run of [
    () => net.invoke('infinite_loop', ['spin']),
    () => net.invoke('infinite_loop', ['spin_host']),
    () => net.query('infinite_loop', ['spin']),
    () => net.invoke('infinite_loop', ['spin'], { fuelLimit: 1_000_000 }),
  ]) {
    const outcome = sameTwice(run);
    assert.equal(outcome.kind, 'fuel');
    assert.equal(outcome.error, `out of fuel after ${outcome.fuelUsed} units`);
  }
  assert.equal(net.invoke('infinite_loop', ['spin'], { fuelLimit: 1_000_000 }).fuelUsed, 1_000_000);
  assert.equal(net.invoke('infinite_loop', ['spin']).fuelUsed, TEST_FUEL);
  const spinInit = net.deploy('spinner', fixture('infinite_loop'), ['spin_init']);
  assert.deepEqual(failure(spinInit), { kind: 'fuel', error: `out of fuel after ${TEST_FUEL} units` });
  assert.equal(net.isDeployed('spinner'), false);
  // the same module still answers a bounded call
  assert.equal(ok(net.invoke('infinite_loop', ['count', '3'])), String(((7 * 31 + 7) * 31) + 7));
  stillWorks(net);
});

test('fuel grows with work: a longer bounded loop costs more', () => {
  const net = network();
  deploy(net, 'infinite_loop');
  const small = net.invoke('infinite_loop', ['count', '1000']).fuelUsed;
  const large = net.invoke('infinite_loop', ['count', '2000']).fuelUsed;
  assert.ok(large > small, `${large} > ${small}`);
});

test('unbounded recursion hits the call depth limit, deterministically', () => {
  const net = network();
  deploy(net, 'deep_recursion');
  assert.equal(ok(net.invoke('deep_recursion', ['recurse', '100'])), '100');
  const forever = sameTwice(() => net.invoke('deep_recursion', ['forever']));
  assert.deepEqual([forever.kind, forever.error], ['depth', 'call depth limit exceeded']);
  const deep = sameTwice(() => net.query('deep_recursion', ['recurse', '100000']));
  assert.deepEqual([deep.kind, deep.error], ['depth', 'call depth limit exceeded']);
  assert.equal(ok(net.invoke('deep_recursion', ['recurse', '1000'])), '1000', 'the module recovers');
  stillWorks(net);
});

test('memory is capped at MEMORY_PAGES_MAX: memory.grow fails, allocation failures trap', () => {
  const net = network();
  deploy(net, 'memory_bomb');
  const grown = MEMORY_PAGES_MAX - MEMORY_PAGES_INITIAL;
  assert.equal(ok(net.invoke('memory_bomb', ['grow'])), `${grown} pages grown, ${MEMORY_PAGES_MAX} pages total`);
  assert.equal(ok(net.invoke('memory_bomb', ['grow_huge'])), '-1');
  const bomb = sameTwice(() => net.invoke('memory_bomb', ['allocate']));
  assert.deepEqual([bomb.kind, bomb.error], ['memory', 'memory limit exceeded']);
  // a fresh transaction starts from the initial memory again
  assert.equal(ok(net.invoke('memory_bomb', ['grow'])), `${grown} pages grown, ${MEMORY_PAGES_MAX} pages total`);
  stillWorks(net);
});

test('oversized keys, values, events and results fail with the limit that was hit', () => {
  const net = network();
  deploy(net, 'huge_key_value');
  const run = (fn: string, bytes: number): MockResult => net.invoke('huge_key_value', [fn, String(bytes)], { fuelLimit: 100_000_000 });
  ok(run('key', STATE_KEY_BYTES_MAX));
  ok(run('value', STATE_VALUE_BYTES_MAX));
  ok(run('event', EVENT_PAYLOAD_BYTES_MAX));
  assert.equal(ok(run('result', RESULT_BYTES_MAX)).length, RESULT_BYTES_MAX);
  const limits: Array<[string, number, string]> = [
    ['key', STATE_KEY_BYTES_MAX + 1, `key of ${STATE_KEY_BYTES_MAX + 1} bytes exceeds STATE_KEY_BYTES_MAX (${STATE_KEY_BYTES_MAX})`],
    ['getkey', 5000, `key of 5000 bytes exceeds STATE_KEY_BYTES_MAX (${STATE_KEY_BYTES_MAX})`],
    ['value', STATE_VALUE_BYTES_MAX + 1, `value of ${STATE_VALUE_BYTES_MAX + 1} bytes exceeds STATE_VALUE_BYTES_MAX (${STATE_VALUE_BYTES_MAX})`],
    ['event', EVENT_PAYLOAD_BYTES_MAX + 1, `event payload of ${EVENT_PAYLOAD_BYTES_MAX + 1} bytes exceeds EVENT_PAYLOAD_BYTES_MAX (${EVENT_PAYLOAD_BYTES_MAX})`],
    ['result', RESULT_BYTES_MAX + 1, `result of ${RESULT_BYTES_MAX + 1} bytes exceeds RESULT_BYTES_MAX (${RESULT_BYTES_MAX})`],
  ];
  for (const [fn, bytes, message] of limits) {
    assert.deepEqual(failure(run(fn, bytes)), { kind: 'limit', error: message }, fn);
  }
  assert.equal(net.getState('huge_key_value', 'a'.repeat(STATE_KEY_BYTES_MAX + 1)), undefined);
  assert.equal(net.getStateBytes('huge_key_value', 'big')?.length, STATE_VALUE_BYTES_MAX, 'the failed write did not replace the good one');
  stillWorks(net);
});

test('traps fail the transaction, discard its writes, and leave the module usable', () => {
  const net = network();
  deploy(net, 'trap');
  const traps: Array<[string, string]> = [
    ['unreachable', 'wasm trap: unreachable'],
    ['abort', 'abort: boom in (0:0)'],
    ['divide', 'wasm trap: divide by zero'],
    ['oob', 'wasm trap: memory access out of bounds'],
    ['null', 'abort: Unexpected \'null\' (not assigned or failed cast) in index.ts(24:37)'],
    ['index', 'abort: Index out of range in ~lib/array.ts(114:42)'],
  ];
  for (const [fn, message] of traps) {
    const outcome = sameTwice(() => net.invoke('trap', [fn]));
    assert.deepEqual([outcome.kind, outcome.error], ['trap', message], fn);
  }
  assert.deepEqual(net.keys('trap'), [], 'the write made before each trap was discarded');
  const trapInit = net.deploy('trap2', fixture('trap'), ['trap_init']);
  assert.deepEqual(failure(trapInit), { kind: 'trap', error: 'wasm trap: unreachable' });
  ok(net.invoke('trap', ['fine']));
  assert.deepEqual(net.keys('trap'), ['written_before_trap']);
  stillWorks(net);
});

test('garbage pointers and lengths through the raw ABI: fatal abuse traps, handleable abuse returns its code', () => {
  const net = network();
  deploy(net, 'garbage_pointers');
  const memoryBytes = MEMORY_PAGES_INITIAL * 65536;
  const fatal: Array<[string, string, string]> = [
    ['get_state_oob', 'abi', `key of get_state at 4294967040+512 is outside guest memory (${memoryBytes} bytes)`],
    ['get_state_wrap', 'abi', `key of get_state at 4294967295+2 is outside guest memory (${memoryBytes} bytes)`],
    ['get_state_negative_len', 'limit', `key of 4294967295 bytes exceeds STATE_KEY_BYTES_MAX (${STATE_KEY_BYTES_MAX})`],
    ['put_state_huge_len', 'limit', `value of 2147483647 bytes exceeds STATE_VALUE_BYTES_MAX (${STATE_VALUE_BYTES_MAX})`],
    ['put_state_value_past_end', 'abi', `value of put_state at ${memoryBytes - 2}+8 is outside guest memory (${memoryBytes} bytes)`],
    ['invalid_utf8_key', 'abi', 'key of put_state is not valid UTF-8'],
    ['ret_read_oob', 'abi', `ret_read destination at 4294967040+10 is outside guest memory (${memoryBytes} bytes)`],
    ['ret_read_past_end', 'abi', `ret_read destination at ${memoryBytes - 1}+10 is outside guest memory (${memoryBytes} bytes)`],
    ['timestamp_past_end', 'abi', `get_tx_timestamp destination at ${memoryBytes - 4}+12 is outside guest memory (${memoryBytes} bytes)`],
    ['set_result_oob', 'abi', `result at 4294967040+100 is outside guest memory (${memoryBytes} bytes)`],
    ['log_oob', 'abi', `log message at 4294967040+100 is outside guest memory (${memoryBytes} bytes)`],
    ['log_bad_level', 'abi', 'log level 99 is not one of 0..5'],
  ];
  for (const [fn, kind, message] of fatal) {
    const outcome = sameTwice(() => net.invoke('garbage_pointers', [fn]));
    assert.deepEqual([outcome.kind, outcome.error], [kind, message], fn);
  }
  assert.equal(ok(net.invoke('garbage_pointers', ['get_state_empty_key'])), String(AbiError.ABSENT));
  assert.equal(ok(net.invoke('garbage_pointers', ['bad_handle'])), `code ${AbiError.BAD_HANDLE}: no iterator with handle 12345`);
  assert.equal(ok(net.invoke('garbage_pointers', ['close_twice'])), `code ${AbiError.BAD_HANDLE}: no iterator with handle 0`);
  assert.equal(ok(net.invoke('garbage_pointers', ['bad_hash_algorithm'])), `code ${AbiError.INVALID_ARGUMENT}: unknown hash algorithm 99 (0 SHA-256, 1 SHA3-256, 2 SHAKE256-64)`);
  assert.equal(ok(net.invoke('garbage_pointers', ['bad_args_encoding'])), `code ${AbiError.INVALID_ARGUMENT}: 1000000 args exceed ARGS_COUNT_MAX (1024)`);
  stillWorks(net);
});

test('a raw module returning garbage: codes without messages, bad result pointers, garbage abort', () => {
  const net = network();
  deploy(net, 'garbage_raw');
  const cases: Array<[string, string, string]> = [
    ['r', 'chaincode', 'chaincode invoke returned 7 without a message'],
    ['n', 'chaincode', 'chaincode invoke returned -1 without a message'],
    ['o', 'abi', `result at 4294967040+16 is outside guest memory (${MEMORY_PAGES_INITIAL * 65536} bytes)`],
    ['l', 'limit', `result of 2147483647 bytes exceeds RESULT_BYTES_MAX (${RESULT_BYTES_MAX})`],
    ['a', 'trap', 'abort: <unreadable> in <unreadable>(1:1)'],
  ];
  for (const [fn, kind, message] of cases) {
    assert.deepEqual(failure(net.invoke('garbage_raw', [fn])), { kind, error: message }, fn);
  }
  assert.deepEqual(failure(net.query('garbage_raw', ['r'])), { kind: 'chaincode', error: 'chaincode query returned 7 without a message' });
  assert.equal(ok(net.invoke('garbage_raw', ['fine'])), '');
  stillWorks(net);
});

test('soft limits come back as LIMIT errors the chaincode can handle', () => {
  const net = network();
  deploy(net, 'limits');
  assert.equal(ok(net.invoke('limits', ['iterators'])), `${ITERATORS_OPEN_MAX} open, then code ${AbiError.LIMIT}: too many open iterators: ITERATORS_OPEN_MAX is ${ITERATORS_OPEN_MAX}`);
  assert.equal(ok(net.query('limits', ['iterators'])), `${ITERATORS_OPEN_MAX} open, then code ${AbiError.LIMIT}: too many open iterators: ITERATORS_OPEN_MAX is ${ITERATORS_OPEN_MAX}`);
  assert.equal(
    ok(net.invoke('limits', ['nest'])),
    `depth ${CHAINCODE_CALL_NESTING_MAX}: code ${AbiError.LIMIT}: chaincode calls nest deeper than CHAINCODE_CALL_NESTING_MAX (${CHAINCODE_CALL_NESTING_MAX})`,
  );
  const flood = net.invoke('limits', ['log_flood', '1000']);
  assert.equal(ok(flood), 'logged 1000');
  // each line is "[limits] " + 90 bytes; lines are kept until their total reaches the cap
  const lineBytes = '[limits] '.length + 90;
  assert.equal(flood.logs.length, Math.ceil(LOG_BYTES_PER_TRANSACTION_MAX / lineBytes));
  assert.equal(flood.logs[0], `INFO [limits] ${'x'.repeat(90)}`);
  const events = net.invoke('limits', ['events']);
  assert.equal(events.ok && events.event?.eventName, 'second', 'the last event wins');
  stillWorks(net);
});
