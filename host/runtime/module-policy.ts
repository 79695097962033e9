// Deploy-time rules a chaincode module must meet before it is instrumented: the imports of
// ABI v1 and nothing else, the required exports with their signatures, one private memory,
// the module size caps of limits.ts, and no passive data. Each rule fails with a deterministic
// message naming what broke it; rules run in a fixed order so the first failure is the same on
// every peer. Instruction-level rules (floats, SIMD, atomics…) live in code-policy.ts.
import { ABI_FUNCTIONS, ABI_MARKER_EXPORT, ABI_MODULE, ENTRY_POINTS, ENV_ABORT, REQUIRED_EXPORTS } from './abi.ts';
import { binaryen, moduleExtras } from './binaryen-api.ts';
import { PrepareError, quoteName } from './prepare-error.ts';
import {
  MEMORY_PAGES_INITIAL,
  MEMORY_PAGES_MAX,
  MODULE_DATA_SEGMENTS_MAX,
  MODULE_FUNCTIONS_MAX,
  MODULE_GLOBALS_MAX,
  MODULE_LOCALS_PER_FUNCTION_MAX,
  MODULE_TABLE_ELEMENTS_MAX,
} from '../protocol/limits.ts';

/** Export names starting with this belong to the host (counters, snapshot globals, start). */
export const RESERVED_EXPORT_PREFIX = 'weft_';

const WASM_PAGE_BYTES = 65_536;
const MEMORY_SECTION_ID = 5;

/** What the rest of prepare needs to know about a module that passed. */
export interface ModuleFacts {
  /** Pages the host gives the instance's memory: initial and the hard maximum. */
  memoryPages: { initial: number; maximum: number };
  /** End of the highest active data segment (bytes). */
  dataEnd: number;
}

/** Why an import is not allowed, for the usual suspects; otherwise a general reason. */
function forbiddenImportReason(module: string, name: string): string {
  if (module === 'env' && name === 'seed') return 'Math.random is not deterministic; use the SDK\'s transaction-seeded PRNG';
  if (name === 'Date.now' || name === 'Date' || name.startsWith('Date.')) return 'Date.now is not deterministic; use the transaction timestamp';
  if (name.startsWith('performance.')) return 'clocks are not deterministic; use the transaction timestamp';
  if (module.startsWith('wasi')) return 'WASI is not available to chaincode';
  if (module === 'env' && name === 'trace') return 'trace() is not available; use the log host function';
  if (module === ABI_MODULE) return 'not a function of the weft ABI v1';
  return `only ${ABI_MODULE}.* functions of ABI v1 and env.abort may be imported`;
}

function signatureText(params: readonly number[], result: number): string {
  const name = (t: number): string => typeName(t);
  return `(${params.map(name).join(', ')}) -> ${result === binaryen.none ? '()' : name(result)}`;
}

function typeName(type: number): string {
  switch (type) {
    case binaryen.i32: return 'i32';
    case binaryen.i64: return 'i64';
    case binaryen.f32: return 'f32';
    case binaryen.f64: return 'f64';
    case binaryen.v128: return 'v128';
    case binaryen.none: return '()';
    default: return 'ref';
  }
}

/** Expected (params, result) of an allowed import, or undefined if it is not allowed. */
function allowedSignature(module: string, name: string): { params: number[]; result: number } | undefined {
  if (module === ABI_MODULE && Object.hasOwn(ABI_FUNCTIONS, name)) {
    const fn = ABI_FUNCTIONS[name as keyof typeof ABI_FUNCTIONS];
    return { params: fn.params.map(() => binaryen.i32), result: fn.result === 'i32' ? binaryen.i32 : binaryen.none };
  }
  if (module === ENV_ABORT.module && name === ENV_ABORT.name) {
    return { params: ENV_ABORT.params.map(() => binaryen.i32), result: binaryen.none };
  }
  return undefined;
}

