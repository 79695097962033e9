// The part of binaryen.js (pinned 132.0.0) that prepare uses, typed. binaryen's index.d.ts lacks
// the expression accessors (`Block.getChildAt`…) and the data-segment helpers, so they are
// declared here over the C API that binaryen.js exports; every call is a plain number in, number
// out. binaryen's version is a protocol parameter: a different version may instrument differently.
import binaryen from 'binaryen';

export { binaryen };

type Ref = number;

/** C API functions of binaryen.js used on expressions, functions and the module. */
interface BinaryenCApi {
  _BinaryenExpressionGetId(e: Ref): number;
  _BinaryenExpressionGetType(e: Ref): number;
  _BinaryenBlockGetNumChildren(e: Ref): number;
  _BinaryenBlockGetChildAt(e: Ref, i: number): Ref;
  _BinaryenBlockSetChildAt(e: Ref, i: number, child: Ref): void;
  _BinaryenIfGetCondition(e: Ref): Ref;
  _BinaryenIfSetCondition(e: Ref, c: Ref): void;
  _BinaryenIfGetIfTrue(e: Ref): Ref;
  _BinaryenIfSetIfTrue(e: Ref, c: Ref): void;
  _BinaryenIfGetIfFalse(e: Ref): Ref;
  _BinaryenIfSetIfFalse(e: Ref, c: Ref): void;
  _BinaryenLoopGetBody(e: Ref): Ref;
  _BinaryenLoopSetBody(e: Ref, c: Ref): void;
  _BinaryenBreakGetCondition(e: Ref): Ref;
  _BinaryenBreakSetCondition(e: Ref, c: Ref): void;
  _BinaryenBreakGetValue(e: Ref): Ref;
  _BinaryenBreakSetValue(e: Ref, c: Ref): void;
  _BinaryenSwitchGetCondition(e: Ref): Ref;
  _BinaryenSwitchSetCondition(e: Ref, c: Ref): void;
  _BinaryenSwitchGetValue(e: Ref): Ref;
  _BinaryenSwitchSetValue(e: Ref, c: Ref): void;
  _BinaryenCallGetNumOperands(e: Ref): number;
  _BinaryenCallGetOperandAt(e: Ref, i: number): Ref;
  _BinaryenCallSetOperandAt(e: Ref, i: number, c: Ref): void;
  _BinaryenCallIsReturn(e: Ref): number;
  _BinaryenCallIndirectGetTarget(e: Ref): Ref;
  _BinaryenCallIndirectSetTarget(e: Ref, c: Ref): void;
  _BinaryenCallIndirectGetNumOperands(e: Ref): number;
  _BinaryenCallIndirectGetOperandAt(e: Ref, i: number): Ref;
  _BinaryenCallIndirectSetOperandAt(e: Ref, i: number, c: Ref): void;
  _BinaryenCallIndirectIsReturn(e: Ref): number;
  _BinaryenLocalSetGetValue(e: Ref): Ref;
  _BinaryenLocalSetSetValue(e: Ref, c: Ref): void;
  _BinaryenGlobalSetGetValue(e: Ref): Ref;
  _BinaryenGlobalSetSetValue(e: Ref, c: Ref): void;
  _BinaryenLoadGetPtr(e: Ref): Ref;
  _BinaryenLoadSetPtr(e: Ref, c: Ref): void;
  _BinaryenLoadIsAtomic(e: Ref): number;
  _BinaryenStoreGetPtr(e: Ref): Ref;
  _BinaryenStoreSetPtr(e: Ref, c: Ref): void;
  _BinaryenStoreGetValue(e: Ref): Ref;
  _BinaryenStoreSetValue(e: Ref, c: Ref): void;
  _BinaryenStoreGetOffset(e: Ref): number;
  _BinaryenStoreGetBytes(e: Ref): number;
  _BinaryenStoreIsAtomic(e: Ref): number;
  _BinaryenUnaryGetOp(e: Ref): number;
  _BinaryenUnaryGetValue(e: Ref): Ref;
  _BinaryenUnarySetValue(e: Ref, c: Ref): void;
  _BinaryenBinaryGetOp(e: Ref): number;
  _BinaryenBinaryGetLeft(e: Ref): Ref;
  _BinaryenBinarySetLeft(e: Ref, c: Ref): void;
  _BinaryenBinaryGetRight(e: Ref): Ref;
  _BinaryenBinarySetRight(e: Ref, c: Ref): void;
  _BinaryenSelectGetIfTrue(e: Ref): Ref;
  _BinaryenSelectSetIfTrue(e: Ref, c: Ref): void;
  _BinaryenSelectGetIfFalse(e: Ref): Ref;
  _BinaryenSelectSetIfFalse(e: Ref, c: Ref): void;
  _BinaryenSelectGetCondition(e: Ref): Ref;
  _BinaryenSelectSetCondition(e: Ref, c: Ref): void;
  _BinaryenDropGetValue(e: Ref): Ref;
  _BinaryenDropSetValue(e: Ref, c: Ref): void;
  _BinaryenReturnGetValue(e: Ref): Ref;
  _BinaryenReturnSetValue(e: Ref, c: Ref): void;
  _BinaryenMemoryGrowGetDelta(e: Ref): Ref;
  _BinaryenMemoryGrowSetDelta(e: Ref, c: Ref): void;
  _BinaryenMemoryCopyGetDest(e: Ref): Ref;
  _BinaryenMemoryCopySetDest(e: Ref, c: Ref): void;
  _BinaryenMemoryCopyGetSource(e: Ref): Ref;
  _BinaryenMemoryCopySetSource(e: Ref, c: Ref): void;
  _BinaryenMemoryCopyGetSize(e: Ref): Ref;
  _BinaryenMemoryCopySetSize(e: Ref, c: Ref): void;
  _BinaryenMemoryFillGetDest(e: Ref): Ref;
  _BinaryenMemoryFillSetDest(e: Ref, c: Ref): void;
  _BinaryenMemoryFillGetValue(e: Ref): Ref;
  _BinaryenMemoryFillSetValue(e: Ref, c: Ref): void;
  _BinaryenMemoryFillGetSize(e: Ref): Ref;
  _BinaryenMemoryFillSetSize(e: Ref, c: Ref): void;
  _BinaryenFunctionAddVar(func: Ref, type: number): number;
  _BinaryenFunctionGetBody(func: Ref): Ref;
  _BinaryenFunctionSetBody(func: Ref, body: Ref): void;
  _BinaryenGetStart(module: Ref): Ref;
  _BinaryenSetStart(module: Ref, func: Ref): void;
}

