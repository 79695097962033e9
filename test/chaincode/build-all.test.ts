// host/chaincode/build-all.ts and module-check.ts: discovery of chaincode folders, the ABI and
// float checks on every built chaincode, and a build in a scratch folder covering a fresh build,
// skipping when nothing changed, a compiler error, a float-using chaincode, a .wat fixture and a
// fixture meant not to compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm, utimes } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAll, discoverChaincodes, EXPECT_BUILD_ERROR_FILE, type BuildOutcome } from '../../host/chaincode/build-all.ts';
import { checkModule, describeProblems } from '../../host/chaincode/module-check.ts';
import { chaincode, fixture } from './built.ts';

const EXAMPLES = [
  'asset_management', 'asset_table', 'authorizable_counter', 'chaincode_example01', 'chaincode_example02', 'chaincode_example03',
  'chaincode_example04', 'chaincode_example05', 'eventsender', 'map', 'passthru',
];

/** The BLOCKBENCH workloads, one level down in the chaincode/blockbench/ group folder. */
const BLOCKBENCH = ['cpuheavy', 'donothing', 'ioheavy', 'kvstore', 'smallbank'];

test('discovery finds every example and fixture, with its kind', async () => {
  const folders = await discoverChaincodes();
  const examples = folders.filter((f) => !f.fixture && !f.label.includes('/')).map((f) => f.name);
  assert.deepEqual(examples, EXAMPLES);
  const grouped = folders.filter((f) => !f.fixture && f.label.includes('/'));
  assert.deepEqual(grouped.map((f) => f.label), BLOCKBENCH.map((name) => `blockbench/${name}`));
  assert.ok(grouped[3]!.outFile.endsWith(join('chaincode', 'blockbench', 'kvstore', 'build', 'kvstore.wasm')));
  const fixtures = new Map(folders.filter((f) => f.fixture).map((f) => [f.name, f]));
  assert.equal(fixtures.get('garbage_raw')?.kind, 'wat');
  assert.equal(fixtures.get('infinite_loop')?.kind, 'assemblyscript');
  assert.equal(fixtures.get('does_not_compile')?.expectBuildError, 'Feature \'simd\' is not enabled.');
  assert.ok(fixtures.get('infinite_loop')!.outFile.endsWith(join('chaincode', 'fixtures', 'infinite_loop', 'build', 'infinite_loop.wasm')));
});

test('every built example imports only the weft ABI and env.abort, exports the ABI, and has no floats', () => {
  for (const name of EXAMPLES) {
    const report = checkModule(chaincode(name));
    assert.deepEqual(describeProblems(report), [], name);
    assert.ok(report.imports.every((i) => i.startsWith('weft.') || i === 'env.abort'), `${name}: ${report.imports.join(', ')}`);
  }
  assert.ok(chaincode('chaincode_example02').length <= 24 * 1024, 'example02 stays small');
});

test('module checks name forbidden imports, wrong signatures, a missing marker and floats', () => {
  assert.deepEqual(checkModule(fixture('forbidden_import_seed')).abiProblems, ['imports env.seed (Math.random): only weft.* and env.abort are allowed']);
  assert.deepEqual(checkModule(fixture('forbidden_import_date')).abiProblems, ['imports env.Date.now (Date): only weft.* and env.abort are allowed']);
  assert.deepEqual(checkModule(fixture('bad_signature')).abiProblems, ['imports weft.get_state as (i32) -> (i32), the ABI requires (i32, i32) -> (i32)']);
  assert.deepEqual(checkModule(fixture('missing_marker')).abiProblems, ['does not export "weft_abi_v1" (add: export * from "sdk-as/exports")']);
  const floats = checkModule(fixture('float_use'));
  assert.ok(floats.floatCount > 0);
  assert.equal(floats.abiProblems.length, 0);
  assert.match(describeProblems(floats).join('\n'), /uses floating point \(\d+ instructions; the host rejects floats\)/);
  assert.equal(checkModule(fixture('sdk_probe')).floatCount, 0, 'the whole SDK compiles without floats');
});

