// Where the chaincode tests find built modules: chaincode/<name>/build/<name>.wasm and
// chaincode/fixtures/<name>/build/<name>.wasm, produced by `npm run build` (npm test's pretest);
// and the assertions on MockNetwork results they share.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WEFT_ROOT } from '../../host/chaincode/build.ts';
import { readWasm, type MockResult } from '../../host/testing/mock-network.ts';

function load(folder: string, name: string): Uint8Array {
  const path = join(WEFT_ROOT, 'chaincode', folder, 'build', `${name}.wasm`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return readWasm(path);
}

/** A built example chaincode, e.g. chaincode('chaincode_example02'). */
export function chaincode(name: string): Uint8Array {
  return load(name, name);
}

/** A built fixture, e.g. fixture('infinite_loop'). */
export function fixture(name: string): Uint8Array {
  return load(join('fixtures', name), name);
}

const decoder = new TextDecoder();
/** UTF-8 text of bytes. */
export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Asserts success and returns the result as text. */
export function ok(result: MockResult): string {
  assert.equal(result.ok, true, result.ok ? '' : `${result.kind}: ${result.error}`);
  return result.ok ? result.text : '';
}

/** Asserts the chaincode itself returned an error, and returns its message. */
export function chaincodeError(result: MockResult): string {
  assert.equal(result.ok, false, 'expected a failure');
  if (result.ok) return '';
  assert.equal(result.kind, 'chaincode', result.error);
  return result.error;
}