function checkImports(compiled: WebAssembly.Module, module: binaryen.Module): void {
  const signatures = new Map<string, { params: number[]; result: number }>();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module) signatures.set(`${info.module}\u0000${info.base}`, { params: binaryen.expandType(info.params), result: info.results });
  }
  for (const imported of WebAssembly.Module.imports(compiled)) {
    const label = `${quoteName(imported.module)}.${quoteName(imported.name)}`;
    const expected = allowedSignature(imported.module, imported.name);
    if (imported.kind !== 'function') {
      const reason = imported.kind === 'memory' ? 'chaincode must define its own memory' : forbiddenImportReason(imported.module, imported.name);
      throw new PrepareError(`forbidden import ${label} (${imported.kind}): ${reason}`);
    }
    if (expected === undefined) throw new PrepareError(`forbidden import ${label}: ${forbiddenImportReason(imported.module, imported.name)}`);
    const actual = signatures.get(`${imported.module}\u0000${imported.name}`);
    if (actual === undefined) throw new PrepareError(`import ${label} could not be read`);
    const same = actual.result === expected.result && actual.params.length === expected.params.length && actual.params.every((p, i) => p === expected.params[i]);
    if (!same) {
      throw new PrepareError(`import ${label} has signature ${signatureText(actual.params, actual.result)}, ABI v1 requires ${signatureText(expected.params, expected.result)}`);
    }
  }
}

function checkExports(compiled: WebAssembly.Module, module: binaryen.Module): void {
  const exports = new Map(WebAssembly.Module.exports(compiled).map((e) => [e.name, e.kind]));
  for (const name of REQUIRED_EXPORTS) {
    if (!exports.has(name)) throw new PrepareError(`missing export "${name}" (ABI v1 requires ${REQUIRED_EXPORTS.join(', ')})`);
  }
  if (exports.get('memory') !== 'memory') throw new PrepareError('export "memory" must be the module\'s memory');
  for (const entry of ENTRY_POINTS) {
    if (exports.get(entry) !== 'function') throw new PrepareError(`export "${entry}" must be a function () -> i32`);
    const internal = binaryen.getExportInfo(module.getExport(entry)).value;
    const info = binaryen.getFunctionInfo(module.getFunction(internal));
    const params = binaryen.expandType(info.params);
    if (params.length !== 0 || info.results !== binaryen.i32) {
      throw new PrepareError(`export "${entry}" has signature ${signatureText(params, info.results)}, ABI v1 requires () -> i32`);
    }
  }
  for (const name of exports.keys()) {
    if (name.startsWith(RESERVED_EXPORT_PREFIX) && name !== ABI_MARKER_EXPORT) {
      throw new PrepareError(`export name "${quoteName(name)}" is reserved for the host (prefix ${RESERVED_EXPORT_PREFIX})`);
    }
  }
}

