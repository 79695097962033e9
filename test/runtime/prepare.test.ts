import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChaincodeRuntime, PrepareError } from '../../host/runtime/runtime.ts';
import { FUEL_PER_TRANSACTION } from '../../host/protocol/limits.ts';
import { prepareModule } from '../../host/runtime/prepare.ts';
import { PreparedModule } from '../../host/runtime/prepared-module.ts';
import { MockNetwork } from '../../host/testing/mock-network.ts';
import {
  MEMORY_PAGES_INITIAL,
  MEMORY_PAGES_MAX,
  MODULE_BYTES_MAX,
  MODULE_DATA_SEGMENTS_MAX,
  MODULE_EXPRESSION_DEPTH_MAX,
  MODULE_FUNCTIONS_MAX,
  MODULE_GLOBALS_MAX,
  MODULE_LOCALS_PER_FUNCTION_MAX,
  MODULE_TABLE_ELEMENTS_MAX,
} from '../../host/protocol/limits.ts';
import { chaincode, kvChaincode, wat } from './guest.ts';
import { nestedAdds, nestedBlocks } from './raw-module.ts';

function rejects(bytes: Uint8Array, reason: string): void {
  assert.throws(() => prepareModule(bytes), (error: unknown) => {
    assert.ok(error instanceof PrepareError, `expected a PrepareError, got ${String(error)}`);
    assert.equal(error.message, `invalid chaincode module: ${reason}`);
    return true;
  });
}

/** A chaincode module with the given extra module fields and an invoke body. */
const module = (parts: Parameters<typeof chaincode>[0]): Uint8Array => wat(chaincode(parts));

describe('prepare: malformed modules', () => {
  it('rejects bytes that are not WebAssembly, with V8\'s reason', () => {
    rejects(new Uint8Array([1, 2, 3]), 'not a valid WebAssembly module: expected 4 bytes, fell off end @+0');
    rejects(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x00]),
      'not a valid WebAssembly module: section (code 1, "Type") extends past end of the module (length 5, remaining bytes 1) @+8');
    rejects(new Uint8Array(0), 'not a valid WebAssembly module: BufferSource argument is empty');
  });

  it('rejects a module over MODULE_BYTES_MAX before looking at it', () => {
    rejects(new Uint8Array(MODULE_BYTES_MAX + 1), `module of ${MODULE_BYTES_MAX + 1} bytes exceeds MODULE_BYTES_MAX (${MODULE_BYTES_MAX})`);
  });
});

describe('prepare: imports', () => {
  const importing = (declaration: string): Uint8Array => wat(`(module ${declaration} (memory (export "memory") 1))`);

  it('names each forbidden import and why', () => {
    rejects(importing('(import "env" "seed" (func (result f64)))'),
      "forbidden import env.seed: Math.random is not deterministic; use the SDK's transaction-seeded PRNG");
    rejects(importing('(import "env" "Date.now" (func (result f64)))'),
      'forbidden import env.Date.now: Date.now is not deterministic; use the transaction timestamp');
    rejects(importing('(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))'),
      'forbidden import wasi_snapshot_preview1.fd_write: WASI is not available to chaincode');
    rejects(importing('(import "env" "trace" (func (param i32 i32)))'),
      'forbidden import env.trace: trace() is not available; use the log host function');
    rejects(importing('(import "weft" "get_random" (func (result i32)))'),
      'forbidden import weft.get_random: not a function of the weft ABI v1');
    rejects(importing('(import "fs" "readFile" (func))'),
      'forbidden import fs.readFile: only weft.* functions of ABI v1 and env.abort may be imported');
  });

  it('rejects imported memories, tables and globals', () => {
    rejects(wat('(module (import "env" "memory" (memory 1)) (export "memory" (memory 0)))'),
      'forbidden import env.memory (memory): chaincode must define its own memory');
    rejects(importing('(import "env" "g" (global i32))'),
      'forbidden import env.g (global): only weft.* functions of ABI v1 and env.abort may be imported');
    rejects(importing('(import "env" "table" (table 1 funcref))'),
      'forbidden import env.table (table): only weft.* functions of ABI v1 and env.abort may be imported');
  });

  it('requires the exact ABI v1 signature', () => {
    rejects(importing('(import "weft" "get_state" (func (param i32) (result i32)))'),
      'import weft.get_state has signature (i32) -> i32, ABI v1 requires (i32, i32) -> i32');
    rejects(importing('(import "weft" "log" (func (param i32 i32 i32) (result i32)))'),
      'import weft.log has signature (i32, i32, i32) -> i32, ABI v1 requires (i32, i32, i32) -> ()');
    rejects(importing('(import "env" "abort" (func (param i32 i32 i64 i32)))'),
      'import env.abort has signature (i32, i32, i64, i32) -> (), ABI v1 requires (i32, i32, i32, i32) -> ()');
  });

  it('accepts every ABI v1 function and env.abort', () => {
    const prepared = prepareModule(kvChaincode());
    assert.ok(prepared instanceof PreparedModule);
    assert.equal(WebAssembly.Module.imports(prepared.module).filter((i) => i.module === 'weft' && i.kind === 'function').length, 25);
  });
});

