// The state hash: a Merkle trie over the world state, radix 16, keyed by the SHA-256 hash of each
// composite key, with path compression (a branch exists only where keys diverge).
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
// Hash definitions (nodeHash = SHA-256; domain bytes keep node kinds apart):
//   path(ck)        = nodeHash(ck)                                  ck = UTF-8 of chaincode 0x00 key
//   leaf(ck, value) = nodeHash(0x00 ‖ u32be len(ck) ‖ ck ‖ value)
//   branch          = nodeHash(0x01 ‖ u8 nibble depth ‖ u16be child bitmap ‖ child hashes in nibble order)
//   state hash      = cryptoHash(0x02 ‖ hash of the root node) (SHAKE256, 64 bytes, as every hash
//                     in a block); EMPTY_STATE_HASH for an empty state.
// Nodes use SHA-256 rather than the chain's SHAKE256-64 because node hashing was a tenth of a
// peer's CPU on write-heavy workloads: with 32-byte child hashes a full branch hashes 516 bytes
// instead of 1,028, and SHA-256 runs on the CPU's SHA extensions (x86 SHA-NI, ARMv8) — a branch
// costs ~0.9 µs instead of ~3.2 µs here. Ledger format 2 (key-spaces.ts) marks the change.
//
// The trie lives in memory beside the world state and is rebuilt at open (measured in
// bench/ledger.bench.ts); rebuilding doubles as an integrity check of the stored state against
// the state hash of its block. Nodes live in large typed-array slabs addressed by number
// (leaf: path and hash, 64 bytes; branch: its hash, 16 child references, a path and its depth,
// 160 bytes) rather than as objects: a million-key trie is then a few hundred slabs for the
// garbage collector instead of millions of objects, and a node's fields share cache lines.
import { hash as oneShotHash } from 'node:crypto';
import { CRYPTO_HASH_BYTES } from '../protocol/hash.ts';

const LEAF_DOMAIN = 0x00;
const BRANCH_DOMAIN = 0x01;
const ROOT_DOMAIN = 0x02;
/** Bytes of a node hash and of a key's path (SHA-256). */
const NODE_HASH_BYTES = 32;
const RADIX = 16;
/** Nibbles in a path (32-byte hash): the trie is never deeper. */
const PATH_NIBBLES = NODE_HASH_BYTES * 2;

const CRYPTO_HASH_OPTIONS = { outputEncoding: 'buffer', outputLength: CRYPTO_HASH_BYTES } as const;

/** Hash of the empty world state (and so of the genesis block's state). */
export const EMPTY_STATE_HASH: Uint8Array = cryptoHashFast(new TextEncoder().encode('weft.state.empty'));

/** cryptoHash (SHAKE256-64) through node's one-shot hash: the same bytes, without a Hash object per call. */
export function cryptoHashFast(data: Uint8Array): Uint8Array {
  return oneShotHash('shake256', data, CRYPTO_HASH_OPTIONS);
}

function nodeHash(data: Uint8Array): Uint8Array {
  return oneShotHash('sha256', data, 'buffer');
}

/** The state hash of a non-empty state whose root node hashes to `root` (at `offset`). */
function stateHashOfRoot(root: Uint8Array, offset: number): Uint8Array {
  const input = new Uint8Array(1 + NODE_HASH_BYTES);
  input[0] = ROOT_DOMAIN;
  input.set(root.subarray(offset, offset + NODE_HASH_BYTES), 1);
  return cryptoHashFast(input);
}

const LEAF_BYTES = NODE_HASH_BYTES * 2;
const LEAF_HASH_OFFSET = NODE_HASH_BYTES;
// Branch record, 160 bytes (a multiple of 32, so a branch's hash never straddles a cache line; a
// parent reads the hash of every child): hash, children (16 × int32), path, depth, dirty flag,
// and a mask of the children that changed below (so hashing visits only those, not every
// child's record).
const BRANCH_HASH_OFFSET = 0;
const BRANCH_CHILDREN_OFFSET = NODE_HASH_BYTES;
const BRANCH_PATH_OFFSET = BRANCH_CHILDREN_OFFSET + RADIX * 4;
const BRANCH_DEPTH_OFFSET = BRANCH_PATH_OFFSET + NODE_HASH_BYTES;
const BRANCH_DIRTY_OFFSET = BRANCH_DEPTH_OFFSET + 1;
const BRANCH_CHANGED_OFFSET = BRANCH_DIRTY_OFFSET + 1;
const BRANCH_BYTES = 160;
const SLAB_SHIFT = 12;
const SLAB_NODES = 1 << SLAB_SHIFT;
const SLAB_MASK = SLAB_NODES - 1;
const BRANCH_HEADER_BYTES = 4;

