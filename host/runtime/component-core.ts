// Deploy-time checks and instrumentation of the core module inside a component chaincode (the
// optional component-model path, docs/wit/weft-chaincode.wit). The same code policy and fuel
// and depth instrumentation as the raw path; what differs: the imports are the WIT interface
// `weft:chaincode/stub@1.0.0` (wit-component checks their signatures), the exports follow the
// canonical ABI (cabi_realloc), and the memory stays the module's own because the generated
// glue reads it, so the module must declare a maximum within MEMORY_PAGES_MAX itself.
import { ABI_FUNCTIONS, ENTRY_POINTS } from './abi.ts';
import { binaryen } from './binaryen-api.ts';
import { analyzeCode } from './code-policy.ts';
import { instrument } from './instrument.ts';
import { checkCounts, checkData, checkGlobals, definedMemoryCount, RESERVED_EXPORT_PREFIX } from './module-policy.ts';
import { compileModule, OUTPUT_FEATURES, readWithBinaryen } from './prepare.ts';
import { PrepareError, quoteName } from './prepare-error.ts';
import { MEMORY_PAGES_MAX, MODULE_BYTES_MAX } from '../protocol/limits.ts';

/** The WIT interface a component chaincode imports. */
export const STUB_INTERFACE = 'weft:chaincode/stub@1.0.0';

/** Functions of the stub interface: ABI v1's, minus the return register and set_result (the export's result replaces them). */
export const STUB_FUNCTIONS: readonly string[] = Object.keys(ABI_FUNCTIONS)
  .filter((name) => name !== 'ret_len' && name !== 'ret_read' && name !== 'set_result')
  .map((name) => name.replaceAll('_', '-'));

const REQUIRED_CORE_EXPORTS = ['memory', 'cabi_realloc', ...ENTRY_POINTS] as const;
const WASM_PAGE_BYTES = 65_536;

function checkCoreInterface(compiled: WebAssembly.Module, bytes: Uint8Array, module: binaryen.Module): { initial: number; maximum: number } {
  for (const imported of WebAssembly.Module.imports(compiled)) {
    const label = `${quoteName(imported.module)}.${quoteName(imported.name)}`;
    if (imported.kind !== 'function' || imported.module !== STUB_INTERFACE || !STUB_FUNCTIONS.includes(imported.name)) {
      throw new PrepareError(`forbidden import ${label} (${imported.kind}): a component chaincode imports only functions of ${STUB_INTERFACE}`);
    }
  }
  const exports = new Set(WebAssembly.Module.exports(compiled).map((e) => e.name));
  for (const name of REQUIRED_CORE_EXPORTS) {
    if (!exports.has(name)) throw new PrepareError(`missing export "${name}" (a component core requires ${REQUIRED_CORE_EXPORTS.join(', ')})`);
  }
  for (const name of exports) {
    if (name.startsWith(RESERVED_EXPORT_PREFIX)) throw new PrepareError(`export name "${quoteName(name)}" is reserved for the host (prefix ${RESERVED_EXPORT_PREFIX})`);
  }
  const count = definedMemoryCount(bytes);
  if (count !== 1) throw new PrepareError(`module must define exactly one memory, it defines ${count}`);
  const memory = module.getMemoryInfo();
  if (memory.shared || memory.is64) throw new PrepareError('shared or 64-bit memory is not allowed');
  if (memory.max === undefined || memory.max > MEMORY_PAGES_MAX) {
    throw new PrepareError(`a component chaincode must declare a memory maximum of at most ${MEMORY_PAGES_MAX} pages`);
  }
  return { initial: memory.initial, maximum: memory.max };
}

/** Checks and instruments a component chaincode's core module; returns the instrumented bytes. */
export function instrumentComponentCore(bytes: Uint8Array): Uint8Array {
  if (bytes.length > MODULE_BYTES_MAX) throw new PrepareError(`module of ${bytes.length} bytes exceeds MODULE_BYTES_MAX (${MODULE_BYTES_MAX})`);
  const compiled = compileModule(bytes);
  const module = readWithBinaryen(bytes);
  try {
    const memoryPages = checkCoreInterface(compiled, bytes, module);
    checkCounts(module);
    checkGlobals(module, false);
    checkData(module, memoryPages);
    const code = analyzeCode(module, false);
    instrument(module, code, { metering: true, floats: 'reject', markSplit: (memoryPages.initial * WASM_PAGE_BYTES) / 2, importMemory: false });
    module.setFeatures(OUTPUT_FEATURES);
    if (!module.validate()) throw new Error('instrumented module does not validate (instrumenter bug)');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}
