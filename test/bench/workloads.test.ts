// The workload generators of `weft bench`: the same seed gives the same operations; the mixes,
// key names, values and set-up transactions are BLOCKBENCH's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fnvHash64, keyChooser, ycsbKey } from '../../host/bench/key-choosers.ts';
import { SeededRandom } from '../../host/bench/prng.ts';
import { DEFAULT_WORKLOAD_OPTIONS, WORKLOADS, isWorkloadName, workloadOptionProblems, type Operation } from '../../host/bench/workloads.ts';

const options = { ...DEFAULT_WORKLOAD_OPTIONS, records: 1000 };
const take = (next: () => Operation, n: number): Operation[] => Array.from({ length: n }, () => next());

test('SeededRandom: the same seed gives the same numbers; below() stays in range', () => {
  const a = new SeededRandom(1);
  assert.deepEqual([a.nextU32(), a.nextU32(), a.nextU32()], [3006034877, 3287391593, 1321982931]);
  const b = new SeededRandom(42);
  assert.deepEqual([b.below(10), b.below(10), b.below(10), b.between(1, 6)], [8, 2, 1, 5]);
  assert.notDeepEqual([new SeededRandom(2 ** 40).nextU32()], [new SeededRandom(0).nextU32()], 'the high half of a seed counts');
  const c = new SeededRandom(9);
  for (let i = 0; i < 10_000; i++) {
    const v = c.below(7);
    assert.ok(Number.isInteger(v) && v >= 0 && v < 7);
    const f = c.fraction();
    assert.ok(f >= 0 && f < 1);
  }
  assert.throws(() => new SeededRandom(1.5), /seed must be a safe integer, got 1.5/);
  assert.throws(() => c.below(0), /below\(n\) needs 1 <= n <= 2\^32, got 0/);
});

test('YCSB key names are "user" + FNV-1a-64 of the record number, as YCSB builds them', () => {
  assert.equal(fnvHash64(0), 6284781860667377211n);
  assert.equal(ycsbKey(0), 'user6284781860667377211');
  assert.equal(ycsbKey(1), 'user8517097267634966620');
  assert.equal(fnvHash64(1234567), 4406382118621181934n);
});

test('key choosers: uniform covers the space evenly, zipfian is skewed; both stay in range', () => {
  const count = (choose: () => number): Map<number, number> => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 100_000; i++) {
      const k = choose();
      assert.ok(Number.isInteger(k) && k >= 0 && k < 1000, `key ${k}`);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return counts;
  };
  const uniform = [...count(keyChooser('uniform', new SeededRandom(7), 1000)).values()];
  assert.equal(uniform.length, 1000);
  assert.ok(Math.max(...uniform) < 200, `uniform: the most drawn record got ${Math.max(...uniform)} of 100,000`);
  const zipfian = [...count(keyChooser('zipfian', new SeededRandom(7), 1000)).values()].sort((a, b) => b - a);
  assert.deepEqual(zipfian.slice(0, 3), [3838, 2026, 1717], 'zipfian: a few records take most draws');
  assert.throws(() => keyChooser('uniform', new SeededRandom(1), 0), /records must be a positive integer, got 0/);
});