/** Number of memories the module defines, read from its memory section (binaryen.js cannot count them). */
export function definedMemoryCount(bytes: Uint8Array): number {
  let offset = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[offset++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (offset < bytes.length) {
    const id = bytes[offset++] as number;
    const size = leb();
    if (id === MEMORY_SECTION_ID) return leb();
    offset += size;
  }
  return 0;
}

function checkMemory(bytes: Uint8Array, module: binaryen.Module): ModuleFacts['memoryPages'] {
  const count = definedMemoryCount(bytes);
  if (count !== 1) throw new PrepareError(`module must define exactly one memory, it defines ${count}`);
  const memory = module.getMemoryInfo();
  if (memory.shared) throw new PrepareError('shared memory (threads) is not allowed');
  if (memory.is64) throw new PrepareError('64-bit memory is not allowed');
  if (memory.initial > MEMORY_PAGES_MAX) {
    throw new PrepareError(`memory of ${memory.initial} initial pages exceeds the maximum of ${MEMORY_PAGES_MAX}`);
  }
  // The module's own maximum is honoured when it is lower than the network's.
  const maximum = Math.min(memory.max ?? MEMORY_PAGES_MAX, MEMORY_PAGES_MAX);
  const initial = Math.max(memory.initial, Math.min(MEMORY_PAGES_INITIAL, maximum));
  return { initial, maximum };
}

export function checkCounts(module: binaryen.Module): void {
  const functions = module.getNumFunctions();
  if (functions > MODULE_FUNCTIONS_MAX) throw new PrepareError(`${functions} functions exceed the maximum of ${MODULE_FUNCTIONS_MAX}`);
  for (let i = 0; i < functions; i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module) continue;
    const locals = binaryen.expandType(info.params).length + info.vars.length;
    if (locals > MODULE_LOCALS_PER_FUNCTION_MAX) {
      throw new PrepareError(`function $${quoteName(info.name)} has ${locals} locals, the maximum is ${MODULE_LOCALS_PER_FUNCTION_MAX}`);
    }
  }
  const globals = module.getNumGlobals();
  if (globals > MODULE_GLOBALS_MAX) throw new PrepareError(`${globals} globals exceed the maximum of ${MODULE_GLOBALS_MAX}`);
  const tables = module.getNumTables();
  if (tables > 1) throw new PrepareError(`module defines ${tables} tables, at most 1 is allowed (reference types are not)`);
  if (tables === 1) {
    const table = binaryen.getTableInfo(module.getTableByIndex(0));
    const size = Math.max(table.initial, table.max ?? 0);
    if (size > MODULE_TABLE_ELEMENTS_MAX) throw new PrepareError(`table of ${size} elements exceeds the maximum of ${MODULE_TABLE_ELEMENTS_MAX}`);
  }
}

export function checkData(module: binaryen.Module, memoryPages: ModuleFacts['memoryPages']): number {
  const extras = moduleExtras(module);
  const count = extras.getNumDataSegments();
  if (count > MODULE_DATA_SEGMENTS_MAX) throw new PrepareError(`${count} data segments exceed the maximum of ${MODULE_DATA_SEGMENTS_MAX}`);
  let dataEnd = 0;
  for (let i = 0; i < count; i++) {
    const segment = extras.getDataSegmentInfo(extras.getDataSegmentByIndex(i));
    // A passive segment can be dropped, and a dropped segment stays dropped in a reused instance.
    if (segment.passive || segment.offset === null) throw new PrepareError(`passive data segment ${i} is not allowed (instances are reused)`);
    const end = (segment.offset >>> 0) + segment.data.byteLength;
    if (end > memoryPages.initial * WASM_PAGE_BYTES) throw new PrepareError(`data segment ${i} ends at byte ${end}, beyond the initial memory`);
    dataEnd = Math.max(dataEnd, end);
  }
  return dataEnd;
}

export function checkGlobals(module: binaryen.Module, allowFloats: boolean): void {
  for (let i = 0; i < module.getNumGlobals(); i++) {
    const info = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
    const type = info.type;
    if (type === binaryen.i32 || type === binaryen.i64) continue;
    if ((type === binaryen.f32 || type === binaryen.f64) && allowFloats) continue;
    const what = type === binaryen.f32 || type === binaryen.f64 ? 'floats are not allowed' : `${typeName(type)} globals are not allowed`;
    throw new PrepareError(`global $${quoteName(info.name)} has type ${typeName(type)}: ${what}`);
  }
}

/** Runs the module-level rules in order; throws PrepareError at the first one broken. */
export function checkModule(bytes: Uint8Array, compiled: WebAssembly.Module, module: binaryen.Module, allowFloats: boolean): ModuleFacts {
  checkImports(compiled, module);
  checkExports(compiled, module);
  const memoryPages = checkMemory(bytes, module);
  checkCounts(module);
  checkGlobals(module, allowFloats);
  const dataEnd = checkData(module, memoryPages);
  return { memoryPages, dataEnd };
}