describe('prepare: exports', () => {
  it('requires memory, init, invoke, query and the marker weft_abi_v1', () => {
    rejects(wat('(module (memory (export "memory") 1) (func (export "init") (result i32) (i32.const 0)))'),
      'missing export "invoke" (ABI v1 requires memory, init, invoke, query, weft_abi_v1)');
    rejects(wat(chaincode({}).replace('(export "weft_abi_v1")', '')),
      'missing export "weft_abi_v1" (ABI v1 requires memory, init, invoke, query, weft_abi_v1)');
  });

  it('requires entry points () -> i32 and rejects names reserved for the host', () => {
    rejects(wat(chaincode({}).replace('(func $invoke (export "invoke") (result i32) (i32.const 0))', '(func $invoke (export "invoke") (param i32) (result i32) (i32.const 0))')),
      'export "invoke" has signature (i32) -> i32, ABI v1 requires () -> i32');
    rejects(module({ extra: '(global (export "weft_fuel") i32 (i32.const 0))' }),
      'export name "weft_fuel" is reserved for the host (prefix weft_)');
  });
});

describe('prepare: memory, sizes, data', () => {
  it('requires exactly one private memory within MEMORY_PAGES_MAX', () => {
    rejects(module({ memory: String(MEMORY_PAGES_MAX + 1) }), `memory of ${MEMORY_PAGES_MAX + 1} initial pages exceeds the maximum of ${MEMORY_PAGES_MAX}`);
    rejects(wat('(module (memory $a 1) (memory $b 1) (export "memory" (memory $a)) (func (export "init") (result i32) (i32.const 0)) (func (export "invoke") (result i32) (i32.const 0)) (func (export "query") (result i32) (i32.const 0)) (func (export "weft_abi_v1")))'),
      'module must define exactly one memory, it defines 2');
    rejects(module({ memory: '1 1 shared' }), 'shared memory (threads) is not allowed');
  });

  it('gives the instance a generous initial memory and the network\'s maximum, or the module\'s lower one', () => {
    assert.deepEqual(prepareModule(module({ memory: '1' })).layout.memoryPages, { initial: MEMORY_PAGES_INITIAL, maximum: MEMORY_PAGES_MAX });
    assert.deepEqual(prepareModule(module({ memory: '20' })).layout.memoryPages, { initial: 20, maximum: MEMORY_PAGES_MAX });
    assert.deepEqual(prepareModule(module({ memory: '1 4' })).layout.memoryPages, { initial: 4, maximum: 4 });
  });

  it('enforces the function, locals, globals, table and data segment caps', () => {
    const functions = Array.from({ length: MODULE_FUNCTIONS_MAX }, (_, i) => `(func $f${i})`).join('');
    rejects(module({ extra: functions }), `${MODULE_FUNCTIONS_MAX + 30} functions exceed the maximum of ${MODULE_FUNCTIONS_MAX}`);
    rejects(module({ extra: `(func $big (param i32) (local${' i32'.repeat(MODULE_LOCALS_PER_FUNCTION_MAX)}))` }),
      `function $big has ${MODULE_LOCALS_PER_FUNCTION_MAX + 1} locals, the maximum is ${MODULE_LOCALS_PER_FUNCTION_MAX}`);
    const globals = Array.from({ length: MODULE_GLOBALS_MAX + 1 }, (_, i) => `(global $g${i} i32 (i32.const ${i}))`).join('');
    rejects(module({ extra: globals }), `${MODULE_GLOBALS_MAX + 1} globals exceed the maximum of ${MODULE_GLOBALS_MAX}`);
    rejects(module({ extra: `(table ${MODULE_TABLE_ELEMENTS_MAX + 1} funcref)` }),
      `table of ${MODULE_TABLE_ELEMENTS_MAX + 1} elements exceeds the maximum of ${MODULE_TABLE_ELEMENTS_MAX}`);
    const segments = Array.from({ length: MODULE_DATA_SEGMENTS_MAX + 1 }, (_, i) => `(data (i32.const ${i * 2}) "x")`).join('');
    rejects(module({ extra: segments }), `${MODULE_DATA_SEGMENTS_MAX + 1} data segments exceed the maximum of ${MODULE_DATA_SEGMENTS_MAX}`);
  });

  it('rejects passive data segments, memory.init and data.drop', () => {
    rejects(module({ extra: '(data "x")' }), 'passive data segment 0 is not allowed (instances are reused)');
    rejects(module({ invoke: '(data.drop 0) (i32.const 0)', extra: '(data (i32.const 0) "x")' }),
      'passive data (memory.init/data.drop) instruction data.drop in function $invoke is not allowed');
  });

  it('rejects nesting deeper than MODULE_EXPRESSION_DEPTH_MAX without straining the host', () => {
    assert.ok(prepareModule(nestedAdds(MODULE_EXPRESSION_DEPTH_MAX)) instanceof PreparedModule);
    rejects(nestedAdds(MODULE_EXPRESSION_DEPTH_MAX + 2), `function $0 nests expressions deeper than ${MODULE_EXPRESSION_DEPTH_MAX}`);
    rejects(nestedAdds(200_000), `function $0 nests expressions deeper than ${MODULE_EXPRESSION_DEPTH_MAX}`);
    rejects(nestedBlocks(100_000), `function $0 nests expressions deeper than ${MODULE_EXPRESSION_DEPTH_MAX}`);
  });
});