/**
 * A node reference: 0 for none, leaf number + 1 for a leaf, -(branch number + 1) for a branch.
 * Stored as int32 in branch records.
 */
type NodeRef = number;
const NONE: NodeRef = 0;
/** What `remove` returns when the path is not in the trie (never a valid NodeRef). */
const ABSENT = 2 ** 31;

export function keyPath(compositeKeyBytes: Uint8Array): Uint8Array {
  return nodeHash(compositeKeyBytes);
}

export function leafHash(compositeKeyBytes: Uint8Array, value: Uint8Array): Uint8Array {
  const input = new Uint8Array(5 + compositeKeyBytes.length + value.length);
  writeLeafInput(input, compositeKeyBytes, value);
  return nodeHash(input);
}

function writeLeafInput(input: Uint8Array, compositeKeyBytes: Uint8Array, value: Uint8Array): number {
  const keyLength = compositeKeyBytes.length;
  input[0] = LEAF_DOMAIN;
  input[1] = keyLength >>> 24;
  input[2] = (keyLength >>> 16) & 0xff;
  input[3] = (keyLength >>> 8) & 0xff;
  input[4] = keyLength & 0xff;
  input.set(compositeKeyBytes, 5);
  input.set(value, 5 + keyLength);
  return 5 + keyLength + value.length;
}

function nibble(bytes: Uint8Array, offset: number, index: number): number {
  const byte = bytes[offset + (index >> 1)]!;
  return index & 1 ? byte & 0x0f : byte >> 4;
}

/** First nibble index in [from, to) where a (at aOffset) and b (at bOffset) differ, or `to`. */
function divergence(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, from: number, to: number): number {
  let i = from;
  if (i & 1) {
    if (i < to && (a[aOffset + (i >> 1)]! & 0x0f) !== (b[bOffset + (i >> 1)]! & 0x0f)) return i;
    i++;
  }
  for (; i < to; i += 2) {
    const x = a[aOffset + (i >> 1)]!;
    const y = b[bOffset + (i >> 1)]!;
    if (x !== y) {
      if (x >> 4 !== y >> 4) return i;
      return i + 1 < to ? i + 1 : to;
    }
  }
  return to;
}

/** Copies one node hash or path. */
function copyHash(source: Uint8Array, sourceOffset: number, target: Uint8Array, targetOffset: number): void {
  for (let i = 0; i < NODE_HASH_BYTES; i++) target[targetOffset + i] = source[sourceOffset + i]!;
}

/** Fixed-size records in slabs of SLAB_NODES, with a free list. */
class Slabs {
  readonly bytes: Uint8Array[] = [];
  readonly words: Int32Array[] = [];
  readonly #recordBytes: number;
  readonly #free: number[] = [];
  #next = 0;

  constructor(recordBytes: number) {
    this.#recordBytes = recordBytes;
  }