const GOOD = `import { Chaincode, ChaincodeStub, Response, register } from "sdk-as";
class Good extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response { return Response.success(); }
  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response { return Response.successString(fn); }
  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response { return Response.success(); }
}
register(new Good());
export * from "sdk-as/exports";
`;

function byLabel(outcomes: BuildOutcome[]): Map<string, BuildOutcome> {
  return new Map(outcomes.map((o) => [o.folder.label, o]));
}

test('buildAll: builds, skips fresh folders, reports compiler and ABI failures, accepts expected failures', async () => {
  const root = await mkdtemp(join(tmpdir(), 'weft-build-all-'));
  try {
    const write = async (path: string, text: string): Promise<void> => {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), text);
    };
    await write('good/index.ts', GOOD);
    await write('broken/index.ts', 'export function init(): i32 { return undefinedThing; }\n');
    await write('floaty/index.ts', GOOD.replace('Response.successString(fn)', 'Response.successString((<f64>fn.length * 0.5).toString())'));
    await write('notes/README.md', 'no entry: not a chaincode\n');
    await write('fixtures/raw/index.wat', '(module (memory (export "memory") 1))\n');
    await write('fixtures/refused/index.ts', 'const v = i32x4.splat(1);\n');
    await write(`fixtures/refused/${EXPECT_BUILD_ERROR_FILE}`, 'Feature \'simd\' is not enabled.\n');

    const lines: string[] = [];
    const first = byLabel(await buildAll({ root, log: (line) => lines.push(line) }));
    assert.deepEqual([...first.keys()].sort(), ['broken', 'fixtures/raw', 'fixtures/refused', 'floaty', 'good']);
    assert.equal(lines.length, 5, 'one progress line per chaincode');
    assert.equal(first.get('good')?.status, 'built');
    assert.ok(existsSync(join(root, 'good', 'build', 'good.wasm')));
    const broken = first.get('broken')!;
    assert.equal(broken.status, 'failed');
    assert.match(broken.status === 'failed' ? broken.message : '', /undefinedThing/);
    const floaty = first.get('floaty')!;
    assert.equal(floaty.status, 'failed');
    assert.match(floaty.status === 'failed' ? floaty.message : '', /breaks the weft ABI:\n {2}- uses floating point/);
    assert.equal(existsSync(join(root, 'floaty', 'build', 'floaty.wasm')), false, 'a module failing the checks is not left behind');
    assert.equal(first.get('fixtures/raw')?.status, 'built', 'fixtures are not held to the ABI');
    assert.equal(first.get('fixtures/refused')?.status, 'expected-error');
    assert.ok(lines.some((l) => l.startsWith('refused  fixtures/refused') && l.includes('Feature \'simd\' is not enabled.')), lines.join('\n'));

    const second = byLabel(await buildAll({ root, log: () => {} }));
    assert.equal(second.get('good')?.status, 'fresh');
    assert.equal(second.get('fixtures/raw')?.status, 'fresh');
    assert.equal(second.get('fixtures/refused')?.status, 'fresh');
    assert.equal(second.get('broken')?.status, 'failed', 'a failed folder is retried');

    const future = new Date(Date.now() + 60_000);
    await utimes(join(root, 'good', 'index.ts'), future, future);
    await write('fixtures/refused/index.ts', GOOD);
    await utimes(join(root, 'fixtures', 'refused', 'index.ts'), future, future);
    const third = byLabel(await buildAll({ root, only: ['good', 'fixtures/refused'], log: () => {} }));
    assert.deepEqual([...third.keys()].sort(), ['fixtures/refused', 'good']);
    assert.equal(third.get('good')?.status, 'built', 'an edited source is rebuilt');
    const refused = third.get('fixtures/refused')!;
    assert.equal(refused.status, 'failed', 'a fixture that must not compile but does fails the build');
    assert.match(refused.status === 'failed' ? refused.message : '', /compiled, but expect-build-error\.txt says it must fail/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