describe('prepare: instruction set', () => {
  it('rejects SIMD, atomics, reference types, GC, exceptions, tail calls and multi-value, naming the instruction', () => {
    rejects(module({ invoke: '(drop (v128.const i32x4 0 0 0 0)) (i32.const 0)' }), 'SIMD instruction v128.const in function $invoke is not allowed');
    rejects(module({ invoke: '(drop (i32.atomic.load (i32.const 0))) (i32.const 0)' }), 'threads (atomics) instruction i32.atomic.load in function $invoke is not allowed');
    rejects(module({ invoke: '(drop (ref.null func)) (i32.const 0)' }), 'reference types instruction ref.null in function $invoke is not allowed');
    rejects(module({ invoke: '(drop (table.get $t (i32.const 0))) (i32.const 0)', extra: '(table $t 1 funcref)' }), 'reference types instruction table.get in function $invoke is not allowed');
    rejects(module({ invoke: '(drop (struct.new_default $s)) (i32.const 0)', extra: '(type $s (struct (field i32)))' }), 'GC instruction struct.new_default in function $invoke is not allowed');
    rejects(module({ invoke: '(throw $oops) (i32.const 0)', extra: '(tag $oops)' }), 'exception handling instruction throw in function $invoke is not allowed');
    rejects(module({ invoke: '(return_call $zero)', extra: '(func $zero (result i32) (i32.const 0))' }), 'tail call instruction return_call in function $invoke is not allowed');
    rejects(module({ extra: '(func $pair (result i32 i32) (i32.const 0) (i32.const 1))' }), 'function $pair returns several values: multi-value is not allowed');
  });

  it('rejects floats by default, naming the first float operation and its function', () => {
    const reason = (op: string, fn: string): string => `floating point instruction ${op} in function $${fn} is not allowed (floats are not deterministic across CPUs)`;
    rejects(module({ invoke: '(drop (f64.add (f64.const 1) (f64.const 2))) (i32.const 0)' }), reason('f64.add', 'invoke'));
    rejects(module({ extra: '(func $cast (param $x i32) (result i32) (i32.trunc_f64_s (f64.convert_i32_s (local.get $x))))' }), reason('i32.trunc_f64_s', 'cast'));
    rejects(module({ extra: '(func $first (drop (f32.const 1))) (func $second (drop (f64.const 2)))' }), reason('f32.const', 'first'));
    rejects(module({ extra: '(func $store (f64.store (i32.const 0) (f64.const 0)))' }), reason('f64.store', 'store'));
    rejects(module({ extra: '(func $f (param f32))' }), 'function $f has a f32 parameter: floating point is not allowed');
    rejects(module({ extra: '(func $f (local f64))' }), 'function $f has a f64 local: floating point is not allowed');
    rejects(module({ extra: '(global $g (mut f64) (f64.const 0))' }), 'global $g has type f64: floats are not allowed');
  });

  it('with floats: "canonicalize", every NaN that becomes observable is the canonical one', () => {
    // 0/0 is 0xfff8000000000000 on x86 (0x7ff8000000000000 on ARM): stored as is, peers would disagree.
    const source = chaincode({}).replace('(func $invoke (export "invoke") (result i32) (i32.const 0))', `(func $invoke (export "invoke") (result i32) (local $zero f64)
      (f64.store (i32.const 0) (f64.div (f64.const 0) (local.get $zero)))
      (i64.store (i32.const 8) (i64.reinterpret_f64 (f64.div (f64.const 0) (local.get $zero))))
      (call $set_result (i32.const 0) (i32.const 16)) (i32.const 0))`);
    const network = new MockNetwork({ runtime: { prepare: { floats: 'canonicalize' } } });
    const result = network.deploy('nan', wat(source), []);
    assert.equal(result.ok, true);
    const stored = network.invoke('nan', []);
    assert.ok(stored.ok);
    assert.deepEqual([...stored.payload], [0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f]);
    assert.throws(() => new MockNetwork().deploy('nan', wat(source), []), /function \$invoke has a f64 local: floating point is not allowed/);
  });
});

