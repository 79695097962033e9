// The built AssemblyScript chaincodes (npm run build) through the runtime the way the executor
// drives it: a block overlay over the ledger, a transaction overlay per call, writes applied
// only on success. Also: reuse vs fresh instances on real AssemblyScript code (its allocator
// writes at both ends of memory), and that preparing them is reproducible.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WEFT_ROOT } from '../../host/chaincode/build.ts';
import { ChaincodeRuntime } from '../../host/runtime/runtime.ts';
import { prepareModule } from '../../host/runtime/prepare.ts';
import { EMPTY_STATE, StateOverlay } from '../../host/runtime/state-overlay.ts';
import type { EntryPoint } from '../../host/runtime/abi.ts';
import type { ExecutionResult, PreparedChaincode } from '../../host/runtime/types.ts';
import { MockNetwork, readWasm, type MockResult } from '../../host/testing/mock-network.ts';

const EXAMPLES = ['chaincode_example01', 'chaincode_example02', 'chaincode_example03', 'chaincode_example04', 'chaincode_example05', 'eventsender', 'authorizable_counter', 'asset_table'];
const path = (name: string): string => join(WEFT_ROOT, 'chaincode', name, 'build', `${name}.wasm`);
const built = EXAMPLES.every((name) => existsSync(path(name)));
const skip = built ? false : 'built chaincodes missing: run `npm run build`';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('built chaincodes through the runtime', { skip }, () => {
  it('example02: Fabric\'s canonical run, driven like the executor', () => {
    const runtime = new ChaincodeRuntime();
    const ledger = new StateOverlay(EMPTY_STATE);
    const block = new StateOverlay(ledger);
    const prepared = runtime.prepare(readWasm(path('chaincode_example02')));
    const run = (entry: EntryPoint, args: string[], state: StateOverlay, readOnly = false): ExecutionResult => {
      const tx = new StateOverlay(state);
      const result = runtime.execute({
        chaincodeName: 'mycc',
        chaincode: prepared,
        entry,
        args: args.map((arg) => enc.encode(arg)),
        context: { txid: `tx-${args.join('-')}`, timestamp: { seconds: 1, nanos: 0 }, payload: new Uint8Array(0), caller: null },
        host: { state: (namespace) => tx.view(namespace), chaincode: (name): PreparedChaincode | undefined => (name === 'mycc' ? prepared : undefined) },
        readOnly,
      });
      if (result.ok && !readOnly) state.apply(tx.writes());
      return result;
    };
    assert.equal(run('init', ['init', 'a', '100', 'b', '200'], block).ok, true);
    assert.equal(run('invoke', ['invoke', 'a', 'b', '10'], block).ok, true);
    const failed = run('invoke', ['invoke', 'a', 'nobody', '10'], block);
    assert.deepEqual(failed.ok ? null : [failed.kind, failed.error], ['chaincode', 'Entity not found']);
    ledger.apply(block.writes());
    const query = (key: string): string => {
      const result = run('query', ['query', key], ledger, true);
      assert.ok(result.ok, result.ok ? '' : result.error);
      return dec.decode(result.payload);
    };
    assert.equal(query('a'), '90');
    assert.equal(query('b'), '210');
  });

  it('gives identical results and fuel with reused and with fresh instances', () => {
    const script = (network: MockNetwork): MockResult[] => {
      const results = [
        network.deploy('ex02', readWasm(path('chaincode_example02')), ['init', 'a', '1000', 'b', '2000']),
        network.deploy('ex04', readWasm(path('chaincode_example04')), ['init', 'event', '0']),
        network.deploy('ex05', readWasm(path('chaincode_example05')), ['init', 'sum', '0']),
      ];
      for (let i = 0; i < 5; i++) {
        results.push(
          network.invoke('ex02', ['invoke', 'a', 'b', String(i + 1)]),
          network.invoke('ex02', ['invoke', 'a', 'nobody', '1']),
          network.invoke('ex04', ['invoke', 'ex02', 'event', String(i)]),
          network.invoke('ex05', ['invoke', 'ex02', 'sum']),
          network.query('ex02', ['query', 'a']),
          network.query('ex05', ['query', 'ex02', 'sum']),
        );
      }
      return results;
    };
    const reused = script(new MockNetwork());
    const fresh = script(new MockNetwork({ runtime: { reuseInstances: false } }));
    assert.deepEqual(reused, fresh);
    assert.ok(reused.filter((r) => r.ok).length > 20);
  });

  it('prepares every example reproducibly, with no float operations', () => {
    for (const name of EXAMPLES) {
      const bytes = readWasm(path(name));
      const first = prepareModule(bytes);
      const second = prepareModule(bytes.slice());
      assert.deepEqual(first.instrumented, second.instrumented, name);
      assert.equal(first.stats.floatOperations, 0, name);
    }
  });
});
