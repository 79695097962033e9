// The component-model path: a chaincode whose core module implements the canonical ABI of
// docs/wit/weft-chaincode.wit by hand (WAT below), packaged with jco's API in process, runs with
// fuel on the same host functions as the raw ABI. Covered here: get-args, get-tx-id, get-state,
// put-state, del-state, set-event, log, hash and the export's result; the host implements the
// whole stub interface.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { ComponentChaincode, prepareComponentChaincode, WIT_URL } from '../../host/runtime/component-chaincode.ts';
import { instrumentComponentCore, STUB_FUNCTIONS } from '../../host/runtime/component-core.ts';
import { PrepareError } from '../../host/runtime/prepare-error.ts';
import { EMPTY_STATE, StateOverlay } from '../../host/runtime/state-overlay.ts';
import type { EntryPoint } from '../../host/runtime/abi.ts';
import type { ExecutionResult } from '../../host/runtime/types.ts';
import { MockNetwork } from '../../host/testing/mock-network.ts';
import { FUEL_HOST_CALL_BASE } from '../../host/protocol/limits.ts';
import { kvChaincode, reply, wat } from './guest.ts';

const STUB = 'weft:chaincode/stub@1.0.0';

/**
 * Canonical ABI by hand. Imports lower to (params…, retptr); `result<_, error>` is tag@0, error
 * case@4, message ptr@8 len@12; `option<list<u8>>` is tag@0, ptr@4, len@8. Exports return a
 * pointer to tag@16, ptr@20, len@24. Args stay at the list get-args wrote (ptr/len at 0/4).
 */
