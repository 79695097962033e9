// Chaincode-to-chaincode calls: same transaction (txid, timestamp, write set, fuel), the callee's
// writes kept only if it succeeds, its failure reported to the caller as CALLEE_ERROR.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { AbiError } from '../../host/runtime/abi.ts';
import { MockNetwork, type MockResult } from '../../host/testing/mock-network.ts';
import { argChaincode, encodedArgs, kvChaincode, reply } from './guest.ts';
import { FUEL_PER_CHAINCODE_CALL } from '../../host/protocol/limits.ts';

const enc = new TextEncoder();

function ok(result: MockResult): Extract<MockResult, { ok: true }> {
  assert.ok(result.ok, result.ok ? '' : `${result.kind}: ${result.error}`);
  return result;
}

/** Calls `callee` with `args` through the caller's invoke_chaincode (or query_chaincode). */
function through(network: MockNetwork, callee: string, args: Array<string | Uint8Array>, query = false, options = {}): { outer: MockResult; rc: number; text: string; data: Uint8Array } {
  const outer = network.invoke('caller', [query ? 'q' : 'i', callee, encodedArgs(args)], options);
  if (!outer.ok) return { outer, rc: NaN, text: '', data: new Uint8Array(0) };
  return { outer, ...reply(outer.payload) };
}

describe('invoke_chaincode / query_chaincode', () => {
  let network: MockNetwork;
  beforeEach(() => {
    network = new MockNetwork();
    ok(network.deploy('caller', kvChaincode(), ['n']));
    ok(network.deploy('callee', kvChaincode(), ['p', 'seed', 's']));
  });

  it('runs the callee in the same transaction and returns its result', () => {
    const txid = through(network, 'callee', ['t'], false, { txid: 'shared-tx' });
    assert.equal(reply(txid.data).text, 'shared-tx');
    const name = through(network, 'callee', ['c']);
    assert.equal(reply(name.data).text, 'callee', 'the callee runs as itself');
    const read = through(network, 'callee', ['g', 'seed'], true);
    assert.equal(reply(read.data).text, 's');
  });

  it('commits the callee\'s writes with the caller\'s, in the callee\'s namespace', () => {
    const call = through(network, 'callee', ['p', 'k', 'from-callee']);
    assert.equal(call.rc, 4);
    assert.equal(network.getState('callee', 'k'), 'from-callee');
    assert.equal(network.getState('caller', 'k'), undefined);
  });

  it('a callee error is CALLEE_ERROR with its message; its writes vanish, the caller carries on', () => {
    const call = through(network, 'callee', ['W', 'callee refused', 'x']);
    assert.deepEqual([call.rc, call.text], [AbiError.CALLEE_ERROR, 'callee refused']);
    assert.equal(network.getState('callee', 'callee refused'), undefined);
    const trapped = through(network, 'callee', ['P', 'half-written', 'x']);
    assert.deepEqual([trapped.rc, trapped.text], [AbiError.CALLEE_ERROR, 'wasm trap: unreachable']);
    assert.equal(network.getState('callee', 'half-written'), undefined);
    const deep = through(network, 'callee', ['R']);
    assert.deepEqual([deep.rc, deep.text], [AbiError.CALLEE_ERROR, 'call depth limit exceeded']);
    const grown = through(network, 'callee', ['G']);
    assert.deepEqual([grown.rc, grown.text], [AbiError.CALLEE_ERROR, 'memory limit exceeded']);
    ok(network.invoke('caller', ['p', 'still', 'fine']));
  });

  it('fuel is shared: a callee that runs out fails the whole transaction', () => {
    const call = through(network, 'callee', ['L'], false, { fuelLimit: 3_000_000 });
    assert.deepEqual(call.outer.ok ? null : [call.outer.kind, call.outer.error, call.outer.fuelUsed], ['fuel', 'out of fuel after 3000000 units', 3_000_000]);
    const direct = ok(network.invoke('callee', ['p', 'k', 'v'])).fuelUsed;
    const nested = ok(through(network, 'callee', ['p', 'k', 'v']).outer).fuelUsed;
    assert.ok(nested > direct + FUEL_PER_CHAINCODE_CALL, 'the caller pays for the callee, and for the call');
    const missing = ok(through(network, 'nobody', ['n']).outer).fuelUsed;
    assert.ok(missing < FUEL_PER_CHAINCODE_CALL, 'no callee ran, no call price');
  });

  it('query_chaincode is read-only for the callee, with the transaction\'s txid in the text', () => {
    const call = through(network, 'callee', ['p', 'k', 'v'], true, { txid: 'tx-q' });
    assert.equal(call.rc, call.data.length);
    assert.deepEqual(reply(call.data), { rc: AbiError.READ_ONLY, data: enc.encode('[tx-q]Cannot handle PUT_STATE in query context'), text: '[tx-q]Cannot handle PUT_STATE in query context' });
    const inQuery = reply(ok(network.query('caller', ['q', 'callee', encodedArgs(['g', 'seed'])])).payload);
    assert.equal(reply(inQuery.data).text, 's', 'a query may query another chaincode');
  });

  it('an unknown chaincode is NOT_FOUND_CHAINCODE with Fabric\'s text', () => {
    const call = through(network, 'nobody', ['n']);
    assert.deepEqual([call.rc, call.text], [AbiError.NOT_FOUND_CHAINCODE, 'deployment transaction does not exist for nobody']);
  });

  it('the callee\'s event reaches the transaction only if the callee succeeds', () => {
    assert.deepEqual(through(network, 'callee', ['e', 'from-callee', 'p']).outer.event, { eventName: 'from-callee', payload: enc.encode('p') });
    assert.equal(through(network, 'callee', ['E', 'failed-callee', 'p']).outer.event, null);
  });

  it('a chaincode may call itself (another instance of it runs)', () => {
    const call = network.invoke('caller', ['i', 'caller', encodedArgs(['p', 'self', 'yes'])]);
    assert.equal(reply(ok(call).payload).rc, 4);
    assert.equal(network.getState('caller', 'self'), 'yes');
  });

  it('a callee sees the caller\'s uncommitted writes to the callee\'s namespace (same write set)', () => {
    // callee writes k; then, in the same transaction, the caller has it read k back.
    const twoCalls = argChaincode({
      invoke: `
        (call $load_args)
        (drop (call $invoke_chaincode (i32.const 100) (i32.const 6) (call $arg_ptr (i32.const 1)) (call $arg_len (i32.const 1))))
        (call $reply (call $invoke_chaincode (i32.const 100) (i32.const 6) (call $arg_ptr (i32.const 2)) (call $arg_len (i32.const 2))))`,
      extra: '(data (i32.const 100) "callee")',
    });
    ok(network.deploy('twice', twoCalls, []));
    const result = ok(network.invoke('twice', ['x', encodedArgs(['p', 'k', 'first']), encodedArgs(['g', 'k'])]));
    assert.equal(reply(reply(result.payload).data).text, 'first');
  });
});
