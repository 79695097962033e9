// Children of the binaryen expressions a chaincode may contain, in evaluation order, with a way to
// replace each one. Only the instruction set ABI v1 allows is covered (MVP, sign extension,
// memory.copy/fill); code-policy.ts rejects every other expression before anything walks it.
import { C, ExpressionId } from './binaryen-api.ts';

type Ref = number;
type Getter = (e: Ref) => Ref;
type Setter = (e: Ref, child: Ref) => void;

interface Shape {
  /** Children in evaluation order; a 0 entry is an absent optional child. */
  get(e: Ref): Ref[];
  set(e: Ref, index: number, child: Ref): void;
}

function fixed(...slots: Array<[Getter, Setter]>): Shape {
  return {
    get: (e) => slots.map(([get]) => get(e)),
    set: (e, index, child) => (slots[index] as [Getter, Setter])[1](e, child),
  };
}

const LEAF: Shape = { get: () => [], set: () => undefined };

const SHAPES = new Map<number, Shape>([
  [ExpressionId.Nop, LEAF],
  [ExpressionId.LocalGet, LEAF],
  [ExpressionId.GlobalGet, LEAF],
  [ExpressionId.Const, LEAF],
  [ExpressionId.Unreachable, LEAF],
  [ExpressionId.MemorySize, LEAF],
  [ExpressionId.Block, {
    get: (e) => {
      const out: Ref[] = [];
      for (let i = 0, n = C._BinaryenBlockGetNumChildren(e); i < n; i++) out.push(C._BinaryenBlockGetChildAt(e, i));
      return out;
    },
    set: (e, index, child) => C._BinaryenBlockSetChildAt(e, index, child),
  }],
  [ExpressionId.If, fixed(
    [C._BinaryenIfGetCondition, C._BinaryenIfSetCondition],
    [C._BinaryenIfGetIfTrue, C._BinaryenIfSetIfTrue],
    [C._BinaryenIfGetIfFalse, C._BinaryenIfSetIfFalse],
  )],
  [ExpressionId.Loop, fixed([C._BinaryenLoopGetBody, C._BinaryenLoopSetBody])],
  [ExpressionId.Break, fixed(
    [C._BinaryenBreakGetValue, C._BinaryenBreakSetValue],
    [C._BinaryenBreakGetCondition, C._BinaryenBreakSetCondition],
  )],
  [ExpressionId.Switch, fixed(
    [C._BinaryenSwitchGetValue, C._BinaryenSwitchSetValue],
    [C._BinaryenSwitchGetCondition, C._BinaryenSwitchSetCondition],
  )],
  [ExpressionId.Call, {
    get: (e) => {
      const out: Ref[] = [];
      for (let i = 0, n = C._BinaryenCallGetNumOperands(e); i < n; i++) out.push(C._BinaryenCallGetOperandAt(e, i));
      return out;
    },
    set: (e, index, child) => C._BinaryenCallSetOperandAt(e, index, child),
  }],
  [ExpressionId.CallIndirect, {
    // Operands first, then the table index.
    get: (e) => {
      const out: Ref[] = [];
      const n = C._BinaryenCallIndirectGetNumOperands(e);
      for (let i = 0; i < n; i++) out.push(C._BinaryenCallIndirectGetOperandAt(e, i));
      out.push(C._BinaryenCallIndirectGetTarget(e));
      return out;
    },
    set: (e, index, child) => {
      if (index === C._BinaryenCallIndirectGetNumOperands(e)) C._BinaryenCallIndirectSetTarget(e, child);
      else C._BinaryenCallIndirectSetOperandAt(e, index, child);
    },
  }],
  [ExpressionId.LocalSet, fixed([C._BinaryenLocalSetGetValue, C._BinaryenLocalSetSetValue])],
  [ExpressionId.GlobalSet, fixed([C._BinaryenGlobalSetGetValue, C._BinaryenGlobalSetSetValue])],
  [ExpressionId.Load, fixed([C._BinaryenLoadGetPtr, C._BinaryenLoadSetPtr])],
  [ExpressionId.Store, fixed(
    [C._BinaryenStoreGetPtr, C._BinaryenStoreSetPtr],
    [C._BinaryenStoreGetValue, C._BinaryenStoreSetValue],
  )],
  [ExpressionId.Unary, fixed([C._BinaryenUnaryGetValue, C._BinaryenUnarySetValue])],
  [ExpressionId.Binary, fixed(
    [C._BinaryenBinaryGetLeft, C._BinaryenBinarySetLeft],
    [C._BinaryenBinaryGetRight, C._BinaryenBinarySetRight],
  )],
  [ExpressionId.Select, fixed(
    [C._BinaryenSelectGetIfTrue, C._BinaryenSelectSetIfTrue],
    [C._BinaryenSelectGetIfFalse, C._BinaryenSelectSetIfFalse],
    [C._BinaryenSelectGetCondition, C._BinaryenSelectSetCondition],
  )],
  [ExpressionId.Drop, fixed([C._BinaryenDropGetValue, C._BinaryenDropSetValue])],
  [ExpressionId.Return, fixed([C._BinaryenReturnGetValue, C._BinaryenReturnSetValue])],
  [ExpressionId.MemoryGrow, fixed([C._BinaryenMemoryGrowGetDelta, C._BinaryenMemoryGrowSetDelta])],
  [ExpressionId.MemoryCopy, fixed(
    [C._BinaryenMemoryCopyGetDest, C._BinaryenMemoryCopySetDest],
    [C._BinaryenMemoryCopyGetSource, C._BinaryenMemoryCopySetSource],
    [C._BinaryenMemoryCopyGetSize, C._BinaryenMemoryCopySetSize],
  )],
  [ExpressionId.MemoryFill, fixed(
    [C._BinaryenMemoryFillGetDest, C._BinaryenMemoryFillSetDest],
    [C._BinaryenMemoryFillGetValue, C._BinaryenMemoryFillSetValue],
    [C._BinaryenMemoryFillGetSize, C._BinaryenMemoryFillSetSize],
  )],
]);

/** Whether the walker knows this expression kind (everything else is rejected by policy). */
export function isKnownExpression(id: number): boolean {
  return SHAPES.has(id);
}

/** Children of a known expression in evaluation order (0 = an absent optional child). */
export function childrenOf(e: Ref, id: number): Ref[] {
  return (SHAPES.get(id) as Shape).get(e);
}

export function setChildOf(e: Ref, id: number, index: number, child: Ref): void {
  (SHAPES.get(id) as Shape).set(e, index, child);
}

/** Structured control that costs nothing by itself: its children are charged instead. */
export function isFreeControl(id: number): boolean {
  return id === ExpressionId.Block || id === ExpressionId.Loop || id === ExpressionId.Nop;
}
