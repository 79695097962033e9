// Instruction-level rules and the cost analysis behind fuel metering, in one read-only pass over
// every function body (function index order, parent before children, so the first violation
// named is the same on every peer). Allowed: MVP, sign extension, memory.copy/fill. Rejected:
// floats (by default), SIMD, atomics, reference types, exceptions, tail calls, multi-value, GC,
// memory.init/data.drop. The pass also measures, per function, the static fuel cost of each
// straight-line region (the body outside loops, and each loop body) and the frame weight.
import { binaryen, C, ExpressionId, expressionIdNames } from './binaryen-api.ts';
import { childrenOf, isFreeControl, isKnownExpression } from './expression-tree.ts';
import { PrepareError, quoteName } from './prepare-error.ts';
import {
  FUEL_PER_CALL,
  FUEL_PER_DIVISION,
  FUEL_PER_INDIRECT_CALL,
  FUEL_PER_INSTRUCTION,
  FUEL_PER_LOOP_ITERATION,
  FUEL_PER_MEMORY_ACCESS,
  MODULE_EXPRESSION_DEPTH_MAX,
} from '../protocol/limits.ts';

type Ref = number;

/** What instrumentation needs to know about one defined function. */
export interface FunctionPlan {
  ref: Ref;
  name: string;
  /** Fuel of the body outside loops plus FUEL_PER_CALL, charged at entry. */
  entryCost: number;
  /** Fuel of each loop body outside nested loops plus FUEL_PER_LOOP_ITERATION, charged at the loop header. */
  loopCosts: Map<Ref, number>;
  /** Frame weight for the call-depth budget: 1 + ceil((params + locals + operand stack height) / 8). */
  weight: number;
}

export interface CodeFacts {
  functions: FunctionPlan[];
  /** Largest static offset + width of any store: the slack above a store's base address. */
  storeReachMax: number;
  /** Number of expressions that produce or consume floats (0 unless floats are allowed). */
  floatOperations: number;
}

const FRAME_SLOTS_PER_UNIT = 8;

const operations = binaryen as unknown as Record<string, number>;
const DIVISIONS = new Set(['DivSInt32', 'DivUInt32', 'RemSInt32', 'RemUInt32', 'DivSInt64', 'DivUInt64', 'RemSInt64', 'RemUInt64'].map((name) => operations[name]));

/** Static fuel of one expression, without its children. */
function fuelOf(e: Ref, id: number): number {
  if (isFreeControl(id)) return 0;
  if (id === ExpressionId.Load || id === ExpressionId.Store) return FUEL_PER_MEMORY_ACCESS;
  if (id === ExpressionId.CallIndirect) return FUEL_PER_INDIRECT_CALL;
  if (id === ExpressionId.Binary && DIVISIONS.has(C._BinaryenBinaryGetOp(e))) return FUEL_PER_DIVISION;
  return FUEL_PER_INSTRUCTION;
}

const ID_NAMES = expressionIdNames();

/** The proposal an expression kind outside ABI v1 belongs to, for the message. */
function featureOf(id: number): string {
  const name = ID_NAMES.get(id) ?? '';
  if (name.startsWith('SIMD')) return 'SIMD';
  if (name.startsWith('Atomic') || name === 'Pause') return 'threads (atomics)';
  if (name === 'MemoryInit' || name === 'DataDrop') return 'passive data (memory.init/data.drop)';
  if (name.startsWith('Try') || name.startsWith('Throw') || name === 'Rethrow') return 'exception handling';
  if (name.startsWith('Tuple') || name === 'Pop') return 'multi-value';
  if (/^(Struct|Array|RefI31|I31|BrOn|RefTest|RefCast|String|RefAs)/.test(name)) return 'GC';
  if (/^(Ref|Table|ElemDrop|CallRef)/.test(name)) return 'reference types';
  if (/^(Suspend|Resume|Cont|StackSwitch)/.test(name)) return 'stack switching';
  return 'an unsupported proposal';
}

