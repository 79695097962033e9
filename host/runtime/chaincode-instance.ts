// One live instance of a prepared chaincode module: its own memory (sized by the host), the
// counters instrumentation exported, and a snapshot taken right after the start function ran.
// Between transactions the instance is restored to that snapshot: only the memory the write
// marks say may have changed is copied back, and every mutable global is reset, so a reused
// instance behaves byte for byte like a fresh one. An instance whose memory grew (it cannot
// shrink) or that trapped is never reused.
import type { EntryPoint } from './abi.ts';
import { ABI_MODULE, ENV_ABORT } from './abi.ts';
import { createAbort, createWeftImports, InstanceSlot } from './host-imports.ts';
import { HIGH_MARK_NONE, Instrumented } from './instrument.ts';
import type { Counter } from './invocation.ts';
import { classifyTrap, type Classified } from './trap-classifier.ts';
import { FUEL_PER_TRANSACTION } from '../protocol/limits.ts';

/** How a prepared module lays out its instances (fixed at prepare time). */
export interface InstanceLayout {
  memoryPages: { initial: number; maximum: number };
  /** End of the highest active data segment. */
  dataEnd: number;
  /** Largest offset + width of a store above its base address (slack over the write marks). */
  storeReachMax: number;
  /** Export names of the module's own mutable globals. */
  snapshotGlobals: string[];
  hasStart: boolean;
  metered: boolean;
}

export class InstanceStartError extends Error {
  override name = 'InstanceStartError';
  readonly failure: Classified;

  constructor(failure: Classified) {
    super(failure.message);
    this.failure = failure;
  }
}

type Entry = () => number;

function counter(exports: WebAssembly.Exports, name: string): Counter {
  const global = exports[name];
  if (!(global instanceof WebAssembly.Global)) throw new Error(`instrumented module lacks export ${name}`);
  return global as unknown as Counter;
}

/**
 * Memory right after start, kept sparsely: `prefix` covers [0, prefix.length), `suffix` covers
 * [suffixStart, memory end), everything between is zero.
 */
interface MemorySnapshot {
  prefix: Uint8Array;
  suffixStart: number;
  suffix: Uint8Array;
}

export class ChaincodeInstance {
  readonly slot: InstanceSlot;
  readonly fuel: Counter | null;
  readonly depth: Counter | null;
  readonly lowMark: Counter;
  readonly highMark: Counter;
  readonly flags: Counter;
  readonly entries: Readonly<Record<EntryPoint, Entry>>;
  readonly #storeReach: number;
  readonly #globals: Array<[WebAssembly.Global, number | bigint]>;
  readonly #snapshot: MemorySnapshot;
  readonly #memoryBytes: number;

  /** Instantiates and runs the start function; throws InstanceStartError if it traps. */
  constructor(module: WebAssembly.Module, layout: InstanceLayout) {
    this.#storeReach = layout.storeReachMax;
    const memory = new WebAssembly.Memory(layout.memoryPages);
    const slot = new InstanceSlot(memory);
    const instance = new WebAssembly.Instance(module, {
      [ABI_MODULE]: { ...createWeftImports(slot), [Instrumented.MEMORY_IMPORT]: memory },
      [ENV_ABORT.module]: { [ENV_ABORT.name]: createAbort(slot) },
    });
    const exports = instance.exports;
    this.slot = slot;
    this.fuel = layout.metered ? counter(exports, Instrumented.FUEL) : null;
    this.depth = layout.metered ? counter(exports, Instrumented.DEPTH) : null;
    this.lowMark = counter(exports, Instrumented.LOW_MARK);
    this.highMark = counter(exports, Instrumented.HIGH_MARK);
    this.flags = counter(exports, Instrumented.FLAGS);
    slot.lowMark = this.lowMark;
    this.entries = {
      init: exports['init'] as Entry,
      invoke: exports['invoke'] as Entry,
      query: exports['query'] as Entry,
    };

    if (layout.hasStart) this.#runStart(exports[Instrumented.START] as Entry);

    this.#memoryBytes = memory.buffer.byteLength;
    const bytes = slot.bytes();
    const prefixEnd = Math.min(this.#memoryBytes, Math.max(layout.dataEnd, this.#lowEnd()));
    const suffixStart = Math.max(prefixEnd, Math.min(this.#memoryBytes, this.highMark.value >>> 0));
    this.#snapshot = { prefix: bytes.slice(0, prefixEnd), suffixStart, suffix: bytes.slice(suffixStart) };
    this.#globals = layout.snapshotGlobals.map((name) => {
      const global = exports[name] as WebAssembly.Global;
      return [global, global.value];
    });
    this.#resetMarks();
  }

  #runStart(start: Entry): void {
    if (this.fuel !== null) this.fuel.value = FUEL_PER_TRANSACTION;
    if (this.depth !== null) this.depth.value = 0;
    try {
      start();
    } catch (error) {
      throw new InstanceStartError(classifyTrap(error, { fuel: this.fuel, depth: this.depth, flags: this.flags, fuelLimit: FUEL_PER_TRANSACTION }));
    }
  }

  /** End of what may have been written below the split. */
  #lowEnd(): number {
    return Math.min(this.#memoryBytes, (this.lowMark.value >>> 0) + this.#storeReach);
  }

  #resetMarks(): void {
    this.lowMark.value = 0;
    this.highMark.value = HIGH_MARK_NONE;
    this.flags.value = 0;
  }

  /** Back to the state right after start; false if that is impossible (the memory grew). */
  restore(): boolean {
    if (this.slot.memory.buffer.byteLength !== this.#memoryBytes) return false;
    const bytes = this.slot.bytes();
    this.#restoreRange(bytes, 0, this.#lowEnd());
    const highStart = this.highMark.value >>> 0;
    if (highStart < this.#memoryBytes) this.#restoreRange(bytes, highStart, this.#memoryBytes);
    this.#resetMarks();
    for (const [global, value] of this.#globals) global.value = value;
    return true;
  }

  /** Copies the snapshot's bytes [from, to) back into memory. */
  #restoreRange(bytes: Uint8Array, from: number, to: number): void {
    const { prefix, suffixStart, suffix } = this.#snapshot;
    let at = from;
    if (at < prefix.length) {
      const end = Math.min(to, prefix.length);
      bytes.set(prefix.subarray(at, end), at);
      at = end;
    }
    const zeroEnd = Math.min(to, suffixStart);
    if (at < zeroEnd) {
      bytes.fill(0, at, zeroEnd);
      at = zeroEnd;
    }
    if (at < to) bytes.set(suffix.subarray(at - suffixStart, to - suffixStart), at);
  }
}
