// The committed world state in memory, per chaincode: its keys (without the chaincode name) in a
// B+ tree ordered by UTF-8 bytes (compareKeys), so range scans come out in LevelDB's order, and
// the same entries in a Map for point reads, so the executor and the Wasm sandbox read
// synchronously and fast. A lookup in a B+ tree of 200,000 keys is a chain of cache misses
// (~1.9 µs against ~0.6 µs for the Map, measured); V8's profile put those lookups at a tenth of a
// peer's CPU on Smallbank, though the network runs showed no change beyond their noise. Keys are
// kept without their 128-hex-digit chaincode name.
//
// Memory assumption: the whole state fits in the peer's memory. Measured (bench/ledger.bench.ts)
// for a million small example02 keys: ~415 MB of heap for the state (the Map adds ~150 MB), plus
// ~114 MB of state-hash trie outside the heap — about half a gigabyte per million keys. A peer
// with tens of millions of keys needs a larger heap (--max-old-space-size) or another design.
//
// Scans run over O(1) copy-on-write clones of the tree, so an open iterator keeps yielding the
// state as of the call even if a block commits meanwhile.
import BTreeModule from 'sorted-btree';
import bulkLoadModule from 'sorted-btree/extended/bulkLoad.js';
import { compareKeys } from '../protocol/keys.ts';
import { CHAINCODE_NAME_BYTES_MAX, STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX } from '../protocol/limits.ts';

const BTree = BTreeModule.default;
type Tree = InstanceType<typeof BTree<string, Uint8Array>>;

/** Separator of the composite key (Fabric's). */
const SEPARATOR = '\u0000';

/** sorted-btree's default node size. */
const TREE_NODE_SIZE = 32;

function newTree(): Tree {
  return new BTree<string, Uint8Array>(undefined, compareKeys, TREE_NODE_SIZE);
}

/** Splits a composite key into chaincode name and key. */
export function splitCompositeKey(composite: string): { chaincodeName: string; key: string } {
  const at = composite.indexOf(SEPARATOR);
  if (at < 0) throw new Error(`state key without a chaincode separator: ${JSON.stringify(composite.slice(0, 80))}`);
  return { chaincodeName: composite.slice(0, at), key: composite.slice(at + 1) };
}

/** Why a chaincode name cannot name a state namespace, or undefined if it can. */
export function chaincodeNameProblem(chaincodeName: string): string | undefined {
  if (chaincodeName === '') return 'chaincode name is empty';
  if (chaincodeName.includes(SEPARATOR)) return 'chaincode name contains U+0000';
  if (!chaincodeName.isWellFormed()) return 'chaincode name is not well-formed Unicode (lone surrogate)';
  if (Buffer.byteLength(chaincodeName, 'utf8') > CHAINCODE_NAME_BYTES_MAX) return `chaincode name exceeds ${CHAINCODE_NAME_BYTES_MAX} bytes`;
  return undefined;
}

/** Why a key/value pair cannot be stored, or undefined if it can. */
export function stateEntryProblem(key: string, value: Uint8Array | null): string | undefined {
  // Lone surrogates would all encode to U+FFFD in UTF-8 and collide on disk.
  if (!key.isWellFormed()) return 'state key is not well-formed Unicode (lone surrogate)';
  if (Buffer.byteLength(key, 'utf8') > STATE_KEY_BYTES_MAX) return `state key exceeds ${STATE_KEY_BYTES_MAX} bytes`;
  if (value !== null && !(value instanceof Uint8Array)) return 'state value is not bytes';
  if (value !== null && value.length > STATE_VALUE_BYTES_MAX) return `state value exceeds ${STATE_VALUE_BYTES_MAX} bytes`;
  return undefined;
}

/** One chaincode's keys (without its name): the ordered tree for scans, the Map for point reads; always the same entries. */
interface Namespace {
  tree: Tree;
  values: Map<string, Uint8Array>;
}

export class WorldState {
  /** Chaincode name → its keys. A namespace whose last key goes is removed. */
  readonly #namespaces = new Map<string, Namespace>();