function core(memory = '1 160', extra = ''): string {
  const arg = (i: number): string => `(call $arg_ptr (i32.const ${i})) (call $arg_len (i32.const ${i}))`;
  const unit = (call: string): string => `${call}
      (if (i32.load8_u (i32.const 32)) (then (return (call $answer (i32.const 1) (i32.load (i32.const 40)) (i32.load (i32.const 44))))))
      (return (call $answer (i32.const 0) (i32.const 0) (i32.const 0)))`;
  const op = (char: string, body: string): string => `(if (i32.eq (local.get $op) (i32.const ${char.charCodeAt(0)})) (then ${body}))`;
  return `(module
  (import "${STUB}" "get-args" (func $get_args (param i32)))
  (import "${STUB}" "get-tx-id" (func $get_tx_id (param i32)))
  (import "${STUB}" "get-state" (func $get_state (param i32 i32 i32)))
  (import "${STUB}" "put-state" (func $put_state (param i32 i32 i32 i32 i32)))
  (import "${STUB}" "del-state" (func $del_state (param i32 i32 i32)))
  (import "${STUB}" "set-event" (func $set_event (param i32 i32 i32 i32 i32)))
  (import "${STUB}" "log" (func $log (param i32 i32 i32)))
  (import "${STUB}" "hash" (func $hash (param i32 i32 i32 i32)))
  ${extra}
  (memory (export "memory") ${memory})
  (global $heap (mut i32) (i32.const 65536))
  (data (i32.const 200) "absent")
  (data (i32.const 220) "unknown function")
  (func $realloc (export "cabi_realloc") (param $old i32) (param $oldSize i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1))) (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.shl (memory.size) (i32.const 16)))
      (then (if (i32.lt_s (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $heap) (i32.shl (memory.size) (i32.const 16))) (i32.const 16)) (i32.const 1))) (i32.const 0)) (then (unreachable)))))
    (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $oldSize))))
    (local.get $p))
  (func $arg_ptr (param $i i32) (result i32) (i32.load (i32.add (i32.load (i32.const 0)) (i32.shl (local.get $i) (i32.const 3)))))
  (func $arg_len (param $i i32) (result i32) (i32.load offset=4 (i32.add (i32.load (i32.const 0)) (i32.shl (local.get $i) (i32.const 3)))))
  (func $answer (param $tag i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store8 (i32.const 16) (local.get $tag)) (i32.store (i32.const 20) (local.get $ptr)) (i32.store (i32.const 24) (local.get $len)) (i32.const 16))
  (func $dispatch (result i32)
    (local $op i32)
    (global.set $heap (i32.const 65536))
    (call $get_args (i32.const 0))
    (local.set $op (i32.load8_u (call $arg_ptr (i32.const 0))))
    ${op('p', unit(`(call $put_state ${arg(1)} ${arg(2)} (i32.const 32))`))}
    ${op('d', unit(`(call $del_state ${arg(1)} (i32.const 32))`))}
    ${op('e', unit(`(call $set_event ${arg(1)} ${arg(2)} (i32.const 32))`))}
    ${op('g', `(call $get_state ${arg(1)} (i32.const 32))
      (if (i32.eqz (i32.load8_u (i32.const 32))) (then (return (call $answer (i32.const 1) (i32.const 200) (i32.const 6)))))
      (return (call $answer (i32.const 0) (i32.load (i32.const 36)) (i32.load (i32.const 40))))`)}
    ${op('t', '(call $get_tx_id (i32.const 32)) (return (call $answer (i32.const 0) (i32.load (i32.const 32)) (i32.load (i32.const 36))))')}
    ${op('h', `(call $hash (i32.const 0) ${arg(1)} (i32.const 32)) (return (call $answer (i32.const 0) (i32.load (i32.const 32)) (i32.load (i32.const 36))))`)}
    ${op('l', `(call $log (i32.const 4) ${arg(1)}) (return (call $answer (i32.const 0) (i32.const 0) (i32.const 0)))`)}
    ${op('s', '(loop $forever (br $forever))')}
    (call $answer (i32.const 1) (i32.const 220) (i32.const 16)))
  (func (export "init") (result i32) (call $dispatch))
  (func (export "invoke") (result i32) (call $dispatch))
  (func (export "query") (result i32) (call $dispatch))
)`;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('component chaincode through jco', () => {
  let chaincode: ComponentChaincode;
  let committed: StateOverlay;
  before(async () => {
    chaincode = await prepareComponentChaincode(wat(core()));
    committed = new StateOverlay(EMPTY_STATE);
  });

  const run = (entry: EntryPoint, args: string[], options: { txid?: string; fuelLimit?: number } = {}): ExecutionResult => {
    const tx = new StateOverlay(committed);
    const result = chaincode.execute({
      chaincodeName: 'comp',
      entry,
      args: args.map((arg) => enc.encode(arg)),
      context: { txid: options.txid ?? 'tx-c', timestamp: { seconds: 1, nanos: 0 }, payload: new Uint8Array(0), caller: null },
      host: { state: (namespace) => tx.view(namespace), chaincode: () => undefined },
      readOnly: entry === 'query',
      ...(options.fuelLimit !== undefined ? { fuelLimit: options.fuelLimit } : {}),
    });
    if (result.ok && entry !== 'query') committed.apply(tx.writes());
    return result;
  };
  const text = (result: ExecutionResult): string => {
    assert.ok(result.ok, result.ok ? '' : `${result.kind}: ${result.error}`);
    return dec.decode(result.payload);
  };

  it('reads args, writes, reads back and deletes state, and sees the txid', () => {
    assert.equal(text(run('init', ['p', 'a', '100'])), '');
    assert.equal(dec.decode(committed.getState('comp', 'a')), '100');
    assert.equal(text(run('invoke', ['g', 'a'])), '100');
    assert.equal(text(run('query', ['g', 'a'])), '100');
    assert.equal(text(run('invoke', ['t'], { txid: 'the-txid' })), 'the-txid');
    assert.equal(text(run('invoke', ['d', 'a'])), '');
    assert.equal(committed.getState('comp', 'a'), undefined);
  });

  it('returns errors as the raw path does: err(string) is a chaincode error, READ_ONLY keeps Fabric\'s text', () => {
    const absent = run('invoke', ['g', 'nothing']);
    assert.deepEqual(absent.ok ? null : [absent.kind, absent.error], ['chaincode', 'absent']);
    const readOnly = run('query', ['p', 'k', 'v'], { txid: 'q-1' });
    assert.deepEqual(readOnly.ok ? null : [readOnly.kind, readOnly.error], ['chaincode', '[q-1]Cannot handle PUT_STATE in query context']);
    const raw = new MockNetwork();
    raw.deploy('kv', kvChaincode(), ['n']);
    const rawQuery = raw.query('kv', ['p', 'k', 'v'], { txid: 'q-1' });
    assert.equal(rawQuery.ok && reply(rawQuery.payload).text, '[q-1]Cannot handle PUT_STATE in query context', 'same frame, same text');
    const unknown = run('invoke', ['?']);
    assert.equal(unknown.ok ? '' : unknown.error, 'unknown function');
  });

  it('sets events, logs and hashes through the same host functions', () => {
    const event = run('invoke', ['e', 'evt', 'payload']);
    assert.deepEqual(event.event, { eventName: 'evt', payload: enc.encode('payload') });
    assert.deepEqual(run('invoke', ['l', 'hello']).logs, ['INFO hello']);
    const digest = run('invoke', ['h', 'abc']);
    assert.ok(digest.ok);
    assert.equal(Buffer.from(digest.payload).toString('hex'), createHash('sha256').update('abc').digest('hex'));
    const eventInQuery = run('query', ['e', 'evt', 'x'], { txid: 'q-2' });
    assert.equal(eventInQuery.ok ? '' : eventInQuery.error, '[q-2]Cannot handle SET_EVENT in query context');
  });

  it('meters fuel: deterministic, host calls charged, endless loops stopped at the limit', () => {
    const first = run('invoke', ['g', 'missing']);
    const second = run('invoke', ['g', 'missing']);
    assert.equal(first.fuelUsed, second.fuelUsed);
    assert.ok(first.fuelUsed > 2 * FUEL_HOST_CALL_BASE, `get-args and get-state are charged (${first.fuelUsed})`);
    const spin = run('invoke', ['s'], { fuelLimit: 2_000_000 });
    assert.deepEqual(spin.ok ? null : [spin.kind, spin.error, spin.fuelUsed], ['fuel', 'out of fuel after 2000000 units', 2_000_000]);
    const exact = run('invoke', ['p', 'x', 'y']).fuelUsed;
    assert.ok(run('invoke', ['p', 'x', 'y'], { fuelLimit: exact }).ok);
    const short = run('invoke', ['p', 'x', 'y'], { fuelLimit: exact - 1 });
    assert.equal(short.ok ? '' : short.kind, 'fuel');
  });
});

describe('component chaincode: deploy-time checks', () => {
  it('applies the same policy to the core module', () => {
    assert.throws(() => instrumentComponentCore(wat(core('1 160', '(import "env" "seed" (func (result i32)))'))), {
      name: 'PrepareError',
      message: `invalid chaincode module: forbidden import env.seed (function): a component chaincode imports only functions of ${STUB}`,
    });
    assert.throws(() => instrumentComponentCore(wat(core('1'))), {
      name: 'PrepareError',
      message: 'invalid chaincode module: a component chaincode must declare a memory maximum of at most 160 pages',
    });
    assert.throws(() => instrumentComponentCore(wat(core('1 160', '(func $f (drop (f64.const 1)))'))), (error: unknown) =>
      error instanceof PrepareError && error.message === 'invalid chaincode module: floating point instruction f64.const in function $f is not allowed (floats are not deterministic across CPUs)');
  });

  it('the WIT file declares every function of ABI v1 (except the return register and set_result)', () => {
    const wit = readFileSync(WIT_URL, 'utf8');
    for (const name of STUB_FUNCTIONS) assert.match(wit, new RegExp(`\\n  ${name}: func\\(`), name);
    assert.equal(STUB_FUNCTIONS.length, 22);
  });
});