test('ycsb: reads are queries, updates write one 100-byte field; deterministic from the seed', () => {
  const ops = take(WORKLOADS.ycsb.operations(options), 3);
  assert.deepEqual(ops.map((op) => [op.kind, op.args[0], op.args[1]]), [
    ['invoke', 'write', 'user4515091579447301933'],
    ['query', 'read', 'user528046043123879302'],
    ['invoke', 'write', 'user392299711134039396'],
  ]);
  assert.equal(ops[0]!.args[2], 'field1=N^8}d]>}R4W(Dm&hJ+)Ou^tA%fW8j:Xs_zIN$(#fMymR,lVs!Zpa2Zt`qGm>/A#uphs{XOU63[4*(w4*+CEw!41E1%bf%}^q;\'?H');
  assert.deepEqual(take(WORKLOADS.ycsb.operations(options), 50), take(WORKLOADS.ycsb.operations(options), 50), 'same seed, same operations');
  assert.notDeepEqual(take(WORKLOADS.ycsb.operations({ ...options, seed: 2 }), 5), take(WORKLOADS.ycsb.operations(options), 5));
  for (const op of take(WORKLOADS.ycsb.operations({ ...options, valueBytes: 37 }), 200)) {
    if (op.kind === 'invoke') {
      assert.match(op.args[2]!, /^field\d=[^"\\]{37}$/);
      assert.equal(op.args.length, 3);
    } else assert.equal(op.args.length, 2);
  }
  const reads = (ratio: number): number => take(WORKLOADS.ycsb.operations({ ...options, readRatio: ratio, seed: 3 }), 10_000).filter((op) => op.kind === 'query').length;
  assert.equal(reads(0.5), 5057);
  assert.equal(reads(0), 0);
  assert.equal(reads(1), 10_000);
});

test('ycsb set-up writes every record once, keys 0…records-1', () => {
  const setup = [...WORKLOADS.ycsb.setup({ ...options, records: 3 })];
  assert.deepEqual(setup.map((op) => [op.kind, op.args[0], op.args[1]]), [
    ['invoke', 'write', 'user6284781860667377211'],
    ['invoke', 'write', 'user8517097267634966620'],
    ['invoke', 'write', 'user1820151046732198393'],
  ]);
  assert.match(setup[0]!.args[2]!, /^field0=2LAZXaYkvP~r#v_O\}/);
});

test('smallbank: the six transactions of BLOCKBENCH over accounts 1…accounts, amounts 0; preload in chunks of 1,000', () => {
  assert.deepEqual(take(WORKLOADS.smallbank.operations(options), 5).map((op) => op.args), [
    ['writeCheck', '91594', '0'],
    ['updateSaving', '93445', '0'],
    ['updateSaving', '43383', '0'],
    ['amalgate', '12486', '65403'],
    ['amalgate', '78955', '78509'],
  ]);
  const ops = take(WORKLOADS.smallbank.operations({ ...options, accounts: 50 }), 6_000);
  const byFunction = new Map<string, number>();
  for (const op of ops) {
    assert.equal(op.kind, 'invoke');
    byFunction.set(op.args[0]!, (byFunction.get(op.args[0]!) ?? 0) + 1);
    const accounts = op.args[0] === 'amalgate' || op.args[0] === 'sendPayment' ? [op.args[1], op.args[2]] : [op.args[1]];
    for (const account of accounts) assert.ok(Number(account) >= 1 && Number(account) <= 50, `${op.args.join(' ')}`);
    if (op.args[0] !== 'amalgate' && op.args[0] !== 'getBalance') assert.equal(op.args.at(-1), '0');
  }
  assert.deepEqual([...byFunction.keys()].sort(), ['amalgate', 'getBalance', 'sendPayment', 'updateBalance', 'updateSaving', 'writeCheck']);
  for (const [fn, n] of byFunction) assert.ok(n > 850 && n < 1150, `${fn}: ${n} of 6,000`);
  assert.deepEqual([...WORKLOADS.smallbank.setup({ ...options, accounts: 2500 })].map((op) => op.args), [
    ['preload', '1', '1000'],
    ['preload', '1001', '1000'],
    ['preload', '2001', '500'],
  ]);
});

test('donothing, ioheavy, cpuheavy: their invokes; ioheavy scans what it wrote', () => {
  assert.deepEqual(take(WORKLOADS.donothing.operations(options), 2), [{ kind: 'invoke', args: ['donothing'] }, { kind: 'invoke', args: ['donothing'] }]);
  assert.deepEqual(take(WORKLOADS.ioheavy.operations({ ...options, ioKeys: 100 }), 4).map((op) => op.args), [
    ['write', '0', '100'],
    ['scan', '0', '100'],
    ['write', '100', '100'],
    ['scan', '100', '100'],
  ]);
  assert.deepEqual(take(WORKLOADS.cpuheavy.operations({ ...options, sortSize: 5000 }), 1), [{ kind: 'invoke', args: ['sort', '5000'] }]);
  for (const name of ['donothing', 'ioheavy', 'cpuheavy'] as const) assert.deepEqual([...WORKLOADS[name].setup(options)], []);
  assert.equal(isWorkloadName('ycsb'), true);
  assert.equal(isWorkloadName('tpcc'), false);
});

test('workload options are bounded', () => {
  assert.deepEqual(workloadOptionProblems(DEFAULT_WORKLOAD_OPTIONS), []);
  assert.deepEqual(workloadOptionProblems({ ...DEFAULT_WORKLOAD_OPTIONS, readRatio: 1.5, ioKeys: 20_001, sortSize: -1, records: 0 }), [
    'records must be an integer from 1 to 1000000, got 0',
    'read ratio must be from 0 to 1, got 1.5',
    'io keys must be an integer from 1 to 20000, got 20001',
    'sort size must be an integer from 0 to 200000, got -1',
  ]);
});
