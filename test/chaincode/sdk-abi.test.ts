// sdk-as mirrors host/runtime/abi.ts exactly: every ABI function is declared in sdk-as/env.ts
// under its own name with the same arity and result, nothing else is, and the constants of
// sdk-as/codes.ts equal the host's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEFT_ROOT } from '../../host/chaincode/build.ts';
import { ABI_FUNCTIONS, ABI_MARKER_EXPORT, ABI_MODULE, ABI_VERSION, AbiError, HashAlgorithm, LogLevel, RangeFlags } from '../../host/runtime/abi.ts';

const ENV = readFileSync(join(WEFT_ROOT, 'sdk-as', 'env.ts'), 'utf8');
const CODES = readFileSync(join(WEFT_ROOT, 'sdk-as', 'codes.ts'), 'utf8');
const EXPORTS = readFileSync(join(WEFT_ROOT, 'sdk-as', 'exports.ts'), 'utf8');

interface Declared { module: string; external: string; name: string; params: string[]; result: string }

function declarations(): Declared[] {
  const pattern = /@external\("([^"]+)",\s*"([^"]+)"\)\s*export declare function (\w+)\(([^)]*)\):\s*(\w+);/g;
  return [...ENV.matchAll(pattern)].map((m) => ({
    module: m[1]!,
    external: m[2]!,
    name: m[3]!,
    params: m[4]!.split(',').map((p) => p.trim()).filter((p) => p !== ''),
    result: m[5]!,
  }));
}

/** `export const NAME: i32 = value;` inside `export namespace <ns> { ... }` of codes.ts. */
function namespaceConstants(ns: string): Record<string, number> {
  const body = new RegExp(`export namespace ${ns} \\{([\\s\\S]*?)\\n\\}`).exec(CODES)?.[1] ?? '';
  return Object.fromEntries([...body.matchAll(/export const (\w+): i32 = (-?\d+);/g)].map((m) => [m[1]!, Number(m[2])]));
}

test('env.ts declares every ABI function, and only those, with the ABI\'s arity and result', () => {
  const declared = declarations();
  assert.equal((ENV.match(/@external\("/g) ?? []).length, declared.length, 'every @external was parsed');
  assert.deepEqual(declared.map((d) => d.external).sort(), Object.keys(ABI_FUNCTIONS).sort());
  for (const d of declared) {
    const abi = ABI_FUNCTIONS[d.external as keyof typeof ABI_FUNCTIONS];
    assert.equal(d.module, ABI_MODULE, d.external);
    assert.equal(d.name, d.external, `${d.external} is declared under its own name`);
    assert.equal(d.params.length, abi.params.length, `${d.external} arity`);
    for (const param of d.params) assert.match(param, /^\w+: (i32|usize)$/, `${d.external}: ${param} is an i32 at the Wasm level`);
    assert.equal(d.result === 'void' ? 'void' : d.result === 'i32' ? 'i32' : d.result, abi.result, `${d.external} result`);
  }
});

test('codes.ts carries the host\'s constants', () => {
  assert.deepEqual(namespaceConstants('AbiError'), { ...AbiError });
  assert.deepEqual(namespaceConstants('HashAlgorithm'), { ...HashAlgorithm });
  assert.deepEqual(namespaceConstants('RangeFlags'), { ...RangeFlags });
  assert.deepEqual(namespaceConstants('LogLevel'), { ...LogLevel });
  assert.match(CODES, new RegExp(`export const ABI_VERSION: i32 = ${ABI_VERSION};`));
  const sdkCodes = Object.values(namespaceConstants('SdkError'));
  assert.ok(sdkCodes.every((c) => !Object.values(AbiError).includes(c as never)), 'SDK error codes never collide with host codes');
});

test('exports.ts exports the three entry points and the ABI marker', () => {
  for (const name of ['init', 'invoke', 'query']) assert.match(EXPORTS, new RegExp(`export function ${name}\\(\\): i32`));
  assert.match(EXPORTS, new RegExp(`export function ${ABI_MARKER_EXPORT}\\(\\): void`));
});
