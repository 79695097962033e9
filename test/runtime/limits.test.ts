// Every bound of limits.ts a chaincode can hit at run time: the failure it causes, its exact
// message, and that the host carries on afterwards.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AbiError } from '../../host/runtime/abi.ts';
import { ChaincodeRuntime, FUEL_LIMIT_MAX } from '../../host/runtime/runtime.ts';
import { EMPTY_STATE, StateOverlay } from '../../host/runtime/state-overlay.ts';
import { MockNetwork, type MockResult } from '../../host/testing/mock-network.ts';
import {
  ARGS_BYTES_MAX,
  ARGS_COUNT_MAX,
  CALL_DEPTH_UNITS_MAX,
  CHAINCODE_CALL_NESTING_MAX,
  CHAINCODE_NAME_BYTES_MAX,
  EVENT_NAME_BYTES_MAX,
  EVENT_PAYLOAD_BYTES_MAX,
  FUEL_PER_CALL,
  FUEL_PER_DIVISION,
  FUEL_PER_INDIRECT_CALL,
  FUEL_PER_MEMORY_ACCESS,
  FUEL_PER_MEMORY_PAGE,
  FUEL_PER_TRANSACTION,
  HASH_INPUT_BYTES_MAX,
  MEMORY_COPY_BYTES_PER_FUEL,
  MEMORY_PAGES_INITIAL,
  MEMORY_PAGES_MAX,
  MODULE_BYTES_MAX,
  TRANSACTION_BYTES_MAX,
  ITERATORS_OPEN_MAX,
  LOG_BYTES_PER_TRANSACTION_MAX,
  MEMBERSHIP_INPUT_BYTES_MAX,
  RESULT_BYTES_MAX,
  STATE_KEY_BYTES_MAX,
  STATE_VALUE_BYTES_MAX,
} from '../../host/protocol/limits.ts';
import { argChaincode, callOnce, encodedArgs, kvChaincode, reply } from './guest.ts';

function ok(result: MockResult): Extract<MockResult, { ok: true }> {
  assert.ok(result.ok, `expected success, got ${result.ok ? '' : `${result.kind}: ${result.error}`}`);
  return result;
}

