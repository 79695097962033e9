// Runtime benchmark (standalone: node bench/runtime.bench.ts [--quick]). Prints:
//  1. one example02 `invoke` (move) inside the sandbox, end to end as the executor runs it
//     (transaction overlay over a block overlay, execute, apply), in µs, and the ratio to the
//     same logic as a plain TypeScript function over a Map, measured in the same run;
//  2. fuel-metering slowdown on CPU-heavy chaincode: the same module prepared metered and
//     unmetered (an integer loop, and an allocation/string/Map-heavy loop), steady state and
//     first call;
//  3. deploy of example02: prepare (validate + instrument + compile + start) and init, in ms;
//  4. fuel calibration: wall time per FUEL_PER_TRANSACTION of the costliest loops we know
//     (what one transaction at its fuel limit can cost the peer), warm and first call.
// Needs the built chaincodes (npm run build); compiles its own CPU-heavy chaincode with asc.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChaincode, WEFT_ROOT } from '../host/chaincode/build.ts';
import { ChaincodeRuntime } from '../host/runtime/runtime.ts';
import { prepareModule } from '../host/runtime/prepare.ts';
import { EMPTY_STATE, StateOverlay } from '../host/runtime/state-overlay.ts';
import type { EntryPoint } from '../host/runtime/abi.ts';
import type { ExecutionRequest, PreparedChaincode } from '../host/runtime/types.ts';
import { MockNetwork, readWasm } from '../host/testing/mock-network.ts';
import { FUEL_PER_TRANSACTION } from '../host/protocol/limits.ts';
import { chaincode as watChaincode, wat } from '../test/runtime/guest.ts';
import { benchArgs } from './bench-args.ts';

const { quick: QUICK } = benchArgs(import.meta.url, 'The Wasm sandbox: one example02 invoke end to end against plain TypeScript, fuel metering slowdown, deploy time and fuel calibration. Needs the built chaincodes (npm run build).');
const ROUNDS = QUICK ? 3 : 7;
const MOVES_PER_ROUND = QUICK ? 10_000 : 50_000;
const DEPLOYS = QUICK ? 3 : 10;
const CALIBRATION_FUEL = QUICK ? 20_000_000 : 100_000_000;

const GOAL_INVOKE_US = 15;
const GOAL_INVOKE_RATIO = 5;
const GOAL_METERING_RATIO = 1.25;
const GOAL_DEPLOY_MS = 300;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Median over rounds of the mean time per call, in µs. */
function timePerCall(rounds: number, calls: number, fn: () => void): number {
  for (let i = 0; i < Math.min(calls, 20_000); i++) fn();
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) fn();
    samples.push(((performance.now() - started) * 1000) / calls);
  }
  return median(samples);
}

const rows: Array<[string, string, string, string]> = [];
function row(measure: string, value: string, goal = '', met?: boolean): void {
  rows.push([measure, value, goal, met === undefined ? '' : met ? 'met' : 'MISSED']);
}

// --- 1. example02 move, sandbox vs plain TypeScript

function example02Bytes(): Uint8Array {
  return readWasm(join(WEFT_ROOT, 'chaincode', 'chaincode_example02', 'build', 'chaincode_example02.wasm'));
}

