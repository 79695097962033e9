// Where the chaincode tests find built modules: chaincode/<name>/build/<name>.wasm and
// chaincode/fixtures/<name>/build/<name>.wasm, produced by `npm run build` (npm test's pretest).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WEFT_ROOT } from '../../host/chaincode/build.ts';
import { readWasm } from '../../host/testing/mock-network.ts';

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