function failure(result: MockResult, kind: string, error: string): Extract<MockResult, { ok: false }> {
  assert.ok(!result.ok, `expected ${kind} failure "${error}", got success`);
  assert.deepEqual({ kind: result.kind, error: result.error }, { kind, error });
  return result;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

/** The kv chaincode still answers normally on this network. */
function stillWorks(network: MockNetwork, name = 'kv'): void {
  const result = ok(network.invoke(name, ['p', 'alive', 'yes']));
  assert.equal(reply(result.payload).rc, 0);
  assert.equal(network.getState(name, 'alive'), 'yes');
}

describe('fuel', () => {
  let network: MockNetwork;
  before(() => {
    network = new MockNetwork();
    ok(network.deploy('kv', kvChaincode(), ['n']));
  });

  it('an endless loop runs out of fuel, reports all of it used, and the host carries on', () => {
    const result = failure(network.invoke('kv', ['L'], { fuelLimit: 5_000_000 }), 'fuel', 'out of fuel after 5000000 units');
    assert.equal(result.fuelUsed, 5_000_000);
    stillWorks(network);
  });

  it('a transaction succeeds with exactly the fuel it uses and fails with one unit less', () => {
    const used = ok(network.invoke('kv', ['p', 'k', 'v'])).fuelUsed;
    assert.equal(ok(network.invoke('kv', ['p', 'k', 'v'], { fuelLimit: used })).fuelUsed, used);
    failure(network.invoke('kv', ['p', 'k', 'v'], { fuelLimit: used - 1 }), 'fuel', `out of fuel after ${used - 1} units`);
    failure(network.invoke('kv', ['n'], { fuelLimit: 0 }), 'fuel', 'out of fuel after 0 units');
  });

  it('fuel runs out inside a host call too (per-byte charges)', () => {
    const used = ok(network.invoke('kv', ['h', '0', 'x'.repeat(1000)])).fuelUsed;
    const short = ok(network.invoke('kv', ['h', '0', 'x'])).fuelUsed;
    assert.ok(used - short >= 999 * 17, 'hashing is charged per byte read and hashed');
    failure(network.invoke('kv', ['h', '0', 'x'.repeat(1000)], { fuelLimit: used - 500 }), 'fuel', `out of fuel after ${used - 500} units`);
  });

  it('refuses fuel limits outside 0..FUEL_LIMIT_MAX', () => {
    for (const limit of [-1, 1.5, FUEL_LIMIT_MAX + 1]) {
      failure(network.invoke('kv', ['n'], { fuelLimit: limit }), 'limit', `fuel limit ${limit} is not an integer in 0..${FUEL_LIMIT_MAX}`);
    }
    assert.ok(FUEL_PER_TRANSACTION <= FUEL_LIMIT_MAX);
  });
});

describe('call depth', () => {
  const DOWN = `(func $down (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0)) (else (call $down (i32.sub (local.get $n) (i32.const 1))))))`;
  const recursion = argChaincode({ invoke: '(call $load_args) (call $down (call $arg_u32 (i32.const 1)))', extra: DOWN });

  it('endless recursion fails with "call depth limit exceeded", deterministically', () => {
    const network = new MockNetwork();
    ok(network.deploy('kv', kvChaincode(), ['n']));
    const first = failure(network.invoke('kv', ['R']), 'depth', 'call depth limit exceeded');
    const second = failure(network.invoke('kv', ['R']), 'depth', 'call depth limit exceeded');
    assert.equal(first.fuelUsed, second.fuelUsed);
    stillWorks(network);
  });

  it('the budget is CALL_DEPTH_UNITS_MAX weighted frames: the deepest recursion that fits is fixed', () => {
    const network = new MockNetwork();
    ok(network.deploy('rec', recursion, []));
    const fits = (n: number): boolean => network.invoke('rec', ['r', u32(n)]).ok;
    let low = 0;
    let high = CALL_DEPTH_UNITS_MAX;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (fits(mid)) low = mid;
      else high = mid - 1;
    }
    // $down weighs 2 units (1 param + stack height 2): 4095 frames (n = 4094..0) + invoke's 2 units = 8192.
    assert.equal(low, 4094);
    failure(network.invoke('rec', ['r', u32(low + 1)]), 'depth', 'call depth limit exceeded');
  });

  it('frames with many locals hit the budget long before V8\'s stack', () => {
    const heavy = argChaincode({
      invoke: '(call $load_args) (call $fat (i32.const 100000))',
      extra: `(func $fat (param $n i32) (result i32) (local${' i64'.repeat(900)})
        (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0)) (else (call $fat (i32.sub (local.get $n) (i32.const 1))))))`,
    });
    const network = new MockNetwork();
    ok(network.deploy('fat', heavy, []));
    const results = [network.invoke('fat', []), network.invoke('fat', []), new MockNetwork().deploy('fat', heavy, [])];
    failure(results[0] as MockResult, 'depth', 'call depth limit exceeded');
    assert.equal(results[0]?.fuelUsed, results[1]?.fuelUsed, 'same fuel each time: our counter stopped it, not V8');
  });
});

describe('memory', () => {
  it('growing past MEMORY_PAGES_MAX fails with "memory limit exceeded"', () => {
    const network = new MockNetwork();
    ok(network.deploy('kv', kvChaincode(), ['n']));
    failure(network.invoke('kv', ['G']), 'memory', 'memory limit exceeded');
    stillWorks(network);
  });

  it('a module\'s own lower maximum is honoured', () => {
    const grow = argChaincode({
      memory: '1 20',
      invoke: `(i32.store (i32.const 0) (memory.size)) (i32.store (i32.const 4) (memory.grow (i32.const 4)))
        (i32.store (i32.const 8) (memory.grow (i32.const 1))) (call $set_result (i32.const 0) (i32.const 12)) (i32.const 0)`,
    });
    const network = new MockNetwork();
    ok(network.deploy('g', grow, []));
    const result = ok(network.invoke('g', []));
    const view = new DataView(result.payload.buffer, result.payload.byteOffset);
    assert.deepEqual([0, 4, 8].map((at) => view.getInt32(at, true)), [16, 16, -1], 'starts at MEMORY_PAGES_INITIAL, stops at its own 20');
  });
});

