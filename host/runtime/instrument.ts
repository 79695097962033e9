// Rewrites a checked chaincode module so the host can bound and reuse it:
// - fuel: a module-owned i32 counter charged at every function entry and loop header with the
//   static cost code-policy.ts measured, plus dynamic charges for memory.grow/copy/fill; below
//   zero the module traps (`unreachable`) with the counter negative, so the host can tell;
// - call depth: a weighted frame counter checked at entry, traps above CALL_DEPTH_UNITS_MAX;
// - memory: becomes the import weft.memory, so the host sets its size and hard maximum; a
//   failed memory.grow sets a flag the host reads to report "memory limit exceeded";
// - reuse: every store records its address in one of two marks (the highest address written
//   in the lower half of the initial memory, the lowest in the upper half: AssemblyScript's
//   allocator writes at both ends) so restoring a snapshot copies only what may have changed;
//   mutable globals are exported for snapshot/restore; the start function becomes an export the
//   host calls after it has set the fuel.
// The rewrite is a pure function of the module's bytes and this file: consensus-relevant.
import { binaryen, C, ExpressionId } from './binaryen-api.ts';
import type { CodeFacts, FunctionPlan } from './code-policy.ts';
import { childrenOf, isKnownExpression, setChildOf } from './expression-tree.ts';
import { ABI_MODULE } from './abi.ts';
import {
  CALL_DEPTH_UNITS_MAX,
  FUEL_PER_INSTRUCTION,
  FUEL_PER_MEMORY_PAGE,
  MEMORY_COPY_BYTES_PER_FUEL,
  MEMORY_PAGES_MAX,
} from '../protocol/limits.ts';

type Ref = number;

/** Names of what instrumentation adds to a module's exports and imports. */
export const Instrumented = {
  FUEL: 'weft_fuel',
  DEPTH: 'weft_depth',
  /** Highest address written below the split (bulk operations and the host: their end). */
  LOW_MARK: 'weft_low',
  /** Lowest address written at or above the split; 0xFFFFFFFF when none. */
  HIGH_MARK: 'weft_high',
  FLAGS: 'weft_flags',
  START: 'weft_start',
  SNAPSHOT_GLOBAL_PREFIX: 'weft_g',
  MEMORY_IMPORT: 'memory',
} as const;

/** Bit of weft_flags set when a memory.grow failed (the memory reached its maximum). */
export const FLAG_MEMORY_GROW_FAILED = 1;

export type FloatPolicy = 'reject' | 'canonicalize';

export interface InstrumentOptions {
  /** Fuel and call-depth counting; off only to measure their cost (bench), never on a network. */
  metering: boolean;
  floats: FloatPolicy;
  /** Address dividing the two write marks (half the initial memory). */
  markSplit: number;
  /** Make the memory the import weft.memory (default). Off for component cores, whose memory the glue reads. */
  importMemory?: boolean;
}

/** Value of the high mark when nothing above the split was written. */
export const HIGH_MARK_NONE = -1;

interface CounterNames {
  fuel: string;
  depth: string;
  lowMark: string;
  highMark: string;
  flags: string;
}

export interface InstrumentResult {
  /** Export names of the module's own mutable globals, in order. */
  snapshotGlobals: string[];
  hasStart: boolean;
}

const COPY_COST_SHIFT = Math.log2(MEMORY_COPY_BYTES_PER_FUEL);
if (!Number.isInteger(COPY_COST_SHIFT)) throw new Error('MEMORY_COPY_BYTES_PER_FUEL must be a power of two');
const WASM_PAGE_BYTES = 65_536;
/** Highest charge of one memory.copy/fill: a larger size exceeds any memory and traps. */
const BULK_UNITS_MAX = Math.ceil((MEMORY_PAGES_MAX * WASM_PAGE_BYTES + 1) / MEMORY_COPY_BYTES_PER_FUEL);

const ops = binaryen as unknown as Record<string, number>;
const REINTERPRET_FLOAT = new Set([ops['ReinterpretFloat32'], ops['ReinterpretFloat64']]);
const COPYSIGN = new Set([ops['CopySignFloat32'], ops['CopySignFloat64']]);