  /** The state of composite keys (chaincode 0x00 key) given in strictly increasing byte order (throws otherwise), built in O(n). */
  static fromSorted(composites: string[], values: Uint8Array[]): WorldState {
    const state = new WorldState();
    let from = 0;
    while (from < composites.length) {
      const { chaincodeName } = splitCompositeKey(composites[from]!);
      const prefix = chaincodeName + SEPARATOR;
      const prefixLength = prefix.length;
      let to = from + 1;
      while (to < composites.length && composites[to]!.startsWith(prefix)) to++;
      const keys = composites.slice(from, to).map((composite) => composite.slice(prefixLength));
      if (state.#namespaces.has(chaincodeName)) throw new Error(`state keys of ${JSON.stringify(chaincodeName.slice(0, 80))} are not contiguous`);
      const namespaceValues = values.slice(from, to);
      const tree = bulkLoadModule.bulkLoad<string, Uint8Array>(keys, namespaceValues, TREE_NODE_SIZE, compareKeys);
      state.#namespaces.set(chaincodeName, { tree, values: new Map(keys.map((key, index) => [key, namespaceValues[index]!])) });
      from = to;
    }
    return state;
  }

  get size(): number {
    let size = 0;
    for (const namespace of this.#namespaces.values()) size += namespace.values.size;
    return size;
  }

  get(chaincodeName: string, key: string): Uint8Array | undefined {
    return this.#namespaces.get(chaincodeName)?.values.get(key);
  }

  /** Sets (value) or deletes (null); the caller validated the entry. */
  set(chaincodeName: string, key: string, value: Uint8Array | null): void {
    let namespace = this.#namespaces.get(chaincodeName);
    if (value === null) {
      if (namespace === undefined || !namespace.values.delete(key)) return;
      namespace.tree.delete(key);
      if (namespace.values.size === 0) this.#namespaces.delete(chaincodeName);
      return;
    }
    if (namespace === undefined) {
      namespace = { tree: newTree(), values: new Map() };
      this.#namespaces.set(chaincodeName, namespace);
    }
    namespace.values.set(key, value);
    namespace.tree.set(key, value);
  }

  /** Keys of a namespace in [startKey, endKey], "" unbounded on that side; a frozen view. */
  range(chaincodeName: string, startKey: string, endKey: string): Iterator<[string, Uint8Array]> {
    const tree = this.#namespaces.get(chaincodeName)?.tree;
    if (tree === undefined) return [][Symbol.iterator]();
    if (endKey === '') return tree.clone().entries(startKey);
    return scan(tree.clone(), startKey, (key) => compareKeys(key, endKey) <= 0);
  }

  /** Keys of a namespace starting with `prefix`, in byte order; a frozen view. */
  prefix(chaincodeName: string, prefix: string): Iterator<[string, Uint8Array]> {
    const tree = this.#namespaces.get(chaincodeName)?.tree;
    if (tree === undefined) return [][Symbol.iterator]();
    return scan(tree.clone(), prefix, (key) => key.startsWith(prefix));
  }

  /** Every entry by composite key, in byte order, from a copy frozen at the call (for snapshots). */
  entries(): IterableIterator<[string, Uint8Array]> {
    // A name sorts before every longer name it starts, and 0x00 before every other character,
    // so name order then key order is the composite keys' byte order.
    const names = [...this.#namespaces.keys()].sort(compareKeys);
    return composites(names.map((name) => [name + SEPARATOR, this.#namespaces.get(name)!.tree.clone()]));
  }
}

function* composites(namespaces: Array<[string, Tree]>): Generator<[string, Uint8Array], undefined, undefined> {
  for (const [prefix, tree] of namespaces) for (const [key, value] of tree.entries()) yield [prefix + key, value];
}

function* scan(tree: Tree, low: string, inRange: (key: string) => boolean): Generator<[string, Uint8Array], undefined, undefined> {
  for (const entry of tree.entries(low)) {
    if (!inRange(entry[0])) return;
    yield entry;
  }
}