describe('sizes across the ABI', () => {
  let network: MockNetwork;
  before(() => {
    network = new MockNetwork();
    ok(network.deploy('kv', kvChaincode(), ['n']));
  });

  it('keys up to STATE_KEY_BYTES_MAX; a longer one traps', () => {
    const longest = 'k'.repeat(STATE_KEY_BYTES_MAX);
    assert.equal(reply(ok(network.invoke('kv', ['p', longest, 'v'])).payload).rc, 0);
    assert.equal(network.getState('kv', longest), 'v');
    for (const op of ['p', 'g', 'd']) {
      failure(network.invoke('kv', [op, `${longest}k`, 'v']), 'limit', `key of ${STATE_KEY_BYTES_MAX + 1} bytes exceeds STATE_KEY_BYTES_MAX (${STATE_KEY_BYTES_MAX})`);
    }
    failure(network.invoke('kv', ['r', `${longest}k`, '']), 'limit', `start key of ${STATE_KEY_BYTES_MAX + 1} bytes exceeds STATE_KEY_BYTES_MAX (${STATE_KEY_BYTES_MAX})`);
    failure(network.invoke('kv', ['r', '', `${longest}k`]), 'limit', `end key of ${STATE_KEY_BYTES_MAX + 1} bytes exceeds STATE_KEY_BYTES_MAX (${STATE_KEY_BYTES_MAX})`);
    stillWorks(network);
  });

  it('values, results, events, hash inputs, names and membership inputs have their caps', () => {
    const cases: Array<[string, number[], string]> = [
      ['put_state', [0, 1, 0, STATE_VALUE_BYTES_MAX + 1], `value of ${STATE_VALUE_BYTES_MAX + 1} bytes exceeds STATE_VALUE_BYTES_MAX (${STATE_VALUE_BYTES_MAX})`],
      ['set_result', [0, RESULT_BYTES_MAX + 1], `result of ${RESULT_BYTES_MAX + 1} bytes exceeds RESULT_BYTES_MAX (${RESULT_BYTES_MAX})`],
      ['set_event', [0, EVENT_NAME_BYTES_MAX + 1, 0, 0], `event name of ${EVENT_NAME_BYTES_MAX + 1} bytes exceeds EVENT_NAME_BYTES_MAX (${EVENT_NAME_BYTES_MAX})`],
      ['set_event', [0, 1, 0, EVENT_PAYLOAD_BYTES_MAX + 1], `event payload of ${EVENT_PAYLOAD_BYTES_MAX + 1} bytes exceeds EVENT_PAYLOAD_BYTES_MAX (${EVENT_PAYLOAD_BYTES_MAX})`],
      ['hash', [0, 0, HASH_INPUT_BYTES_MAX + 1], `hash input of ${HASH_INPUT_BYTES_MAX + 1} bytes exceeds HASH_INPUT_BYTES_MAX (${HASH_INPUT_BYTES_MAX})`],
      ['invoke_chaincode', [0, CHAINCODE_NAME_BYTES_MAX + 1, 0, 4], `chaincode name of ${CHAINCODE_NAME_BYTES_MAX + 1} bytes exceeds CHAINCODE_NAME_BYTES_MAX (${CHAINCODE_NAME_BYTES_MAX})`],
      ['read_cert_attribute', [0, MEMBERSHIP_INPUT_BYTES_MAX + 1], `attribute name of ${MEMBERSHIP_INPUT_BYTES_MAX + 1} bytes exceeds MEMBERSHIP_INPUT_BYTES_MAX (${MEMBERSHIP_INPUT_BYTES_MAX})`],
      ['verify_signature', [0, 1, 0, MEMBERSHIP_INPUT_BYTES_MAX + 1, 0, 1], `signature of ${MEMBERSHIP_INPUT_BYTES_MAX + 1} bytes exceeds MEMBERSHIP_INPUT_BYTES_MAX (${MEMBERSHIP_INPUT_BYTES_MAX})`],
    ];
    for (const [fn, args, message] of cases) {
      const single = new MockNetwork();
      ok(single.deploy('one', callOnce(fn, args), []));
      failure(single.invoke('one', []), 'limit', message);
      failure(single.invoke('one', []), 'limit', message);
    }
  });

  it('a transaction\'s args are capped at ARGS_COUNT_MAX and ARGS_BYTES_MAX', () => {
    failure(network.invoke('kv', Array.from({ length: ARGS_COUNT_MAX + 1 }, () => 'n')), 'limit', `${ARGS_COUNT_MAX + 1} args exceed ARGS_COUNT_MAX (${ARGS_COUNT_MAX})`);
    failure(network.invoke('kv', ['n', 'x'.repeat(ARGS_BYTES_MAX)]), 'limit', `args of ${ARGS_BYTES_MAX + 1} bytes exceed ARGS_BYTES_MAX (${ARGS_BYTES_MAX})`);
    ok(network.invoke('kv', Array.from({ length: ARGS_COUNT_MAX }, () => 'n')));
    stillWorks(network);
  });
});