function uniqueGlobalName(module: binaryen.Module, wanted: string): string {
  let name = wanted;
  for (let i = 1; module.getGlobal(name) !== 0; i++) name = `${wanted}${i}`;
  return name;
}

class FunctionRewriter {
  readonly #m: binaryen.Module;
  readonly #plan: FunctionPlan;
  readonly #options: InstrumentOptions;
  readonly #names: CounterNames;
  #storeTemp = -1;

  constructor(m: binaryen.Module, plan: FunctionPlan, options: InstrumentOptions, names: CounterNames) {
    this.#m = m;
    this.#plan = plan;
    this.#options = options;
    this.#names = names;
  }

  run(): void {
    const ref = this.#plan.ref;
    const body = this.#rewrite(C._BinaryenFunctionGetBody(ref));
    C._BinaryenFunctionSetBody(ref, this.#options.metering ? this.#wrapBody(body) : body);
  }

  #newLocal(type: number): number {
    return C._BinaryenFunctionAddVar(this.#plan.ref, type);
  }

  /** fuel -= units; trap if negative. */
  #charge(units: Ref): Ref {
    const m = this.#m;
    const fuel = this.#names.fuel;
    return m.block(null, [
      m.global.set(fuel, m.i32.sub(m.global.get(fuel, binaryen.i32), units)),
      m.if(m.i32.lt_s(m.global.get(fuel, binaryen.i32), m.i32.const(0)), m.unreachable()),
    ]);
  }

