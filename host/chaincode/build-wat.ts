// Builds a hand-written WebAssembly text module (a fixture folder's `index.wat`) into a binary with
// binaryen. Used for adversarial fixtures that AssemblyScript cannot express (raw ABI abuse, SIMD,
// bad exports); the module is only validated as WebAssembly, never against the weft ABI.
import binaryen from 'binaryen';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ChaincodeBuildError } from './build.ts';

const WAT_FEATURES =
  binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
  binaryen.Features.NontrappingFPToInt | binaryen.Features.BulkMemory | binaryen.Features.SIMD128;

/** Compiles `watFile` to `outFile`; throws ChaincodeBuildError if it does not parse or validate. */
export async function buildWat(watFile: string, outFile: string): Promise<Uint8Array> {
  const text = await readFile(watFile, 'utf8');
  let module: binaryen.Module;
  try {
    module = binaryen.parseText(text);
  } catch (error) {
    throw new ChaincodeBuildError(`binaryen could not parse ${watFile}: ${String(error)}`);
  }
  try {
    // Standard features only: binaryen's "All" includes proposals (e.g. compact import sections)
    // whose encoding V8 cannot read. SIMD is on so a fixture can carry a v128 instruction.
    module.setFeatures(WAT_FEATURES);
    if (!module.validate()) throw new ChaincodeBuildError(`${watFile} is not a valid WebAssembly module`);
    const wasm = module.emitBinary();
    await mkdir(dirname(outFile), { recursive: true });
    await writeFile(outFile, wasm);
    return wasm;
  } finally {
    module.dispose();
  }
}