describe('iterators, logs, nesting', () => {
  it(`at most ITERATORS_OPEN_MAX (${ITERATORS_OPEN_MAX}) iterators are open at once; exhausted ones free their slot`, () => {
    const opener = argChaincode({
      invoke: `(local $i i32) (local $rc i32)
        (call $load_args)
        (block $done (loop $next
          (local.set $rc (call $range_open (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
          (br_if $done (i32.lt_s (local.get $rc) (i32.const 0)))
          (if (i32.eqz (call $arg_u32 (i32.const 1))) (then (drop (call $range_next (local.get $rc)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $next (i32.lt_u (local.get $i) (i32.const 40)))))
        (i32.store (i32.const 0) (local.get $i))
        (drop (call $reply (local.get $rc)))
        (call $set_result (i32.const 0) (i32.const 4))
        (i32.const 0)`,
    });
    const network = new MockNetwork();
    ok(network.deploy('it', opener, []));
    const kept = ok(network.invoke('it', ['o', u32(1)]));
    assert.equal(new DataView(kept.payload.buffer, kept.payload.byteOffset).getInt32(0, true), ITERATORS_OPEN_MAX, 'the 17th open fails');
    const drained = ok(network.invoke('it', ['o', u32(0)]));
    assert.equal(new DataView(drained.payload.buffer, drained.payload.byteOffset).getInt32(0, true), 40, 'drained iterators do not count');
    const kv = new MockNetwork();
    ok(kv.deploy('kv', kvChaincode(), ['n']));
    for (let i = 0; i < ITERATORS_OPEN_MAX; i++) assert.equal(reply(ok(kv.invoke('kv', ['o', '', '', '0'])).payload).rc, 0, 'each transaction starts with none open');
  });

  it('the LIMIT code carries its message', () => {
    const opener = argChaincode({
      invoke: `(local $i i32) (local $rc i32)
        (loop $next
          (local.set $rc (call $range_open (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $next (i32.lt_u (local.get $i) (i32.const ${ITERATORS_OPEN_MAX + 1}))))
        (call $reply (local.get $rc))`,
    });
    const network = new MockNetwork();
    ok(network.deploy('it', opener, []));
    assert.deepEqual(reply(ok(network.invoke('it', [])).payload).text, `too many open iterators: ITERATORS_OPEN_MAX is ${ITERATORS_OPEN_MAX}`);
    assert.equal(reply(ok(network.invoke('it', [])).payload).rc, AbiError.LIMIT);
  });

  it(`logs stop at LOG_BYTES_PER_TRANSACTION_MAX (${LOG_BYTES_PER_TRANSACTION_MAX}) bytes, with one marker line`, () => {
    const logger = argChaincode({
      invoke: `(local $i i32)
        (loop $next
          (call $log (i32.const 4) (i32.const 1024) (i32.const 200))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $next (i32.lt_u (local.get $i) (i32.const 100))))
        (i32.const 0)`,
      extra: `(data (i32.const 1024) "${'x'.repeat(200)}")`,
    });
    const network = new MockNetwork();
    ok(network.deploy('log', logger, []));
    const result = ok(network.invoke('log', []));
    const kept = Math.floor(LOG_BYTES_PER_TRANSACTION_MAX / 200);
    assert.equal(result.logs.length, kept + 1);
    assert.equal(result.logs[0], `INFO ${'x'.repeat(200)}`);
    assert.equal(result.logs[kept], `WARNING logs truncated at LOG_BYTES_PER_TRANSACTION_MAX (${LOG_BYTES_PER_TRANSACTION_MAX}) bytes`);
    assert.equal(ok(network.invoke('log', [])).fuelUsed, result.fuelUsed, 'dropped lines are still charged, deterministically');
  });

  it(`chaincode calls nest at most CHAINCODE_CALL_NESTING_MAX (${CHAINCODE_CALL_NESTING_MAX}) deep`, () => {
    const network = new MockNetwork();
    ok(network.deploy('kv', kvChaincode(), ['n']));
    // Each 'i' op calls kv again with the next op as its args; the innermost writes a key.
    const chain = (calls: number): Array<string | Uint8Array> => {
      let args: Array<string | Uint8Array> = ['p', `depth-${calls}`, 'reached'];
      for (let i = 0; i < calls; i++) args = ['i', 'kv', encodedArgs(args)];
      return args;
    };
    const unwrap = (payload: Uint8Array): ReturnType<typeof reply> => {
      let current = reply(payload);
      while (current.rc >= 0 && current.data.length >= 4) current = reply(current.data);
      return current;
    };
    const deepest = ok(network.invoke('kv', chain(CHAINCODE_CALL_NESTING_MAX - 1)));
    assert.equal(unwrap(deepest.payload).rc, 0);
    assert.equal(network.getState('kv', `depth-${CHAINCODE_CALL_NESTING_MAX - 1}`), 'reached');
    const tooDeep = ok(network.invoke('kv', chain(CHAINCODE_CALL_NESTING_MAX)));
    assert.deepEqual(unwrap(tooDeep.payload), {
      rc: AbiError.LIMIT,
      data: new TextEncoder().encode(`chaincode calls nest deeper than CHAINCODE_CALL_NESTING_MAX (${CHAINCODE_CALL_NESTING_MAX})`),
      text: `chaincode calls nest deeper than CHAINCODE_CALL_NESTING_MAX (${CHAINCODE_CALL_NESTING_MAX})`,
    });
    assert.equal(network.getState('kv', `depth-${CHAINCODE_CALL_NESTING_MAX}`), undefined);
  });
});

