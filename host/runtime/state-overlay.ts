// A layer of uncommitted world-state writes over committed state (the ledger) or over another
// layer. The executor stacks them: block overlay over the ledger, transaction overlay over the
// block; the runtime adds one per nested chaincode call so a failed callee's writes vanish.
// Reads see this layer's writes first; range and prefix scans merge both sides in UTF-8 byte
// order, with this layer's deletes hiding keys of the base.
import type { WriteSet } from '../ledger/types.ts';
import { compareKeys } from '../protocol/keys.ts';
import type { StateView } from './types.ts';

/** What a layer reads through: the ledger (LedgerApi has these three) or another overlay. */
export interface StateReader {
  getState(namespace: string, key: string): Uint8Array | undefined;
  /** Keys in byte order, start and end inclusive, "" leaves that side unbounded. */
  rangeState(namespace: string, startKey: string, endKey: string): Iterator<[string, Uint8Array]>;
  prefixState(namespace: string, prefix: string): Iterator<[string, Uint8Array]>;
}

type Entry = [key: string, value: Uint8Array | null];

/** A committed state with nothing in it. */
export const EMPTY_STATE: StateReader = {
  getState: () => undefined,
  rangeState: () => [][Symbol.iterator](),
  prefixState: () => [][Symbol.iterator](),
};

export class StateOverlay implements StateReader {
  readonly #base: StateReader;
  /** namespace → key → value, null for a delete. */
  readonly #writes: WriteSet = new Map();
  /** namespace → its written keys in byte order; built on the first scan, kept up to date after. */
  readonly #sortedKeys = new Map<string, string[]>();
  readonly #views = new Map<string, StateView>();

  constructor(base: StateReader) {
    this.#base = base;
  }

  /** A chaincode namespace as a StateView over this overlay (cached: one object per namespace). */
  view(namespace: string): StateView {
    let view = this.#views.get(namespace);
    if (view === undefined) {
      view = {
        get: (key) => this.getState(namespace, key),
        put: (key, value) => this.putState(namespace, key, value),
        del: (key) => this.delState(namespace, key),
        range: (startKey, endKey) => this.rangeState(namespace, startKey, endKey),
        prefix: (prefix) => this.prefixState(namespace, prefix),
      };
      this.#views.set(namespace, view);
    }
    return view;
  }

  getState(namespace: string, key: string): Uint8Array | undefined {
    const written = this.#writes.get(namespace)?.get(key);
    if (written !== undefined) return written ?? undefined;
    return this.#base.getState(namespace, key);
  }

  putState(namespace: string, key: string, value: Uint8Array): void {
    this.#set(namespace, key, value);
  }

  delState(namespace: string, key: string): void {
    this.#set(namespace, key, null);
  }

  /**
   * Merged scan. This layer's writes in the range are captured when the call is made, so writes
   * made while the iterator is open do not change what it yields (the same on every peer).
   */
  rangeState(namespace: string, startKey: string, endKey: string): Iterator<[string, Uint8Array]> {
    const own = this.#entries(namespace, startKey, (key) => endKey === '' || compareKeys(key, endKey) <= 0);
    const base = this.#base.rangeState(namespace, startKey, endKey);
    return own.length === 0 ? base : mergeEntries(own, base);
  }

  prefixState(namespace: string, prefix: string): Iterator<[string, Uint8Array]> {
    const own = this.#entries(namespace, prefix, (key) => key.startsWith(prefix));
    const base = this.#base.prefixState(namespace, prefix);
    return own.length === 0 ? base : mergeEntries(own, base);
  }

  /** This layer's writes (a live view: read it, do not change it). */
  writes(): WriteSet {
    return this.#writes;
  }

  /** Takes another layer's writes over as this layer's own (a transaction into its block). */
  apply(writes: WriteSet): void {
    for (const [namespace, keys] of writes) {
      for (const [key, value] of keys) this.#set(namespace, key, value);
    }
  }

  #set(namespace: string, key: string, value: Uint8Array | null): void {
    let keys = this.#writes.get(namespace);
    if (keys === undefined) {
      keys = new Map();
      this.#writes.set(namespace, keys);
    }
    if (!keys.has(key)) {
      const sorted = this.#sortedKeys.get(namespace);
      if (sorted !== undefined) sorted.splice(lowerBound(sorted, key), 0, key);
    }
    keys.set(key, value);
  }

  /** This layer's entries from `from` on ("" = the start) while `inRange` holds, in byte order. */
  #entries(namespace: string, from: string, inRange: (key: string) => boolean): Entry[] {
    const keys = this.#writes.get(namespace);
    if (keys === undefined || keys.size === 0) return [];
    let sorted = this.#sortedKeys.get(namespace);
    if (sorted === undefined) {
      sorted = [...keys.keys()].sort(compareKeys);
      this.#sortedKeys.set(namespace, sorted);
    }
    const out: Entry[] = [];
    for (let i = from === '' ? 0 : lowerBound(sorted, from); i < sorted.length; i++) {
      const key = sorted[i] as string;
      if (!inRange(key)) break;
      out.push([key, keys.get(key) ?? null]);
    }
    return out;
  }
}

/** Index of the first key not below `key`. */
function lowerBound(sorted: readonly string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareKeys(sorted[mid] as string, key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Merges this layer's sorted entries over a sorted base scan; own entries win, null ones hide. */
function* mergeEntries(own: Entry[], base: Iterator<[string, Uint8Array]>): Generator<[string, Uint8Array]> {
  let i = 0;
  let next = base.next();
  while (i < own.length || !next.done) {
    if (next.done) {
      const [key, value] = own[i++] as Entry;
      if (value !== null) yield [key, value];
      continue;
    }
    if (i === own.length) {
      yield next.value;
      next = base.next();
      continue;
    }
    const [key, value] = own[i] as Entry;
    const order = compareKeys(key, next.value[0]);
    if (order > 0) {
      yield next.value;
      next = base.next();
      continue;
    }
    i++;
    if (order === 0) next = base.next();
    if (value !== null) yield [key, value];
  }
}