function benchInvoke(): void {
  const runtime = new ChaincodeRuntime();
  const prepared = runtime.prepare(example02Bytes());
  const block = new StateOverlay(EMPTY_STATE);
  block.putState('ex02', 'a', encoder.encode('1000000000'));
  block.putState('ex02', 'b', encoder.encode('1000000000'));
  const args = ['invoke', 'a', 'b', '1'].map((arg) => encoder.encode(arg));
  const context = { txid: 'bench-tx', timestamp: { seconds: 1_700_000_000, nanos: 0 }, payload: new Uint8Array(0), caller: null };
  const request = (tx: StateOverlay): ExecutionRequest => ({
    chaincodeName: 'ex02',
    chaincode: prepared,
    entry: 'invoke' as EntryPoint,
    args,
    context,
    host: { state: (namespace) => tx.view(namespace), chaincode: (): PreparedChaincode | undefined => undefined },
    readOnly: false,
  });
  let fuel = 0;
  const sandbox = timePerCall(ROUNDS, MOVES_PER_ROUND, () => {
    const tx = new StateOverlay(block);
    const result = runtime.execute(request(tx));
    if (!result.ok) throw new Error(result.error);
    fuel = result.fuelUsed;
    block.apply(tx.writes());
  });

  // The same move as plain TypeScript over a Map (Fabric's semantics, no sandbox, no overlay).
  const map = new Map<string, Uint8Array>([['a', encoder.encode('1000000000')], ['b', encoder.encode('1000000000')]]);
  const plainMove = (state: Map<string, Uint8Array>, input: Uint8Array[]): Uint8Array | string => {
    const strings = input.map((arg) => decoder.decode(arg));
    if (strings.length !== 4) return 'Incorrect number of arguments. Expecting 3';
    const [, A, B, X] = strings as [string, string, string, string];
    const aBytes = state.get(A);
    const bBytes = state.get(B);
    if (aBytes === undefined || bBytes === undefined) return 'Entity not found';
    const x = Number.parseInt(X, 10);
    if (Number.isNaN(x)) return 'Invalid transaction amount, expecting a integer value';
    state.set(A, encoder.encode(String(Number.parseInt(decoder.decode(aBytes), 10) - x)));
    state.set(B, encoder.encode(String(Number.parseInt(decoder.decode(bBytes), 10) + x)));
    return new Uint8Array(0);
  };
  const plain = timePerCall(ROUNDS, MOVES_PER_ROUND, () => {
    const result = plainMove(map, args);
    if (typeof result === 'string') throw new Error(result);
  });
  const ratio = sandbox / plain;
  row('example02 invoke (move), sandbox end to end', `${sandbox.toFixed(2)} µs`, `≤ ${GOAL_INVOKE_US} µs`, sandbox <= GOAL_INVOKE_US);
  row('  same move, plain TypeScript over a Map', `${plain.toFixed(2)} µs`);
  row('  sandbox / plain TypeScript', `${ratio.toFixed(1)}×`, `≤ ${GOAL_INVOKE_RATIO}×`, ratio <= GOAL_INVOKE_RATIO);
  row('  fuel of one move', String(fuel));
}

// --- 2. metering slowdown

const CPU_CHAINCODE = `
import { Chaincode, ChaincodeStub, Response, register, parseI32, itoa } from "sdk-as";

function burn(n: i32): u32 {
  const table = new StaticArray<u32>(1024);
  let x: u32 = 2166136261;
  for (let i = 0; i < n; i++) {
    x = (x ^ <u32>i) * 16777619;
    x ^= x >>> 13;
    unchecked(table[i & 1023] += x);
  }
  return x ^ unchecked(table[7]);
}

function mix(n: i32): i64 {
  const totals = new Map<string, i64>();
  for (let i = 0; i < n; i++) {
    const key = "k" + (i % 97).toString();
    totals.set(key, (totals.has(key) ? totals.get(key) : 0) + <i64>i);
  }
  const keys = totals.keys();
  keys.sort();
  let acc: i64 = 0;
  for (let i = 0; i < keys.length; i++) acc += totals.get(keys[i]) * <i64>(i + 1);
  return acc;
}

class Cpu extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response { return Response.success(); }
  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    const n = parseI32(args[0]).value;
    if (fn == "burn") return Response.successString(burn(n).toString());
    return Response.successString(itoa(mix(n)));
  }
  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response { return Response.success(); }
}

register(new Cpu());
export * from "sdk-as/exports";
`;