  allocate(): number {
    // Checked first: pop() on an empty array takes a slow path in V8.
    if (this.#free.length > 0) return this.#free.pop()!;
    if (this.#next >>> SLAB_SHIFT === this.bytes.length) {
      const slab = new Uint8Array(SLAB_NODES * this.#recordBytes);
      this.bytes.push(slab);
      this.words.push(new Int32Array(slab.buffer));
    }
    return this.#next++;
  }

  release(id: number): void {
    this.#free.push(id);
  }

  /** Bytes held by the slabs. */
  get allocatedBytes(): number {
    return this.bytes.length * SLAB_NODES * this.#recordBytes;
  }
}

/** The state hash structure. Update with `set`, read with `rootHash` (hashes what changed since). */
export class StateHashTrie {
  #root: NodeRef = NONE;
  #size = 0;
  readonly #leaves = new Slabs(LEAF_BYTES);
  readonly #branches = new Slabs(BRANCH_BYTES);
  readonly #branchInput = new Uint8Array(BRANCH_HEADER_BYTES + RADIX * NODE_HASH_BYTES);
  #leafInput = new Uint8Array(4096);
  /** Leaves added by addForBuild and not yet placed by finishBuild. */
  #unplaced: number[] = [];
  /** Nibble counters per depth, reused by finishBuild. */
  readonly #nibbleCounts: Int32Array[] = [];

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** Bytes of node storage (for the bench). */
  get allocatedBytes(): number {
    return this.#leaves.allocatedBytes + this.#branches.allocatedBytes;
  }

  /**
   * Adds a key of a state being loaded whole (at open, or a snapshot install): its leaf is
   * hashed now and placed by finishBuild, which sorts all leaves by path at once instead of a
   * million walks down the trie. Keys must be distinct.
   */
  addForBuild(compositeKeyBytes: Uint8Array, value: Uint8Array): void {
    if (this.#root !== NONE) throw new Error('state hash trie: addForBuild on a trie that is already built');
    this.#unplaced.push(this.#newLeaf(keyPath(compositeKeyBytes), this.#leafHash(compositeKeyBytes, value)));
    this.#size++;
  }

  /** Places the leaves added by addForBuild. */
  finishBuild(): void {
    const leaves = Int32Array.from(this.#unplaced);
    this.#unplaced = [];
    if (leaves.length > 0) this.#root = this.#buildRange(leaves, new Int32Array(leaves.length), 0, leaves.length, 0);
  }

  /** Sets (value) or deletes (null) one composite key. `present` tells whether the key existed. */
  set(compositeKeyBytes: Uint8Array, value: Uint8Array | null, present: boolean): void {
    if (this.#unplaced.length > 0) throw new Error('state hash trie: set before finishBuild');
    const path = keyPath(compositeKeyBytes);
    if (value === null) {
      if (!present) return;
      const root = this.#remove(this.#root, path);
      if (root === ABSENT) throw new Error('state hash trie: a key said to be present is not in the trie');
      this.#root = root;
      this.#size--;
      return;
    }
    const hash = this.#leafHash(compositeKeyBytes, value);
    this.#root = this.#insert(this.#root, 0, path, hash);
    if (!present) this.#size++;
  }

  /** The state hash, as a fresh array the caller may keep. */
  rootHash(): Uint8Array {
    const root = this.#root;
    if (root === NONE) return EMPTY_STATE_HASH;
    if (root > 0) {
      const leaf = root - 1;
      const offset = (leaf & SLAB_MASK) * LEAF_BYTES + LEAF_HASH_OFFSET;
      return stateHashOfRoot(this.#leaves.bytes[leaf >>> SLAB_SHIFT]!, offset);
    }
    const branch = -root - 1;
    this.#hashBranch(branch);
    const offset = (branch & SLAB_MASK) * BRANCH_BYTES + BRANCH_HASH_OFFSET;
    return stateHashOfRoot(this.#branches.bytes[branch >>> SLAB_SHIFT]!, offset);
  }

  #leafHash(compositeKeyBytes: Uint8Array, value: Uint8Array): Uint8Array {
    const length = 5 + compositeKeyBytes.length + value.length;
    if (length > this.#leafInput.length) this.#leafInput = new Uint8Array(Math.max(length, this.#leafInput.length * 2));
    writeLeafInput(this.#leafInput, compositeKeyBytes, value);
    return nodeHash(this.#leafInput.subarray(0, length));
  }

  /** A new leaf; returns its NodeRef. */
  #newLeaf(path: Uint8Array, hash: Uint8Array): NodeRef {
    const leaf = this.#leaves.allocate();
    const slab = this.#leaves.bytes[leaf >>> SLAB_SHIFT]!;
    const offset = (leaf & SLAB_MASK) * LEAF_BYTES;
    copyHash(path, 0, slab, offset);
    copyHash(hash, 0, slab, offset + LEAF_HASH_OFFSET);
    return leaf + 1;
  }

  /** The slab and offset of a node's path. */
  #pathSlab(ref: NodeRef): Uint8Array {
    return ref > 0 ? this.#leaves.bytes[(ref - 1) >>> SLAB_SHIFT]! : this.#branches.bytes[(-ref - 1) >>> SLAB_SHIFT]!;
  }

  #pathOffset(ref: NodeRef): number {
    return ref > 0 ? ((ref - 1) & SLAB_MASK) * LEAF_BYTES : ((-ref - 1) & SLAB_MASK) * BRANCH_BYTES + BRANCH_PATH_OFFSET;
  }

  /** A new branch at `depth` over nodes a and b (which differ at that nibble); returns its NodeRef. */
  #newBranch(depth: number, a: NodeRef, b: NodeRef): NodeRef {
    const branch = this.#branches.allocate();
    const slab = this.#branches.bytes[branch >>> SLAB_SHIFT]!;
    const offset = (branch & SLAB_MASK) * BRANCH_BYTES;
    const words = this.#branches.words[branch >>> SLAB_SHIFT]!;
    const children = (offset + BRANCH_CHILDREN_OFFSET) >> 2;
    words.fill(NONE, children, children + RADIX);
    const aSlab = this.#pathSlab(a);
    const aOffset = this.#pathOffset(a);
    const aSlot = nibble(aSlab, aOffset, depth);
    const bSlot = nibble(this.#pathSlab(b), this.#pathOffset(b), depth);
    words[children + aSlot] = a;
    words[children + bSlot] = b;
    copyHash(aSlab, aOffset, slab, offset + BRANCH_PATH_OFFSET);
    slab[offset + BRANCH_DEPTH_OFFSET] = depth;
    slab[offset + BRANCH_DIRTY_OFFSET] = 1;
    this.#setChanged(slab, offset, (1 << aSlot) | (1 << bSlot));
    return -(branch + 1);
  }

  #setChanged(slab: Uint8Array, offset: number, mask: number): void {
    slab[offset + BRANCH_CHANGED_OFFSET] = mask & 0xff;
    slab[offset + BRANCH_CHANGED_OFFSET + 1] = mask >> 8;
  }

  #markChanged(slab: Uint8Array, offset: number, slot: number): void {
    slab[offset + BRANCH_DIRTY_OFFSET] = 1;
    slab[offset + BRANCH_CHANGED_OFFSET + (slot >> 3)]! |= 1 << (slot & 7);
  }

  /** Inserts or replaces the leaf at `path` below `ref` (whose leaves share nibbles [0, from)). */
  #insert(ref: NodeRef, from: number, path: Uint8Array, hash: Uint8Array): NodeRef {
    if (ref === NONE) return this.#newLeaf(path, hash);
    if (ref > 0) {
      const leaf = ref - 1;
      const slab = this.#leaves.bytes[leaf >>> SLAB_SHIFT]!;
      const offset = (leaf & SLAB_MASK) * LEAF_BYTES;
      const at = divergence(slab, offset, path, 0, from, PATH_NIBBLES);
      if (at === PATH_NIBBLES) {
        copyHash(hash, 0, slab, offset + LEAF_HASH_OFFSET);
        return ref;
      }
      return this.#newBranch(at, ref, this.#newLeaf(path, hash));
    }
    const branch = -ref - 1;
    const slab = this.#branches.bytes[branch >>> SLAB_SHIFT]!;
    const offset = (branch & SLAB_MASK) * BRANCH_BYTES;
    const depth = slab[offset + BRANCH_DEPTH_OFFSET]!;
    const at = divergence(slab, offset + BRANCH_PATH_OFFSET, path, 0, from, depth);
    if (at < depth) return this.#newBranch(at, ref, this.#newLeaf(path, hash));
    const words = this.#branches.words[branch >>> SLAB_SHIFT]!;
    const slot = nibble(path, 0, depth);
    const word = ((offset + BRANCH_CHILDREN_OFFSET) >> 2) + slot;
    words[word] = this.#insert(words[word]!, depth + 1, path, hash);
    this.#markChanged(slab, offset, slot);
    return ref;
  }

  /**
   * Removes the leaf at `path`: the node that replaces `ref` (a branch left with one child is
   * replaced by that child), or ABSENT if there was no such leaf.
   */
  #remove(ref: NodeRef, path: Uint8Array): NodeRef {
    if (ref === NONE) return ABSENT;
    if (ref > 0) {
      const leaf = ref - 1;
      const offset = (leaf & SLAB_MASK) * LEAF_BYTES;
      if (divergence(this.#leaves.bytes[leaf >>> SLAB_SHIFT]!, offset, path, 0, 0, PATH_NIBBLES) !== PATH_NIBBLES) return ABSENT;
      this.#leaves.release(leaf);
      return NONE;
    }
    const branch = -ref - 1;
    const slab = this.#branches.bytes[branch >>> SLAB_SHIFT]!;
    const words = this.#branches.words[branch >>> SLAB_SHIFT]!;
    const offset = (branch & SLAB_MASK) * BRANCH_BYTES;
    const slot = nibble(path, 0, slab[offset + BRANCH_DEPTH_OFFSET]!);
    const children = (offset + BRANCH_CHILDREN_OFFSET) >> 2;
    const updated = this.#remove(words[children + slot]!, path);
    if (updated === ABSENT) return ABSENT;
    // Something below changed (even if the child is the same node): this hash is stale.
    words[children + slot] = updated;
    this.#markChanged(slab, offset, slot);
    let only: NodeRef = NONE;
    let count = 0;
    for (let i = children, end = children + RADIX; i < end; i++) {
      if (words[i] !== NONE) {
        only = words[i]!;
        count++;
      }
    }
    if (count !== 1) return ref;
    this.#branches.release(branch);
    return only;
  }

  #leafNibble(leaf: number, index: number): number {
    return nibble(this.#leaves.bytes[leaf >>> SLAB_SHIFT]!, (leaf & SLAB_MASK) * LEAF_BYTES, index);
  }

  /**
   * The subtrie of leaf refs leaves[lo, hi), which share nibbles [0, from): an MSD radix sort by
   * path nibble that builds branches on the way (hashes are computed later, by rootHash).
   */
  #buildRange(leaves: Int32Array, scratch: Int32Array, lo: number, hi: number, from: number): NodeRef {
    if (hi - lo === 1) return leaves[lo]!;
    let depth = from;
    let counts: Int32Array;
    for (;;) {
      if (depth === PATH_NIBBLES) throw new Error('state hash trie: two keys with the same path');
      counts = this.#nibbleCounts[depth] ??= new Int32Array(RADIX);
      counts.fill(0);
      for (let i = lo; i < hi; i++) counts[this.#leafNibble(leaves[i]! - 1, depth)]!++;
      if (counts.indexOf(hi - lo) < 0) break;
      depth++;
    }
    const next = new Int32Array(RADIX);
    for (let n = 0, at = lo; n < RADIX; n++) {
      next[n] = at;
      at += counts[n]!;
    }
    for (let i = lo; i < hi; i++) scratch[next[this.#leafNibble(leaves[i]! - 1, depth)]!++] = leaves[i]!;
    leaves.set(scratch.subarray(lo, hi), lo);
    const branch = this.#branches.allocate();
    const slab = this.#branches.bytes[branch >>> SLAB_SHIFT]!;
    const words = this.#branches.words[branch >>> SLAB_SHIFT]!;
    const offset = (branch & SLAB_MASK) * BRANCH_BYTES;
    const children = (offset + BRANCH_CHILDREN_OFFSET) >> 2;
    let changed = 0;
    for (let n = 0, start = lo; n < RADIX; n++) {
      const count = counts[n]!;
      words[children + n] = count === 0 ? NONE : this.#buildRange(leaves, scratch, start, start + count, depth + 1);
      if (count > 1) changed |= 1 << n;
      start += count;
    }
    this.#setChanged(slab, offset, changed);
    const first = leaves[lo]! - 1;
    copyHash(this.#leaves.bytes[first >>> SLAB_SHIFT]!, (first & SLAB_MASK) * LEAF_BYTES, slab, offset + BRANCH_PATH_OFFSET);
    slab[offset + BRANCH_DEPTH_OFFSET] = depth;
    slab[offset + BRANCH_DIRTY_OFFSET] = 1;
    return -(branch + 1);
  }

  /** Recomputes the hash of a dirty branch (and of its dirty branches first). */
  #hashBranch(branch: number): void {
    const slab = this.#branches.bytes[branch >>> SLAB_SHIFT]!;
    const words = this.#branches.words[branch >>> SLAB_SHIFT]!;
    const offset = (branch & SLAB_MASK) * BRANCH_BYTES;
    if (slab[offset + BRANCH_DIRTY_OFFSET] === 0) return;
    const first = (offset + BRANCH_CHILDREN_OFFSET) >> 2;
    // Changed children first (they use the same input buffer); the others' hashes are current.
    const changed = slab[offset + BRANCH_CHANGED_OFFSET]! | (slab[offset + BRANCH_CHANGED_OFFSET + 1]! << 8);
    for (let n = 0; n < RADIX; n++) if (changed & (1 << n) && words[first + n]! < 0) this.#hashBranch(-words[first + n]! - 1);
    this.#setChanged(slab, offset, 0);
    const input = this.#branchInput;
    let bitmap = 0;
    let length = BRANCH_HEADER_BYTES;
    for (let n = 0; n < RADIX; n++) {
      const child = words[first + n]!;
      if (child === NONE) continue;
      bitmap |= 1 << (RADIX - 1 - n);
      if (child > 0) {
        const leaf = child - 1;
        copyHash(this.#leaves.bytes[leaf >>> SLAB_SHIFT]!, (leaf & SLAB_MASK) * LEAF_BYTES + LEAF_HASH_OFFSET, input, length);
      } else {
        const sub = -child - 1;
        copyHash(this.#branches.bytes[sub >>> SLAB_SHIFT]!, (sub & SLAB_MASK) * BRANCH_BYTES + BRANCH_HASH_OFFSET, input, length);
      }
      length += NODE_HASH_BYTES;
    }
    input[0] = BRANCH_DOMAIN;
    input[1] = slab[offset + BRANCH_DEPTH_OFFSET]!;
    input[2] = bitmap >> 8;
    input[3] = bitmap & 0xff;
    copyHash(nodeHash(input.subarray(0, length)), 0, slab, offset + BRANCH_HASH_OFFSET);
    slab[offset + BRANCH_DIRTY_OFFSET] = 0;
  }
}
