// Turns whatever stopped a guest into a FailureKind and a deterministic message. The counters
// decide first: the instrumented module only traps with fuel below zero when it ran out of fuel,
// and only with depth above the budget when the call depth was exceeded, so those traps need no
// other marker. V8's own trap messages are mapped through a fixed list, never passed on raw.
import { HostTrap, TrapMessage } from './host-trap.ts';
import { FLAG_MEMORY_GROW_FAILED } from './instrument.ts';
import type { Counter } from './invocation.ts';
import type { FailureKind } from './types.ts';
import { CALL_DEPTH_UNITS_MAX } from '../protocol/limits.ts';

/** V8 trap messages (lowercased) that are passed on, by what they start with. */
const KNOWN_TRAPS = [
  'unreachable',
  'memory access out of bounds',
  'divide by zero',
  'divide result unrepresentable',
  'remainder by zero',
  'float unrepresentable in integer range',
  'table index is out of bounds',
  'null function or function signature mismatch',
  'function signature mismatch',
] as const;

export interface Classified {
  kind: FailureKind;
  message: string;
}

export interface TrapCounters {
  fuel: Counter | null;
  depth: Counter | null;
  flags: Counter;
  fuelLimit: number;
}

export function classifyTrap(error: unknown, counters: TrapCounters): Classified {
  if (error instanceof HostTrap) return { kind: error.kind, message: error.message };
  if (counters.fuel !== null && counters.fuel.value < 0) return { kind: 'fuel', message: TrapMessage.outOfFuel(counters.fuelLimit) };
  if (counters.depth !== null && counters.depth.value >>> 0 > CALL_DEPTH_UNITS_MAX) return { kind: 'depth', message: TrapMessage.depth };
  // V8's own stack limit was hit before ours: not deterministic, but never a crash.
  if (error instanceof RangeError && /call stack/i.test(error.message)) return { kind: 'depth', message: TrapMessage.depth };
  if (error instanceof WebAssembly.RuntimeError) {
    if ((counters.flags.value & FLAG_MEMORY_GROW_FAILED) !== 0) return { kind: 'memory', message: TrapMessage.memory };
    const text = error.message.toLowerCase();
    const known = KNOWN_TRAPS.find((trap) => text.startsWith(trap));
    return { kind: 'trap', message: known === undefined ? 'wasm trap' : `wasm trap: ${known}` };
  }
  return { kind: 'trap', message: `host error: ${error instanceof Error ? error.message : String(error)}` };
}