describe('ChaincodeRuntime.execute never throws', () => {
  it('answers a chaincode it did not prepare, and host errors, as failures', () => {
    const runtime = new ChaincodeRuntime();
    const state = new StateOverlay(EMPTY_STATE);
    const request = {
      chaincodeName: 'x',
      entry: 'invoke' as const,
      args: [new TextEncoder().encode('g'), new TextEncoder().encode('k')],
      context: { txid: 't', timestamp: { seconds: 0, nanos: 0 }, payload: new Uint8Array(0), caller: null },
      host: { state: (ns: string) => state.view(ns), chaincode: () => undefined },
      readOnly: false,
    };
    const foreign = runtime.execute({ ...request, chaincode: { codeHash: 'x', module: new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])) } });
    assert.deepEqual(foreign, { ok: false, kind: 'abi', error: 'chaincode was not prepared by the weft runtime', event: null, fuelUsed: 0, logs: [] });
    const prepared = runtime.prepare(kvChaincode());
    const broken = runtime.execute({ ...request, chaincode: prepared, host: { state: () => { throw new Error('ledger closed'); }, chaincode: () => undefined } });
    assert.equal(broken.ok, false);
    assert.equal(!broken.ok && broken.error, 'host error: ledger closed');
    const fine = runtime.execute({ ...request, chaincode: prepared });
    assert.equal(fine.ok, true);
  });
});

describe('relations between the limits', () => {
  it('hold', () => {
    const pageBytes = 65_536;
    assert.ok(MEMORY_PAGES_INITIAL <= MEMORY_PAGES_MAX);
    assert.ok(FUEL_PER_TRANSACTION <= FUEL_LIMIT_MAX);
    // The largest single charge: a whole module as one straight-line region at the heaviest weight,
    // a memory.copy over all memory, or a memory.grow of MEMORY_PAGES_MAX + 1 pages.
    const heaviest = Math.max(FUEL_PER_MEMORY_ACCESS, FUEL_PER_DIVISION, FUEL_PER_INDIRECT_CALL);
    const largestCharge = Math.max(MODULE_BYTES_MAX * heaviest + FUEL_PER_CALL, (MEMORY_PAGES_MAX * pageBytes + 1) / MEMORY_COPY_BYTES_PER_FUEL, (MEMORY_PAGES_MAX + 1) * FUEL_PER_MEMORY_PAGE);
    assert.ok(FUEL_LIMIT_MAX + largestCharge < 2 ** 31, 'the i32 fuel counter never wraps');
    assert.ok(Number.isInteger(Math.log2(MEMORY_COPY_BYTES_PER_FUEL)));
    for (const size of [ARGS_BYTES_MAX, STATE_VALUE_BYTES_MAX, RESULT_BYTES_MAX]) assert.ok(size < MEMORY_PAGES_MAX * pageBytes);
    assert.ok(ARGS_BYTES_MAX + MODULE_BYTES_MAX < TRANSACTION_BYTES_MAX);
  });
});
