// The state hash: a Merkle trie over the world state, radix 16, keyed by the SHAKE256-64 hash of
// each composite key, with path compression (a branch exists only where keys diverge).
//
// Why a trie over hashed keys rather than Fabric's bucket tree: a bucket tree with a fixed
// number of buckets rehashes a whole bucket per changed key, so its cost per block grows with
// the state once buckets fill (Fabric sized it at 1,000,003 buckets up front, mostly empty
// nodes). Here a changed key costs its leaf hash plus the branches above it, about
// log16(keys) of them (5 at 1M keys), each at most 16 child hashes: the cost follows the keys a
// block changes, not the size of the state. Hashed paths keep the trie balanced whatever keys a
// chaincode chooses (grinding a shared prefix of k nibbles costs 16^k hashes), and the structure
// of a compressed trie is a function of the set of keys alone, so the root hash is independent
// of insertion order and history.
//
// Hash definitions (all cryptoHash = SHAKE256, 64 bytes; domain bytes keep node kinds apart):
//   path(ck)        = H(ck)                                         ck = UTF-8 of chaincode 0x00 key
//   leaf(ck, value) = H(0x00 ‖ u32be len(ck) ‖ ck ‖ value)
//   branch          = H(0x01 ‖ u8 nibble depth ‖ u16be child bitmap ‖ child hashes in nibble order)
//   state hash      = hash of the root node; EMPTY_STATE_HASH for an empty state.
//
// The trie lives in memory beside the world state and is rebuilt at open (measured in
// bench/ledger.bench.ts); rebuilding doubles as an integrity check of the stored state against
// the state hash of its block.
import { hash as oneShotHash } from 'node:crypto';
import { CRYPTO_HASH_BYTES } from '../protocol/hash.ts';

const LEAF_DOMAIN = 0x00;
const BRANCH_DOMAIN = 0x01;
const RADIX = 16;
/** Nibbles in a path (64-byte hash): the trie is never deeper. */
const PATH_NIBBLES = CRYPTO_HASH_BYTES * 2;

/** Hash of the empty world state (and so of the genesis block's state). */
export const EMPTY_STATE_HASH: Uint8Array = cryptoHashFast(new TextEncoder().encode('weft.state.empty'));

/** cryptoHash (SHAKE256-64) through node's one-shot hash: the same bytes, without a Hash object per call. */
export function cryptoHashFast(data: Uint8Array): Uint8Array {
  return oneShotHash('shake256', data, { outputEncoding: 'buffer', outputLength: CRYPTO_HASH_BYTES });
}

/**
 * A leaf: bytes [0, 64) are the key's path, [64, 128) its leaf hash. One allocation per key keeps
 * a million-key trie small.
 */
type Leaf = Uint8Array;

interface Branch {
  /** Nibble index at which the children differ; all leaves below share nibbles [0, depth). */
  depth: number;
  children: Array<TrieNode | undefined>;
  /** Any path below (the shared prefix is read from it). */
  path: Uint8Array;
  /** Cached hash; undefined when a change below has not been hashed yet. */
  hash: Uint8Array | undefined;
}

type TrieNode = Leaf | Branch;

function isLeaf(node: TrieNode): node is Leaf {
  return node instanceof Uint8Array;
}

function nibble(path: Uint8Array, index: number): number {
  const byte = path[index >> 1]!;
  return index & 1 ? byte & 0x0f : byte >> 4;
}

function nodePath(node: TrieNode): Uint8Array {
  return isLeaf(node) ? node.subarray(0, CRYPTO_HASH_BYTES) : node.path;
}

/** First nibble index in [from, to) where a and b differ, or `to`. */
function divergence(a: Uint8Array, b: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) if (nibble(a, i) !== nibble(b, i)) return i;
  return to;
}

export function keyPath(compositeKeyBytes: Uint8Array): Uint8Array {
  return cryptoHashFast(compositeKeyBytes);
}

export function leafHash(compositeKeyBytes: Uint8Array, value: Uint8Array): Uint8Array {
  const input = new Uint8Array(5 + compositeKeyBytes.length + value.length);
  input[0] = LEAF_DOMAIN;
  new DataView(input.buffer).setUint32(1, compositeKeyBytes.length);
  input.set(compositeKeyBytes, 5);
  input.set(value, 5 + compositeKeyBytes.length);
  return cryptoHashFast(input);
}

