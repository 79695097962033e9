// Builds an AssemblyScript chaincode folder into a Wasm module with asc (in-process).
// A chaincode folder holds `index.ts` (or `assembly/index.ts`) and imports the SDK as "sdk-as";
// the build resolves that to this repository's sdk-as/, wherever the folder lives.
import { readFile, mkdir, writeFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: sdk-as/ and asconfig.json live here. */
export const WEFT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class ChaincodeBuildError extends Error {
  override name = 'ChaincodeBuildError';
}

export interface BuildOptions {
  /** Where to write the module; default `<dir>/build/<folder name>.wasm`. */
  outFile?: string;
  /** asconfig.json target; default "release". */
  target?: 'release' | 'debug';
}

export interface BuildResult {
  wasm: Uint8Array;
  outFile: string;
  /** Compiler diagnostics (warnings), if any. */
  diagnostics: string;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The entry file of a chaincode folder. */
export async function findEntry(dir: string): Promise<string> {
  for (const candidate of [join(dir, 'index.ts'), join(dir, 'assembly', 'index.ts')]) {
    if (await isFile(candidate)) return candidate;
  }
  throw new ChaincodeBuildError(`No chaincode entry in ${dir}: expected index.ts or assembly/index.ts`);
}

/** Compiles a chaincode folder; throws ChaincodeBuildError with the compiler's messages on failure. */
export async function buildChaincode(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const folder = resolve(dir);
  const entry = await findEntry(folder);
  const outFile = resolve(options.outFile ?? join(folder, 'build', `${basename(folder)}.wasm`));
  const { default: asc } = await import('assemblyscript/asc');
  const outputs = new Map<string, Uint8Array | string>();
  let diagnostics = '';
  const sink = {
    write(chunk: string | Uint8Array): boolean {
      diagnostics += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
      return true;
    },
  };
  const args = [
    entry,
    '--config', join(WEFT_ROOT, 'asconfig.json'),
    '--target', options.target ?? 'release',
    '--path', WEFT_ROOT,
    '--outFile', 'chaincode.wasm',
    '--baseDir', folder,
  ];
  const { error } = await asc.main(args, {
    stdout: sink,
    stderr: sink,
    writeFile: (name: string, contents: Uint8Array | string) => {
      outputs.set(name, contents);
    },
  });
  const wasm = outputs.get('chaincode.wasm');
  if (error || !(wasm instanceof Uint8Array)) {
    throw new ChaincodeBuildError(`asc failed for ${folder}:\n${diagnostics || String(error)}`);
  }
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, wasm);
  return { wasm, outFile, diagnostics };
}

/** Reads a chaincode given as a folder (built now) or a `.wasm` file. */
export async function loadChaincodeCode(path: string): Promise<Uint8Array> {
  if (path.endsWith('.wasm')) return new Uint8Array(await readFile(path));
  return (await buildChaincode(path)).wasm;
}