/** The text name of an expression's instruction, e.g. "f64.add". */
function opName(e: Ref): string {
  const text = binaryen.emitText(e);
  const match = /^\(?\s*([a-z0-9_.]+)/.exec(text.trimStart());
  return match ? (match[1] as string) : 'instruction';
}

function isFloat(type: number): boolean {
  return type === binaryen.f32 || type === binaryen.f64;
}

/** Why a value type is not allowed, or undefined if it is. */
function typeProblem(type: number, allowFloats: boolean): string | undefined {
  if (type === binaryen.i32 || type === binaryen.i64 || type === binaryen.none || type === binaryen.unreachable) return undefined;
  if (isFloat(type)) return allowFloats ? undefined : 'floating point';
  if (type === binaryen.v128) return 'SIMD';
  if (binaryen.expandType(type).length > 1) return 'multi-value';
  return 'reference types';
}

function rejectInstruction(feature: string, e: Ref, fn: string): never {
  const why = feature === 'floating point' ? ' (floats are not deterministic across CPUs)' : '';
  throw new PrepareError(`${feature} instruction ${opName(e)} in function $${fn} is not allowed${why}`);
}

function analyzeFunction(ref: Ref, allowFloats: boolean, facts: { storeReachMax: number; floatOperations: number }): FunctionPlan {
  const info = binaryen.getFunctionInfo(ref);
  const name = quoteName(info.name);
  const params = binaryen.expandType(info.params);
  for (const [what, types] of [['parameter', params], ['result', binaryen.expandType(info.results)], ['local', info.vars]] as const) {
    for (const type of types) {
      const problem = typeProblem(type, allowFloats);
      if (problem !== undefined) throw new PrepareError(`function $${name} has a ${binaryen.expandType(type).length > 1 ? 'tuple' : typeLabel(type)} ${what}: ${problem} is not allowed`);
    }
  }
  if (binaryen.expandType(info.results).length > 1) throw new PrepareError(`function $${name} returns several values: multi-value is not allowed`);

  const loopCosts = new Map<Ref, number>();
  let stackHeightMax = 0;

  // Returns [fuel cost of e within its region, operand stack height e needs].
  const visit = (e: Ref, depth: number): [number, number] => {
    if (depth > MODULE_EXPRESSION_DEPTH_MAX) {
      throw new PrepareError(`function $${name} nests expressions deeper than ${MODULE_EXPRESSION_DEPTH_MAX}`);
    }
    const id = C._BinaryenExpressionGetId(e);
    if (!isKnownExpression(id)) rejectInstruction(featureOf(id), e, name);
    const type = C._BinaryenExpressionGetType(e);
    const ownProblem = typeProblem(type, allowFloats);
    if (ownProblem !== undefined) rejectInstruction(ownProblem, e, name);
    if ((id === ExpressionId.Load && C._BinaryenLoadIsAtomic(e)) || (id === ExpressionId.Store && C._BinaryenStoreIsAtomic(e))) {
      rejectInstruction('threads (atomics)', e, name);
    }
    if ((id === ExpressionId.Call && C._BinaryenCallIsReturn(e)) || (id === ExpressionId.CallIndirect && C._BinaryenCallIndirectIsReturn(e))) {
      rejectInstruction('tail call', e, name);
    }
    const children = childrenOf(e, id);
    // A float-typed result, or an operation that consumes floats (conversions, comparisons, stores).
    let usesFloat = isFloat(type);
    if (id === ExpressionId.Unary || id === ExpressionId.Binary || id === ExpressionId.Store) {
      for (const child of children) {
        if (isFloat(C._BinaryenExpressionGetType(child))) usesFloat = true;
      }
    }
    if (usesFloat) {
      if (!allowFloats) rejectInstruction('floating point', e, name);
      facts.floatOperations++;
    }
    if (id === ExpressionId.Store) {
      facts.storeReachMax = Math.max(facts.storeReachMax, C._BinaryenStoreGetOffset(e) + C._BinaryenStoreGetBytes(e));
    }

    let cost = fuelOf(e, id);
    let height = children.length === 0 ? 1 : 0;
    const sequential = id === ExpressionId.Block || id === ExpressionId.Loop || id === ExpressionId.If;
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as Ref;
      if (child === 0) continue;
      const [childCost, childHeight] = visit(child, depth + 1);
      cost += childCost;
      // Operands pile up on the stack; the statements of a block, loop or if arm do not.
      height = Math.max(height, sequential ? childHeight : i + childHeight);
    }
    if (id === ExpressionId.Loop) {
      loopCosts.set(e, cost + FUEL_PER_LOOP_ITERATION);
      cost = 0;
    }
    stackHeightMax = Math.max(stackHeightMax, height);
    return [cost, height];
  };

  const [bodyCost] = visit(info.body, 0);
  const slots = params.length + info.vars.length + stackHeightMax;
  return {
    ref,
    name,
    entryCost: bodyCost + FUEL_PER_CALL,
    loopCosts,
    weight: 1 + Math.ceil(slots / FRAME_SLOTS_PER_UNIT),
  };
}

function typeLabel(type: number): string {
  if (type === binaryen.f32) return 'f32';
  if (type === binaryen.f64) return 'f64';
  if (type === binaryen.v128) return 'v128';
  return 'reference';
}

/** Checks every defined function and measures its costs; throws PrepareError at the first violation. */
export function analyzeCode(module: binaryen.Module, allowFloats: boolean): CodeFacts {
  const facts = { storeReachMax: 0, floatOperations: 0 };
  const functions: FunctionPlan[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const ref = module.getFunctionByIndex(i);
    if (binaryen.getFunctionInfo(ref).module) continue;
    functions.push(analyzeFunction(ref, allowFloats, facts));
  }
  return { functions, ...facts };
}