  /** lowMark = max(lowMark, end), unsigned: for writes whose end is known. */
  #raiseLowMark(end: () => Ref): Ref {
    const m = this.#m;
    const low = this.#names.lowMark;
    return m.if(m.i32.gt_u(end(), m.global.get(low, binaryen.i32)), m.global.set(low, end()));
  }

  /** Records a store's base address in the mark of its half. */
  #markStore(address: () => Ref): Ref {
    const m = this.#m;
    const high = this.#names.highMark;
    return m.if(
      m.i32.lt_u(address(), m.i32.const(this.#options.markSplit)),
      this.#raiseLowMark(address),
      m.if(m.i32.lt_u(address(), m.global.get(high, binaryen.i32)), m.global.set(high, address())),
    );
  }

  #depthAdjust(delta: number): Ref {
    const m = this.#m;
    const depth = this.#names.depth;
    return m.global.set(depth, m.i32.add(m.global.get(depth, binaryen.i32), m.i32.const(delta)));
  }

  #wrapBody(body: Ref): Ref {
    const m = this.#m;
    const { weight, entryCost } = this.#plan;
    const depth = this.#names.depth;
    const prologue = [
      this.#depthAdjust(weight),
      m.if(m.i32.gt_u(m.global.get(depth, binaryen.i32), m.i32.const(CALL_DEPTH_UNITS_MAX)), m.unreachable()),
      this.#charge(m.i32.const(entryCost)),
    ];
    const results = binaryen.getFunctionInfo(this.#plan.ref).results;
    if (results === binaryen.none) return m.block(null, [...prologue, body, this.#depthAdjust(-weight)], binaryen.none);
    const result = this.#newLocal(results);
    return m.block(null, [...prologue, m.local.set(result, body), this.#depthAdjust(-weight), m.local.get(result, results)], results);
  }

  /** Rewrites e's subtree (children first) and returns what replaces e. */
  #rewrite(e: Ref): Ref {
    const id = C._BinaryenExpressionGetId(e);
    if (!isKnownExpression(id)) throw new Error(`instrumenter met an unchecked expression id ${id}`);
    const children = childrenOf(e, id);
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as Ref;
      if (child === 0) continue;
      const replaced = this.#rewrite(child);
      if (replaced !== child) setChildOf(e, id, i, replaced);
    }
    const m = this.#m;
    const metering = this.#options.metering;
    switch (id) {
      case ExpressionId.Loop: {
        if (!metering) return e;
        const cost = this.#plan.loopCosts.get(e) ?? 1;
        C._BinaryenLoopSetBody(e, m.block(null, [this.#charge(m.i32.const(cost)), C._BinaryenLoopGetBody(e)], binaryen.auto));
        return e;
      }
      case ExpressionId.Store: {
        if (this.#options.floats === 'canonicalize') this.#canonicalizeStoreValue(e);
        if (this.#storeTemp < 0) this.#storeTemp = this.#newLocal(binaryen.i32);
        const temp = this.#storeTemp;
        // The address is fully computed before the value expression runs, so one temp per function suffices.
        C._BinaryenStoreSetPtr(e, m.block(null, [
          m.local.set(temp, C._BinaryenStoreGetPtr(e)),
          this.#markStore(() => m.local.get(temp, binaryen.i32)),
          m.local.get(temp, binaryen.i32),
        ], binaryen.i32));
        return e;
      }
      case ExpressionId.MemoryCopy:
      case ExpressionId.MemoryFill:
        return this.#bulk(e, id);
      case ExpressionId.MemoryGrow:
        return this.#grow(e);
      case ExpressionId.Return:
        return metering ? this.#return(e) : e;
      case ExpressionId.Unary:
        if (this.#options.floats === 'canonicalize' && REINTERPRET_FLOAT.has(C._BinaryenUnaryGetOp(e))) {
          C._BinaryenUnarySetValue(e, this.#canonicalNaN(C._BinaryenUnaryGetValue(e)));
        }
        return e;
      case ExpressionId.Binary:
        if (this.#options.floats === 'canonicalize' && COPYSIGN.has(C._BinaryenBinaryGetOp(e))) {
          C._BinaryenBinarySetRight(e, this.#canonicalNaN(C._BinaryenBinaryGetRight(e)));
        }
        return e;
      case ExpressionId.GlobalSet:
        if (this.#options.floats === 'canonicalize') C._BinaryenGlobalSetSetValue(e, this.#canonicalNaN(C._BinaryenGlobalSetGetValue(e)));
        return e;
      default:
        return e;
    }
  }

  #bulk(e: Ref, id: number): Ref {
    const m = this.#m;
    const isCopy = id === ExpressionId.MemoryCopy;
    const [dest, second, size] = childrenOf(e, id) as [Ref, Ref, Ref];
    const d = this.#newLocal(binaryen.i32);
    const s = this.#newLocal(binaryen.i32);
    const n = this.#newLocal(binaryen.i32);
    const get = (local: number): Ref => m.local.get(local, binaryen.i32);
    const parts = [m.local.set(d, dest), m.local.set(s, second), m.local.set(n, size)];
    if (this.#options.metering) {
      // Clamped so the charge fits the i32 counter; a size beyond the memory traps anyway.
      const units = m.i32.shr_u(get(n), m.i32.const(COPY_COST_SHIFT));
      const clamped = m.select(m.i32.gt_u(units, m.i32.const(BULK_UNITS_MAX)), m.i32.const(BULK_UNITS_MAX), m.i32.shr_u(get(n), m.i32.const(COPY_COST_SHIFT)));
      parts.push(this.#charge(m.i32.add(clamped, m.i32.const(FUEL_PER_INSTRUCTION))));
    }
    // If dest + size wraps, the operation traps before writing, so the mark need not cover it.
    parts.push(this.#raiseLowMark(() => m.i32.add(get(d), get(n))));
    parts.push(isCopy ? m.memory.copy(get(d), get(s), get(n)) : m.memory.fill(get(d), get(s), get(n)));
    return m.block(null, parts, binaryen.none);
  }

  #grow(e: Ref): Ref {
    const m = this.#m;
    const pages = this.#newLocal(binaryen.i32);
    const result = this.#newLocal(binaryen.i32);
    const getPages = (): Ref => m.local.get(pages, binaryen.i32);
    const parts = [m.local.set(pages, C._BinaryenMemoryGrowGetDelta(e))];
    if (this.#options.metering) {
      // Clamped so the charge fits the i32 counter; a request above the maximum fails anyway.
      const chargedPages = m.select(
        m.i32.gt_u(getPages(), m.i32.const(MEMORY_PAGES_MAX + 1)),
        m.i32.const(MEMORY_PAGES_MAX + 1),
        getPages(),
      );
      parts.push(this.#charge(m.i32.add(m.i32.mul(chargedPages, m.i32.const(FUEL_PER_MEMORY_PAGE)), m.i32.const(FUEL_PER_INSTRUCTION))));
    }
    const flags = this.#names.flags;
    parts.push(
      m.local.set(result, m.memory.grow(getPages())),
      m.if(
        m.i32.eq(m.local.get(result, binaryen.i32), m.i32.const(-1)),
        m.global.set(flags, m.i32.or(m.global.get(flags, binaryen.i32), m.i32.const(FLAG_MEMORY_GROW_FAILED))),
      ),
      m.local.get(result, binaryen.i32),
    );
    return m.block(null, parts, binaryen.i32);
  }

  #return(e: Ref): Ref {
    const m = this.#m;
    const weight = this.#plan.weight;
    const value = C._BinaryenReturnGetValue(e);
    if (value === 0) return m.block(null, [this.#depthAdjust(-weight), m.return()], binaryen.unreachable);
    const type = C._BinaryenExpressionGetType(value);
    if (type === binaryen.unreachable) return e;
    const temp = this.#newLocal(type);
    C._BinaryenReturnSetValue(e, m.block(null, [m.local.set(temp, value), this.#depthAdjust(-weight), m.local.get(temp, type)], type));
    return e;
  }

  #canonicalizeStoreValue(e: Ref): void {
    C._BinaryenStoreSetValue(e, this.#canonicalNaN(C._BinaryenStoreGetValue(e)));
  }

  /** v == v ? v : canonical NaN, for a float v; other values unchanged. */
  #canonicalNaN(value: Ref): Ref {
    const type = C._BinaryenExpressionGetType(value);
    if (type !== binaryen.f32 && type !== binaryen.f64) return value;
    const m = this.#m;
    const temp = this.#newLocal(type);
    const get = (): Ref => m.local.get(temp, type);
    const float = type === binaryen.f64 ? m.f64 : m.f32;
    // select evaluates ifTrue, ifFalse, then the condition: the temp is set before it is compared.
    return m.select(float.eq(get(), get()), m.block(null, [m.local.set(temp, value), get()], type), float.const(Number.NaN));
  }
}

/** Instruments a module that passed module-policy.ts and code-policy.ts, in place. */
export function instrument(module: binaryen.Module, code: CodeFacts, options: InstrumentOptions): InstrumentResult {
  const originalGlobals: string[] = [];
  for (let i = 0; i < module.getNumGlobals(); i++) {
    const info = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
    if (info.mutable) originalGlobals.push(info.name);
  }

  const names: CounterNames = {
    fuel: uniqueGlobalName(module, 'weft$fuel'),
    depth: uniqueGlobalName(module, 'weft$depth'),
    lowMark: uniqueGlobalName(module, 'weft$low'),
    highMark: uniqueGlobalName(module, 'weft$high'),
    flags: uniqueGlobalName(module, 'weft$flags'),
  };
  const counters: Array<[string, string, number]> = [
    [names.lowMark, Instrumented.LOW_MARK, 0],
    [names.highMark, Instrumented.HIGH_MARK, HIGH_MARK_NONE],
    [names.flags, Instrumented.FLAGS, 0],
  ];
  if (options.metering) counters.push([names.fuel, Instrumented.FUEL, 0], [names.depth, Instrumented.DEPTH, 0]);
  for (const [internal, exported, initial] of counters) {
    module.addGlobal(internal, binaryen.i32, true, module.i32.const(initial));
    module.addGlobalExport(internal, exported);
  }

  for (const plan of code.functions) new FunctionRewriter(module, plan, options, names).run();

  const snapshotGlobals = originalGlobals.map((name, i) => {
    const exported = `${Instrumented.SNAPSHOT_GLOBAL_PREFIX}${i}`;
    module.addGlobalExport(name, exported);
    return exported;
  });

  const start = C._BinaryenGetStart(moduleExtrasPtr(module));
  if (start !== 0) {
    module.addFunctionExport(binaryen.getFunctionInfo(start).name, Instrumented.START);
    C._BinaryenSetStart(moduleExtrasPtr(module), 0);
  }

  if (options.importMemory ?? true) {
    const memoryName = binaryen.getExportInfo(module.getExport('memory')).value;
    module.addMemoryImport(memoryName, ABI_MODULE, Instrumented.MEMORY_IMPORT);
  }
  return { snapshotGlobals, hasStart: start !== 0 };
}

function moduleExtrasPtr(module: binaryen.Module): number {
  return (module as unknown as { ptr: number }).ptr;
}