async function buildCpuChaincode(): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-cpu-'));
  try {
    await writeFile(join(dir, 'index.ts'), CPU_CHAINCODE);
    return (await buildChaincode(dir, { outFile: join(dir, 'cpu.wasm') })).wasm;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function benchMetering(cpu: Uint8Array): void {
  const networks = {
    metered: new MockNetwork({ fuelLimit: 2_000_000_000 }),
    unmetered: new MockNetwork({ runtime: { prepare: { metering: false } } }),
  };
  for (const network of Object.values(networks)) network.deploy('cpu', cpu, []);
  for (const [fn, n] of [['burn', QUICK ? 1_000_000 : 3_000_000], ['mix', QUICK ? 50_000 : 200_000]] as const) {
    const run = (network: MockNetwork): string => {
      const result = network.invoke('cpu', [fn, String(n)]);
      if (!result.ok) throw new Error(`${fn}: ${result.error}`);
      return result.text;
    };
    const firstMs = (network: MockNetwork): number => {
      const fresh = new MockNetwork({ fuelLimit: 2_000_000_000, runtime: network === networks.metered ? {} : { prepare: { metering: false } } });
      fresh.deploy('cpu', cpu.slice(), []);
      const started = performance.now();
      run(fresh);
      return performance.now() - started;
    };
    const coldMetered = firstMs(networks.metered);
    const coldUnmetered = firstMs(networks.unmetered);
    if (run(networks.metered) !== run(networks.unmetered)) throw new Error(`${fn}: metered and unmetered results differ`);
    const samples = { metered: [] as number[], unmetered: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const which of ['unmetered', 'metered'] as const) {
        const started = performance.now();
        run(networks[which]);
        samples[which].push(performance.now() - started);
      }
    }
    const metered = median(samples.metered);
    const unmetered = median(samples.unmetered);
    const ratio = metered / unmetered;
    const fuel = networks.metered.invoke('cpu', [fn, String(n)]).fuelUsed;
    row(`metering slowdown, ${fn} ${n} (steady state)`, `${ratio.toFixed(2)}× (${metered.toFixed(1)} / ${unmetered.toFixed(1)} ms)`, `≤ ${GOAL_METERING_RATIO}×`, ratio <= GOAL_METERING_RATIO);
    row(`  first call (Liftoff) metered / unmetered`, `${(coldMetered / coldUnmetered).toFixed(2)}× (${coldMetered.toFixed(1)} / ${coldUnmetered.toFixed(1)} ms)`);
    row(`  fuel used; ms per 1e9 fuel`, `${fuel}; ${((metered * 1e9) / fuel).toFixed(0)} ms`);
  }
}

// --- 3. deploy

function benchDeploy(): void {
  const bytes = example02Bytes();
  const prepares: number[] = [];
  const deploys: number[] = [];
  for (let i = 0; i < DEPLOYS + 1; i++) {
    const copy = bytes.slice();
    const started = performance.now();
    const prepared = prepareModule(copy);
    const preparedAt = performance.now();
    const runtime = new ChaincodeRuntime();
    const state = new StateOverlay(EMPTY_STATE);
    const result = runtime.execute({
      chaincodeName: 'ex02',
      chaincode: prepared,
      entry: 'init',
      args: ['init', 'a', '100', 'b', '200'].map((arg) => encoder.encode(arg)),
      context: { txid: 'deploy', timestamp: { seconds: 1, nanos: 0 }, payload: new Uint8Array(0), caller: null },
      host: { state: (namespace) => state.view(namespace), chaincode: () => undefined },
      readOnly: false,
    });
    if (!result.ok) throw new Error(result.error);
    if (i === 0) continue; // the first one also warms binaryen up
    prepares.push(preparedAt - started);
    deploys.push(performance.now() - started);
  }
  const deploy = median(deploys);
  row('deploy example02: prepare + init', `${deploy.toFixed(1)} ms`, `≤ ${GOAL_DEPLOY_MS} ms`, deploy <= GOAL_DEPLOY_MS);
  row('  of which prepare', `${median(prepares).toFixed(1)} ms (${bytes.length} → ${prepareModule(bytes).instrumented.length} bytes)`);
}