describe('prepare: start function and instrumentation', () => {
  it('runs the start function at deploy; a failing one is a deploy error', () => {
    rejects(module({ extra: '(func $start (unreachable)) (start $start)' }), 'start function failed: wasm trap: unreachable');
    rejects(module({ extra: '(func $start (drop (call $get_tx_id))) (start $start)' }),
      'start function failed: host function weft.get_tx_id called outside a transaction (module start code may not use the ABI)');
    rejects(module({ extra: '(func $start (loop $forever (br $forever))) (start $start)' }), `start function failed: out of fuel after ${FUEL_PER_TRANSACTION} units`);
    rejects(module({ extra: '(func $start (drop (call $down (i32.const 0)))) (start $start) (func $down (param i32) (result i32) (call $down (local.get 0)))' }),
      'start function failed: call depth limit exceeded');
  });

  it('turns the start function into an export, memory into an import, mutable globals into exports', () => {
    const prepared = prepareModule(module({ extra: '(global $counter (mut i32) (i32.const 7)) (global $fixed i32 (i32.const 1)) (func $start (global.set $counter (i32.const 8))) (start $start)' }));
    const exports = WebAssembly.Module.exports(prepared.module).map((e) => `${e.name}:${e.kind}`);
    for (const name of ['weft_start:function', 'weft_g0:global', 'weft_fuel:global', 'weft_depth:global', 'weft_low:global', 'weft_high:global', 'weft_flags:global']) {
      assert.ok(exports.includes(name), `${name} in ${exports.join(' ')}`);
    }
    assert.ok(!exports.includes('weft_g1:global'), 'immutable globals are not snapshot');
    assert.deepEqual(WebAssembly.Module.imports(prepared.module).filter((i) => i.kind === 'memory'), [{ module: 'weft', name: 'memory', kind: 'memory' }]);
    assert.deepEqual(prepared.layout.snapshotGlobals, ['weft_g0']);
    assert.equal(prepared.layout.hasStart, true);
  });

  it('produces identical instrumented bytes every time (a protocol artifact)', () => {
    const first = prepareModule(kvChaincode());
    const second = prepareModule(kvChaincode().slice());
    assert.equal(first.codeHash, second.codeHash);
    assert.deepEqual(first.instrumented, second.instrumented);
    assert.match(first.codeHash, /^[0-9a-f]{64}$/);
  });

});

describe('ChaincodeRuntime.prepare cache', () => {
  it('returns the same prepared module for the same bytes, and the same error for bad ones', () => {
    const runtime = new ChaincodeRuntime();
    const first = runtime.prepare(kvChaincode());
    assert.equal(runtime.prepare(kvChaincode().slice()), first);
    const bad = module({ extra: '(func $start (unreachable)) (start $start)' });
    let firstError: unknown;
    try {
      runtime.prepare(bad);
    } catch (error) {
      firstError = error;
    }
    assert.ok(firstError instanceof PrepareError);
    assert.throws(() => runtime.prepare(bad), (error: unknown) => error === firstError);
  });
});
