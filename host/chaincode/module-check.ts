// Build-time checks of a compiled chaincode module against the host ABI, so an author learns at
// `npm run build` what the peer would reject at deploy: imports outside host/runtime/abi.ts (or
// with the wrong signature), missing required exports, and float instructions (AssemblyScript's
// parseInt/parseFloat/Math/Date pull them in). The deploy-time validator stays the authority.
import binaryen from 'binaryen';
import { ABI_FUNCTIONS, ABI_MODULE, ENV_ABORT, REQUIRED_EXPORTS, type AbiFunctionName } from '../runtime/abi.ts';

/** At most this many float instructions are quoted in a report. */
const FLOAT_SAMPLES_MAX = 5;

export interface ModuleCheckReport {
  /** Problems with imports and exports, one sentence each. */
  abiProblems: string[];
  /** Up to FLOAT_SAMPLES_MAX float instructions as `function: instruction`. */
  floatSamples: string[];
  /** Total number of instructions or declarations involving f32/f64. */
  floatCount: number;
  imports: string[];
}

function isAbiFunction(name: string): name is AbiFunctionName {
  return Object.hasOwn(ABI_FUNCTIONS, name);
}

function typeList(type: number): string[] {
  return binaryen.expandType(type).map((t) => (t === binaryen.i32 ? 'i32' : t === binaryen.i64 ? 'i64' : t === binaryen.f32 ? 'f32' : t === binaryen.f64 ? 'f64' : `type#${t}`));
}

function checkImport(module: string, base: string, params: string[], results: string[]): string | undefined {
  const label = `${module}.${base}`;
  if (module === ABI_MODULE) {
    if (!isAbiFunction(base)) return `imports ${label}, which is not a function of the weft ABI v1 (host/runtime/abi.ts)`;
    const expected = ABI_FUNCTIONS[base];
    const expectedResults = expected.result === 'void' ? [] : ['i32'];
    const ok = params.length === expected.params.length && params.every((p) => p === 'i32') && results.join() === expectedResults.join();
    if (!ok) return `imports ${label} as (${params.join(', ')}) -> (${results.join(', ')}), the ABI requires (${expected.params.map(() => 'i32').join(', ')}) -> (${expectedResults.join(', ')})`;
    return undefined;
  }
  if (module === ENV_ABORT.module && base === ENV_ABORT.name) {
    if (params.length !== ENV_ABORT.params.length || params.some((p) => p !== 'i32') || results.length !== 0) {
      return `imports env.abort with signature (${params.join(', ')}) -> (${results.join(', ')})`;
    }
    return undefined;
  }
  const hint = module === 'env' && base === 'seed' ? ' (Math.random)' : module === 'env' && base.startsWith('Date') ? ' (Date)' : '';
  return `imports ${label}${hint}: only weft.* and env.abort are allowed`;
}

/** Strips names and strings from a line of binaryen's text format so only instructions remain. */
function instructionText(line: string): string {
  return line.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\$[^\s()]+/g, '$');
}

/** Checks a compiled chaincode module; never throws on a well-formed module. */
export function checkModule(wasm: Uint8Array): ModuleCheckReport {
  const report: ModuleCheckReport = { abiProblems: [], floatSamples: [], floatCount: 0, imports: [] };
  const module = binaryen.readBinary(wasm);
  try {
    for (let i = 0; i < module.getNumFunctions(); i++) {
      const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
      if (info.module) {
        report.imports.push(`${info.module}.${info.base}`);
        const problem = checkImport(info.module, info.base ?? '', typeList(info.params), typeList(info.results));
        if (problem !== undefined) report.abiProblems.push(problem);
      }
    }
    for (let i = 0; i < module.getNumGlobals(); i++) {
      const g = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
      if (g.module) report.abiProblems.push(`imports ${g.module}.${g.base} (a global): only functions may be imported`);
    }
    for (let i = 0; i < module.getNumTables(); i++) {
      const t = binaryen.getTableInfo(module.getTableByIndex(i));
      if (t.module) report.abiProblems.push(`imports ${t.module}.${t.base} (a table): only functions may be imported`);
    }
    if (module.hasMemory()) {
      const m = module.getMemoryInfo();
      if (m.module) report.abiProblems.push(`imports its memory ${m.module}.${m.base}: the module must define and export it`);
    }
    const exported = new Set<string>();
    for (let i = 0; i < module.getNumExports(); i++) exported.add(binaryen.getExportInfo(module.getExportByIndex(i)).name);
    for (const name of REQUIRED_EXPORTS) {
      if (!exported.has(name)) report.abiProblems.push(`does not export "${name}" (add: export * from "sdk-as/exports")`);
    }

    let current = '';
    for (const line of module.emitText().split('\n')) {
      const fn = /^ \(func \$(\S+)/.exec(line);
      if (fn) current = fn[1] ?? '';
      if (line.startsWith(' (data')) continue;
      const text = instructionText(line);
      if (/f(32|64)/.test(text)) {
        report.floatCount++;
        if (report.floatSamples.length < FLOAT_SAMPLES_MAX) report.floatSamples.push(`${current || '(module)'}: ${text.trim()}`);
      }
    }
  } finally {
    module.dispose();
  }
  return report;
}

/** The report as lines for a build failure, or [] if the module is fine. */
export function describeProblems(report: ModuleCheckReport): string[] {
  const lines = report.abiProblems.map((p) => `  - ${p}`);
  if (report.floatCount > 0) {
    lines.push(`  - uses floating point (${report.floatCount} instructions; the host rejects floats). First: ${report.floatSamples.join(' | ')}`);
    lines.push('    Common causes: parseInt/parseFloat/I64.parseInt (use atoi/parseI64 from sdk-as), Math.*, Date, f64 arithmetic.');
  }
  return lines;
}
