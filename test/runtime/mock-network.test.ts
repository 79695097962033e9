import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrepareError } from '../../host/runtime/runtime.ts';
import { MOCK_EPOCH_SECONDS, MockNetwork, readWasm } from '../../host/testing/mock-network.ts';
import { FUEL_PER_TRANSACTION } from '../../host/protocol/limits.ts';
import { kvChaincode, reply, wat, chaincode } from './guest.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('MockNetwork', () => {
  it('deploy runs init and registers the chaincode only if init succeeds', () => {
    const network = new MockNetwork();
    const failed = network.deploy('kv', kvChaincode(), ['f', 'init refused']);
    assert.deepEqual(failed.ok ? null : [failed.kind, failed.error], ['chaincode', 'init refused']);
    assert.equal(network.isDeployed('kv'), false);
    assert.throws(() => network.invoke('kv', ['n']), /^Error: chaincode kv is not deployed on this mock network$/);
    const deployed = network.deploy('kv', kvChaincode(), ['p', 'k', 'v']);
    assert.ok(deployed.ok);
    assert.equal(deployed.text, '\u0000\u0000\u0000\u0000');
    assert.equal(network.isDeployed('kv'), true);
    assert.equal(network.getState('kv', 'k'), 'v');
  });

  it('deploy throws the PrepareError of an invalid module', () => {
    const network = new MockNetwork();
    assert.throws(() => network.deploy('bad', new Uint8Array([0, 1, 2]), []), (error: unknown) => error instanceof PrepareError);
    assert.throws(() => network.deploy('float', wat(chaincode({ invoke: '(i32.trunc_f32_s (f32.const 1))' })), []), {
      name: 'PrepareError',
      message: 'invalid chaincode module: floating point instruction i32.trunc_f32_s in function $invoke is not allowed (floats are not deterministic across CPUs)',
    });
  });

  it('invoke commits only on success; query is read-only on committed state', () => {
    const network = new MockNetwork();
    network.deploy('kv', kvChaincode(), ['n']);
    assert.ok(network.invoke('kv', ['p', 'a', '1']).ok);
    assert.ok(!network.invoke('kv', ['W', 'b', '2']).ok);
    assert.ok(!network.invoke('kv', ['P', 'c', '3']).ok);
    assert.deepEqual(network.keys('kv'), ['a']);
    const query = network.query('kv', ['p', 'd', '4']);
    assert.ok(query.ok);
    assert.equal(reply(query.payload).text, '[mock-tx-5]Cannot handle PUT_STATE in query context');
    assert.deepEqual(network.keys('kv'), ['a']);
  });

  it('numbers transactions for default txids and timestamps; options override them', () => {
    const network = new MockNetwork();
    network.deploy('kv', kvChaincode(), ['n']);
    assert.equal(reply((network.invoke('kv', ['t']) as { payload: Uint8Array }).payload).text, 'mock-tx-2');
    const stamp = network.invoke('kv', ['s']);
    assert.ok(stamp.ok);
    assert.equal(new DataView(stamp.payload.buffer, stamp.payload.byteOffset).getBigInt64(0, true), BigInt(MOCK_EPOCH_SECONDS + 3));
    assert.equal(reply((network.invoke('kv', ['t'], { txid: 'mine' }) as { payload: Uint8Array }).payload).text, 'mine');
  });

  it('putState/getState/getStateBytes/keys work on committed state in byte order', () => {
    const network = new MockNetwork();
    network.putState('cc', 'b', 'two');
    network.putState('cc', 'a', new Uint8Array([0x6f, 0x6e, 0x65]));
    network.putState('cc', '\u{1F600}', 'smile');
    network.putState('cc', '\uFFFD', 'replacement');
    assert.deepEqual(network.keys('cc'), ['a', 'b', '\uFFFD', '\u{1F600}']);
    assert.equal(network.getState('cc', 'a'), 'one');
    assert.deepEqual(network.getStateBytes('cc', 'b'), new TextEncoder().encode('two'));
    assert.equal(network.getState('cc', 'missing'), undefined);
    assert.deepEqual(network.keys('empty'), []);
  });

  it('uses the network fuel limit unless a transaction names its own', () => {
    const network = new MockNetwork({ fuelLimit: 1_000_000 });
    network.deploy('kv', kvChaincode(), ['n']);
    const spin = network.invoke('kv', ['L']);
    assert.deepEqual(spin.ok ? null : [spin.kind, spin.error, spin.fuelUsed], ['fuel', 'out of fuel after 1000000 units', 1_000_000]);
    const own = network.invoke('kv', ['L'], { fuelLimit: 2_000 });
    assert.equal(own.fuelUsed, 2_000);
    const unlimited = new MockNetwork();
    unlimited.deploy('kv', kvChaincode(), ['n']);
    assert.equal(unlimited.invoke('kv', ['L']).fuelUsed, FUEL_PER_TRANSACTION);
  });

  it('readWasm reads a module file as bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-mock-'));
    try {
      const path = join(dir, 'kv.wasm');
      writeFileSync(path, kvChaincode());
      const bytes = readWasm(path);
      assert.ok(bytes instanceof Uint8Array);
      assert.deepEqual(bytes, kvChaincode());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
