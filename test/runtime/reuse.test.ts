// Instance reuse must be invisible: a network that restores pooled instances and one that
// creates a fresh instance for every call give byte-identical results, fuel and state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PreparedModule } from '../../host/runtime/prepared-module.ts';
import { MockNetwork, type MockResult } from '../../host/testing/mock-network.ts';
import { argChaincode, encodedArgs, kvChaincode } from './guest.ts';

/** Reads what earlier calls may have left in memory and globals, then leaves its own marks. */
const DIRT_PROBE = argChaincode({
  invoke: `
    (i32.store (i32.const 0) (i32.load (i32.const 2000)))
    (i32.store (i32.const 4) (i32.load (i32.const 900000)))
    (i32.store (i32.const 8) (i32.load (i32.const 1048572)))
    (i32.store (i32.const 12) (i32.load8_u (i32.const 700000)))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store (i32.const 16) (global.get $calls))
    (i64.store (i32.const 20) (global.get $wide))
    (i32.store (i32.const 2000) (i32.const 0x11111111))
    (i32.store (i32.const 900000) (i32.const 0x22222222))
    (i32.store (i32.const 1048572) (i32.const 0x33333333))
    (memory.fill (i32.const 600000) (i32.const 0x44) (i32.const 200000))
    (global.set $wide (i64.const 0x5555555555555555))
    (call $set_result (i32.const 0) (i32.const 28))
    (i32.const 0)`,
  extra: '(global $calls (mut i32) (i32.const 0)) (global $wide (mut i64) (i64.const 7)) (data (i32.const 2000) "\\2a")',
});

type Op = [name: string, entry: 'invoke' | 'query', args: Array<string | Uint8Array>, fuelLimit?: number];

const SEQUENCE: Op[] = [
  ['kv', 'invoke', ['p', 'a', '1']],
  ['kv', 'invoke', ['p', 'b', '2']],
  ['kv', 'query', ['g', 'a']],
  ['kv', 'invoke', ['u', 'c', '3']],
  ['kv', 'invoke', ['r', '', '']],
  ['kv', 'invoke', ['e', 'evt', 'payload']],
  ['kv', 'invoke', ['l', '4', 'hello']],
  ['kv', 'invoke', ['f', 'refused']],
  ['kv', 'invoke', ['W', 'never', 'x']],
  ['kv', 'invoke', ['U']],
  ['kv', 'invoke', ['p', 'after-trap', 'ok']],
  ['kv', 'invoke', ['G']],
  ['kv', 'invoke', ['p', 'after-grow', 'ok']],
  ['kv', 'invoke', ['L'], 2_000_000],
  ['kv', 'invoke', ['R']],
  ['kv', 'invoke', ['o', 'a', 'z', '0']],
  ['kv', 'invoke', ['x', 'a']],
  ['kv', 'invoke', ['h', '2', 'data']],
  ['kv', 'invoke', ['s']],
  ['kv', 'invoke', ['t']],
  ['kv', 'invoke', ['i', 'kv', encodedArgs(['p', 'nested', 'yes'])]],
  ['kv', 'invoke', ['i', 'kv', encodedArgs(['U'])]],
  ['kv', 'invoke', ['d', 'a']],
  ['dirt', 'invoke', []],
  ['dirt', 'invoke', []],
  ['dirt', 'query', []],
  ['kv', 'query', ['r', '', '']],
];

function run(reuseInstances: boolean): { results: MockResult[]; keys: string[]; values: Array<string | undefined> } {
  const network = new MockNetwork({ runtime: { reuseInstances } });
  const results: MockResult[] = [network.deploy('kv', kvChaincode(), ['p', 'init', 'done']), network.deploy('dirt', DIRT_PROBE, [])];
  for (let round = 0; round < 3; round++) {
    for (const [name, entry, args, fuelLimit] of SEQUENCE) {
      const options = { txid: `tx-${round}-${results.length}`, ...(fuelLimit !== undefined ? { fuelLimit } : {}) };
      results.push(entry === 'invoke' ? network.invoke(name, args, options) : network.query(name, args, options));
    }
  }
  const keys = network.keys('kv');
  return { results, keys, values: keys.map((key) => network.getState('kv', key)) };
}

describe('instance reuse', () => {
  it('gives byte-identical results, fuel, events, logs and state to fresh instances', () => {
    const reused = run(true);
    const fresh = run(false);
    assert.equal(reused.results.length, 2 + 3 * SEQUENCE.length);
    assert.deepEqual(reused.results, fresh.results);
    assert.deepEqual(reused.keys, fresh.keys);
    assert.deepEqual(reused.values, fresh.values);
    const kinds = new Set(reused.results.map((r) => (r.ok ? 'ok' : r.kind)));
    assert.deepEqual([...kinds].sort(), ['chaincode', 'depth', 'fuel', 'memory', 'ok', 'trap'], 'the sequence covers every way a call ends');
  });

  it('a reused instance sees none of what earlier calls wrote to memory or globals', () => {
    const network = new MockNetwork();
    assert.ok(network.deploy('dirt', DIRT_PROBE, []).ok);
    const expected = [42, 0, 0, 0, 1, 7, 0];
    for (let i = 0; i < 3; i++) {
      const result = network.invoke('dirt', []);
      assert.ok(result.ok);
      const view = new DataView(result.payload.buffer, result.payload.byteOffset, 28);
      assert.deepEqual([0, 4, 8, 12, 16].map((at) => view.getInt32(at, true)).concat([Number(view.getBigInt64(20, true)), 0]), expected);
    }
  });

  it('keeps one instance warm, and replaces one that trapped or grew its memory', () => {
    const network = new MockNetwork();
    const prepared = network.runtime.prepare(kvChaincode());
    assert.ok(prepared instanceof PreparedModule);
    assert.equal(prepared.idleInstances, 1, 'prepare keeps the instance whose start it ran');
    assert.ok(network.deploy('kv', kvChaincode(), ['n']).ok);
    assert.equal(prepared.idleInstances, 1);
    assert.ok(!network.invoke('kv', ['U']).ok);
    assert.equal(prepared.idleInstances, 0, 'a trapped instance is dropped');
    assert.ok(network.invoke('kv', ['n']).ok);
    assert.equal(prepared.idleInstances, 1);
    assert.ok(!network.invoke('kv', ['G']).ok);
    assert.equal(prepared.idleInstances, 0, 'a grown instance is dropped');
    assert.ok(network.invoke('kv', ['i', 'kv', encodedArgs(['i', 'kv', encodedArgs(['n'])])]).ok);
    assert.equal(prepared.idleInstances, 3, 'nested calls needed three instances at once');
  });

  it('fuel is the same for the same transaction, on every network', () => {
    const fuel = (): number[] => {
      const network = new MockNetwork();
      network.deploy('kv', kvChaincode(), ['n']);
      return [network.invoke('kv', ['p', 'k', 'v']), network.invoke('kv', ['p', 'k', 'v']), network.query('kv', ['g', 'k'])].map((r) => r.fuelUsed);
    };
    const first = fuel();
    assert.equal(first[0], first[1]);
    assert.deepEqual(fuel(), first);
  });
});