// --- 4. fuel calibration

const LOOPS: Record<string, Parameters<typeof watChaincode>[0]> = {
  'empty loop': { invoke: '(loop $l (br $l)) (i32.const 0)' },
  'call loop': { invoke: '(loop $l (call $empty) (br $l)) (i32.const 0)', extra: '(func $empty)' },
  'call_indirect loop': { invoke: '(loop $l (call_indirect (type $t) (i32.const 0)) (br $l)) (i32.const 0)', extra: '(type $t (func)) (table 1 funcref) (elem (i32.const 0) $empty) (func $empty)' },
  'host call loop': { invoke: '(loop $l (drop (call $ret_len)) (br $l)) (i32.const 0)' },
  'integer arithmetic': { invoke: '(local $x i32) (local $i i32) (loop $l (local.set $x (i32.xor (i32.mul (local.get $x) (i32.const 16777619)) (local.get $i))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)) (i32.const 0)' },
  'division loop': { invoke: '(local $x i32) (loop $l (local.set $x (i32.div_u (i32.const 1000000007) (i32.or (local.get $x) (i32.const 1)))) (br $l)) (i32.const 0)' },
  'store sweep (8 MiB)': { memory: '160', invoke: '(local $p i32) (loop $l (i32.store (local.get $p) (local.get $p)) (local.set $p (i32.and (i32.add (local.get $p) (i32.const 16388)) (i32.const 8388604))) (br $l)) (i32.const 0)' },
  'memory.fill 8 MiB': { memory: '160', invoke: '(loop $l (memory.fill (i32.const 0) (i32.const 1) (i32.const 8388608)) (br $l)) (i32.const 0)' },
  'memory.copy 4 MiB': { memory: '160', invoke: '(loop $l (memory.copy (i32.const 0) (i32.const 4194304) (i32.const 4194304)) (br $l)) (i32.const 0)' },
  'pointer chase (8 MiB, random)': {
    memory: '160',
    invoke: '(local $p i32) (loop $l (local.set $p (i32.load (local.get $p))) (br $l)) (i32.const 0)',
    extra: `(func $fill (local $i i32) (loop $f
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.shl (i32.and (i32.add (i32.mul (local.get $i) (i32.const 1103515245)) (i32.const 12345)) (i32.const 2097151)) (i32.const 2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $f (i32.lt_u (local.get $i) (i32.const 2097152))))) (start $fill)`,
  },
};

function benchCalibration(): void {
  const network = new MockNetwork({ fuelLimit: CALIBRATION_FUEL });
  const scale = FUEL_PER_TRANSACTION / CALIBRATION_FUEL;
  for (const [name, parts] of Object.entries(LOOPS)) {
    network.deploy(name, wat(watChaincode(parts)), []);
    let started = performance.now();
    network.invoke(name, []);
    const cold = (performance.now() - started) * scale;
    started = performance.now();
    const result = network.invoke(name, []);
    const warm = (performance.now() - started) * scale;
    if (result.ok || result.kind !== 'fuel') throw new Error(`${name} should run out of fuel`);
    row(`one transaction at FUEL_PER_TRANSACTION: ${name}`, `${warm.toFixed(0)} ms (first call ${cold.toFixed(0)} ms)`);
  }
}

const cpu = await buildCpuChaincode();
benchInvoke();
benchMetering(cpu);
benchDeploy();
benchCalibration();

const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length), (['measure', 'value', 'goal', ''][i] ?? '').length));
const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd();
console.log(`weft runtime benchmark (Node ${process.version}, ${QUICK ? 'quick' : 'full'})`);
console.log(line(['measure', 'value', 'goal', '']));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));
