// The committed world state in memory: composite key (chaincode 0x00 key) → value in a B+ tree
// ordered by UTF-8 bytes (compareKeys), so the executor and the Wasm sandbox read it
// synchronously and range scans come out in LevelDB's order.
//
// Memory assumption: the whole state fits in the peer's memory. Measured (bench/ledger.bench.ts)
// for a million small example02 keys: ~250 MB of heap for this tree with its keys and values,
// plus ~210 MB of state-hash trie outside the heap — about half a gigabyte per million keys. A
// peer with tens of millions of keys needs a larger heap (--max-old-space-size) or another design.
//
// Scans run over an O(1) copy-on-write clone, so an open iterator keeps yielding the state as of
// the call even if a block commits meanwhile.
import BTreeModule from 'sorted-btree';
import bulkLoadModule from 'sorted-btree/extended/bulkLoad.js';
import { compareKeys, compositeKey } from '../protocol/keys.ts';
import { CHAINCODE_NAME_BYTES_MAX, STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX } from '../protocol/limits.ts';

const BTree = BTreeModule.default;
type Tree = InstanceType<typeof BTree<string, Uint8Array>>;

/** Separator of the composite key (Fabric's). */
const SEPARATOR = '\u0000';
/** The first string above every composite key of a namespace: the separator's successor. */
const NAMESPACE_END = '\u0001';

/** sorted-btree's default node size. */
const TREE_NODE_SIZE = 32;

export function newStateTree(): Tree {
  return new BTree<string, Uint8Array>(undefined, compareKeys, TREE_NODE_SIZE);
}

/** A tree of composite keys given in strictly increasing byte order (throws otherwise), built in O(n). */
export function stateTreeFromSorted(keys: string[], values: Uint8Array[]): Tree {
  return bulkLoadModule.bulkLoad<string, Uint8Array>(keys, values, TREE_NODE_SIZE, compareKeys);
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

export class WorldState {
  readonly #tree: Tree;

  constructor(tree: Tree = newStateTree()) {
    this.#tree = tree;
  }

  get size(): number {
    return this.#tree.size;
  }

  getComposite(composite: string): Uint8Array | undefined {
    return this.#tree.get(composite);
  }

  get(chaincodeName: string, key: string): Uint8Array | undefined {
    return this.#tree.get(compositeKey(chaincodeName, key));
  }

  /** Sets (value) or deletes (null); the caller validated the entry. */
  setComposite(composite: string, value: Uint8Array | null): void {
    if (value === null) this.#tree.delete(composite);
    else this.#tree.set(composite, value);
  }

  /** Keys of a namespace in [startKey, endKey], "" unbounded on that side; a frozen view. */
  range(chaincodeName: string, startKey: string, endKey: string): Iterator<[string, Uint8Array]> {
    const base = chaincodeName + SEPARATOR;
    const low = base + startKey;
    const high = endKey === '' ? chaincodeName + NAMESPACE_END : base + endKey;
    const inclusive = endKey !== '';
    return scan(this.#tree.clone(), low, base.length, (composite) => {
      const order = compareKeys(composite, high);
      return inclusive ? order <= 0 : order < 0;
    });
  }

  /** Keys of a namespace starting with `prefix`, in byte order; a frozen view. */
  prefix(chaincodeName: string, prefix: string): Iterator<[string, Uint8Array]> {
    const low = chaincodeName + SEPARATOR + prefix;
    return scan(this.#tree.clone(), low, chaincodeName.length + 1, (composite) => composite.startsWith(low));
  }

  /** Every entry by composite key, in byte order, from a frozen copy (for snapshots). */
  entries(): IterableIterator<[string, Uint8Array]> {
    return this.#tree.clone().entries();
  }
}

function* scan(
  tree: Tree,
  low: string,
  namespaceLength: number,
  inRange: (composite: string) => boolean,
): Generator<[string, Uint8Array], undefined, undefined> {
  for (const [composite, value] of tree.entries(low)) {
    if (!inRange(composite)) return;
    yield [composite.slice(namespaceLength), value];
  }
}