/** Data segment as binaryen.js's Module#getDataSegmentInfo returns it (missing from its .d.ts). */
export interface DataSegmentInfo {
  name: string;
  /** Constant offset of an active segment; null for a passive one. */
  offset: number | null;
  data: ArrayBuffer;
  passive: boolean;
}

interface ModuleExtras {
  readonly ptr: Ref;
  getNumDataSegments(): number;
  getDataSegmentByIndex(index: number): Ref;
  getDataSegmentInfo(segment: Ref): DataSegmentInfo;
}

export const C = binaryen as unknown as BinaryenCApi;

export function moduleExtras(module: binaryen.Module): ModuleExtras {
  return module as unknown as ModuleExtras;
}

/** Expression ids, read once (binaryen.d.ts declares them as an ambient const enum we cannot use). */
const id = (name: string): number => (binaryen as unknown as Record<string, number>)[`${name}Id`] as number;

export const ExpressionId = {
  Nop: id('Nop'),
  Block: id('Block'),
  If: id('If'),
  Loop: id('Loop'),
  Break: id('Break'),
  Switch: id('Switch'),
  Call: id('Call'),
  CallIndirect: id('CallIndirect'),
  LocalGet: id('LocalGet'),
  LocalSet: id('LocalSet'),
  GlobalGet: id('GlobalGet'),
  GlobalSet: id('GlobalSet'),
  Load: id('Load'),
  Store: id('Store'),
  Const: id('Const'),
  Unary: id('Unary'),
  Binary: id('Binary'),
  Select: id('Select'),
  Drop: id('Drop'),
  Return: id('Return'),
  MemorySize: id('MemorySize'),
  MemoryGrow: id('MemoryGrow'),
  Unreachable: id('Unreachable'),
  MemoryCopy: id('MemoryCopy'),
  MemoryFill: id('MemoryFill'),
  MemoryInit: id('MemoryInit'),
  DataDrop: id('DataDrop'),
} as const;

/** Every expression id binaryen knows, by name (for naming what a module uses). */
export function expressionIdNames(): Map<number, string> {
  const names = new Map<number, string>();
  for (const [key, value] of Object.entries(binaryen)) {
    if (key.endsWith('Id') && typeof value === 'number' && /^[A-Z]/.test(key)) names.set(value, key.slice(0, -2));
  }
  return names;
}