function makeLeaf(path: Uint8Array, hash: Uint8Array): Leaf {
  const leaf = new Uint8Array(CRYPTO_HASH_BYTES * 2);
  leaf.set(path, 0);
  leaf.set(hash, CRYPTO_HASH_BYTES);
  return leaf;
}

function branchOf(depth: number, a: TrieNode, b: TrieNode): Branch {
  const children = new Array<TrieNode | undefined>(RADIX).fill(undefined);
  children[nibble(nodePath(a), depth)] = a;
  children[nibble(nodePath(b), depth)] = b;
  return { depth, children, path: nodePath(a), hash: undefined };
}

/** Inserts or replaces the leaf at `path` below `node` (whose leaves share nibbles [0, from)). */
function insert(node: TrieNode | undefined, from: number, path: Uint8Array, hash: Uint8Array): TrieNode {
  if (node === undefined) return makeLeaf(path, hash);
  if (isLeaf(node)) {
    const at = divergence(node, path, from, PATH_NIBBLES);
    if (at === PATH_NIBBLES) {
      node.set(hash, CRYPTO_HASH_BYTES);
      return node;
    }
    return branchOf(at, node, makeLeaf(path, hash));
  }
  const at = divergence(node.path, path, from, node.depth);
  if (at < node.depth) return branchOf(at, node, makeLeaf(path, hash));
  const slot = nibble(path, node.depth);
  node.children[slot] = insert(node.children[slot], node.depth + 1, path, hash);
  node.hash = undefined;
  return node;
}

/** What `remove` returns when the path is not in the trie (nothing changed, no hash to invalidate). */
const ABSENT = Symbol('absent');

/**
 * Removes the leaf at `path`: the node that replaces `node` (a branch left with one child is
 * replaced by that child), or ABSENT if there was no such leaf.
 */
function remove(node: TrieNode | undefined, path: Uint8Array): TrieNode | undefined | typeof ABSENT {
  if (node === undefined) return ABSENT;
  if (isLeaf(node)) return divergence(node, path, 0, PATH_NIBBLES) === PATH_NIBBLES ? undefined : ABSENT;
  const slot = nibble(path, node.depth);
  const updated = remove(node.children[slot], path);
  if (updated === ABSENT) return ABSENT;
  // Something below changed (even if the child is the same object): this hash is stale.
  node.children[slot] = updated;
  node.hash = undefined;
  let only: TrieNode | undefined;
  let count = 0;
  for (const c of node.children) {
    if (c !== undefined) {
      only = c;
      count++;
    }
  }
  return count === 1 ? only : node;
}

function hashOf(node: TrieNode): Uint8Array {
  if (isLeaf(node)) return node.subarray(CRYPTO_HASH_BYTES);
  if (node.hash !== undefined) return node.hash;
  const hashes: Uint8Array[] = [];
  let bitmap = 0;
  for (let i = 0; i < RADIX; i++) {
    const child = node.children[i];
    if (child === undefined) continue;
    bitmap |= 1 << (RADIX - 1 - i);
    hashes.push(hashOf(child));
  }
  const input = new Uint8Array(4 + hashes.length * CRYPTO_HASH_BYTES);
  input[0] = BRANCH_DOMAIN;
  input[1] = node.depth;
  input[2] = bitmap >> 8;
  input[3] = bitmap & 0xff;
  for (let i = 0; i < hashes.length; i++) input.set(hashes[i]!, 4 + i * CRYPTO_HASH_BYTES);
  node.hash = cryptoHashFast(input);
  return node.hash;
}

/** The state hash structure. Update with `set`, read with `rootHash` (hashes what changed since). */
export class StateHashTrie {
  #root: TrieNode | undefined;
  #size = 0;

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** Sets (value) or deletes (null) one composite key. `present` tells whether the key existed. */
  set(compositeKeyBytes: Uint8Array, value: Uint8Array | null, present: boolean): void {
    const path = keyPath(compositeKeyBytes);
    if (value === null) {
      if (!present) return;
      const root = remove(this.#root, path);
      if (root === ABSENT) throw new Error('state hash trie: a key said to be present is not in the trie');
      this.#root = root;
      this.#size--;
      return;
    }
    this.#root = insert(this.#root, 0, path, leafHash(compositeKeyBytes, value));
    if (!present) this.#size++;
  }

  /** The state hash; a fresh array the caller may keep (a leaf's own bytes change in place). */
  rootHash(): Uint8Array {
    if (this.#root === undefined) return EMPTY_STATE_HASH;
    return isLeaf(this.#root) ? hashOf(this.#root).slice() : hashOf(this.#root);
  }
}
