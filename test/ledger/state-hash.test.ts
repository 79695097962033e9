// The state hash: defined for the empty state, equal to an independent from-scratch reference
// computation of the trie, and independent of insertion order and history.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { EMPTY_STATE_HASH, StateHashTrie, keyPath, leafHash } from '../../host/ledger/state-hash.ts';
import { cryptoHash } from '../../host/protocol/hash.ts';
import { compositeKey } from '../../host/protocol/keys.ts';
import { blockInput, hex, openTempLedger, utf8, writes } from './helpers.ts';

/** A small deterministic PRNG (mulberry32) so failures replay. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const nibbleAt = (path: Uint8Array, i: number): number => (i % 2 === 0 ? path[i >> 1]! >> 4 : path[i >> 1]! & 0x0f);

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
};

/**
 * The trie's hash computed from scratch from its definition, written independently of the
 * incremental implementation: a set of leaves hashes as one leaf, or as a branch at the first
 * nibble where their paths differ, over the groups by that nibble.
 */
function referenceHash(entries: Map<string, Uint8Array>): Uint8Array {
  const leaves = [...entries].map(([composite, value]) => {
    const bytes = utf8(composite);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, bytes.length);
    const leaf = { path: sha256(bytes), hash: sha256(new Uint8Array([0x00]), length, bytes, value) };
    // The exported helpers are the same definition.
    assert.deepEqual(keyPath(bytes), leaf.path);
    assert.deepEqual(leafHash(bytes, value), leaf.hash);
    return leaf;
  });
  if (leaves.length === 0) return EMPTY_STATE_HASH;
  const node = (group: typeof leaves, from: number): Uint8Array => {
    if (group.length === 1) return group[0]!.hash;
    let depth = from;
    while (group.every((leaf) => nibbleAt(leaf.path, depth) === nibbleAt(group[0]!.path, depth))) depth++;
    const parts: Uint8Array[] = [];
    let bitmap = 0;
    for (let n = 0; n < 16; n++) {
      const children = group.filter((leaf) => nibbleAt(leaf.path, depth) === n);
      if (children.length === 0) continue;
      bitmap |= 1 << (15 - n);
      parts.push(node(children, depth + 1));
    }
    return sha256(new Uint8Array([0x01, depth, bitmap >> 8, bitmap & 0xff]), ...parts);
  };
  return cryptoHash(new Uint8Array([0x02]), node(leaves, 0));
}

function trieOf(entries: Array<[string, Uint8Array]>): StateHashTrie {
  const trie = new StateHashTrie();
  const present = new Set<string>();
  for (const [composite, value] of entries) {
    trie.set(utf8(composite), value, present.has(composite));
    present.add(composite);
  }
  return trie;
}

function randomEntries(count: number, seed: number): Map<string, Uint8Array> {
  const random = prng(seed);
  const entries = new Map<string, Uint8Array>();
  while (entries.size < count) {
    const namespace = random() < 0.5 ? 'example02' : 'marbles';
    entries.set(compositeKey(namespace, `key-${Math.floor(random() * 1e9)}`), utf8(String(Math.floor(random() * 1e6))));
  }
  return entries;
}

test('the empty state has a defined hash: cryptoHash("weft.state.empty")', () => {
  assert.equal(hex(EMPTY_STATE_HASH), hex(cryptoHash(utf8('weft.state.empty'))));
  assert.equal(hex(new StateHashTrie().rootHash()), hex(EMPTY_STATE_HASH));
});

test('a one-key state hashes to its leaf: cryptoHash(0x02 ‖ SHA-256(0x00 ‖ u32 len ‖ composite key ‖ value))', () => {
  const composite = compositeKey('cc', 'a');
  const trie = trieOf([[composite, utf8('10')]]);
  const bytes = utf8(composite);
  const expected = cryptoHash(new Uint8Array([0x02]), sha256(new Uint8Array([0x00, 0, 0, 0, bytes.length]), bytes, utf8('10')));
  assert.equal(hex(trie.rootHash()), hex(expected));
});

test('the incremental trie equals the from-scratch reference for 2,000 keys', () => {
  const entries = randomEntries(2_000, 1);
  assert.equal(hex(trieOf([...entries]).rootHash()), hex(referenceHash(entries)));
});

test('the state hash does not depend on insertion order', () => {
  const entries = [...randomEntries(500, 2)];
  const random = prng(3);
  const expected = hex(trieOf(entries).rootHash());
  for (let round = 0; round < 5; round++) assert.equal(hex(trieOf(shuffle(entries, random)).rootHash()), expected, `order ${round}`);
});

test('the state hash does not depend on history: keys added and removed, values changed and restored', () => {
  const entries = randomEntries(400, 4);
  const expected = hex(referenceHash(entries));
  const random = prng(5);
  const trie = trieOf([...entries]);
  const extra = randomEntries(300, 6);
  for (const [composite, value] of extra) if (!entries.has(composite)) trie.set(utf8(composite), value, false);
  assert.notEqual(hex(trie.rootHash()), expected);
  for (const [composite] of shuffle([...extra], random)) if (!entries.has(composite)) trie.set(utf8(composite), null, true);
  for (const [composite] of entries) trie.set(utf8(composite), utf8('changed'), true);
  assert.notEqual(hex(trie.rootHash()), expected);
  for (const [composite, value] of shuffle([...entries], random)) trie.set(utf8(composite), value, true);
  assert.equal(hex(trie.rootHash()), expected);
  assert.equal(trie.size, 400);
  // Remove everything: back to the empty hash.
  for (const [composite] of entries) trie.set(utf8(composite), null, true);
  assert.equal(hex(trie.rootHash()), hex(EMPTY_STATE_HASH));
  assert.equal(trie.size, 0);
});

test('every changed value and every namespace changes the hash', () => {
  const base = trieOf([[compositeKey('cc', 'a'), utf8('1')], [compositeKey('cc', 'b'), utf8('2')]]).rootHash();
  const changedValue = trieOf([[compositeKey('cc', 'a'), utf8('1')], [compositeKey('cc', 'b'), utf8('3')]]).rootHash();
  const otherNamespace = trieOf([[compositeKey('cc', 'a'), utf8('1')], [compositeKey('dd', 'b'), utf8('2')]]).rootHash();
  const emptyValue = trieOf([[compositeKey('cc', 'a'), utf8('1')], [compositeKey('cc', 'b'), new Uint8Array(0)]]).rootHash();
  assert.equal(new Set([base, changedValue, otherNamespace, emptyValue].map(hex)).size, 4);
});

test('two ledgers reaching the same state by different blocks have the same state hash', async (t) => {
  const a = (await openTempLedger(t)).ledger;
  const b = (await openTempLedger(t)).ledger;
  await a.commitBlock(blockInput({ writes: writes('cc', { x: '1', y: '2', z: '3' }) }));
  await a.commitBlock(blockInput({ writes: writes('cc', { z: null, y: '5' }) }));
  await b.commitBlock(blockInput({ writes: writes('cc', { y: '4' }) }));
  await b.commitBlock(blockInput({ writes: writes('cc', { temp: 't' }) }));
  await b.commitBlock(blockInput({ writes: writes('cc', { temp: null, x: '1', y: '5' }) }));
  assert.equal(hex(a.stateHash()), hex(b.stateHash()));
  const reference = new Map([
    [compositeKey('cc', 'x'), utf8('1')],
    [compositeKey('cc', 'y'), utf8('5')],
  ]);
  assert.equal(hex(a.stateHash()), hex(referenceHash(reference)));
  assert.notEqual(hex(a.blockchainInfo().currentBlockHash), hex(b.blockchainInfo().currentBlockHash));
});

test('after every single insert, update or delete the hash equals a trie built from scratch', () => {
  // Checked after each operation: a stale cached branch hash would otherwise hide behind later
  // operations that happen to touch the same branches.
  const random = prng(7);
  const trie = new StateHashTrie();
  const state = new Map<string, Uint8Array>();
  const pool = [...randomEntries(250, 8).keys()];
  for (let op = 0; op < 500; op++) {
    const composite = pool[Math.floor(random() * pool.length)]!;
    const present = state.has(composite);
    const value = present && random() < 0.5 ? null : utf8(`v${op}`);
    trie.set(utf8(composite), value, present);
    if (value === null) state.delete(composite);
    else state.set(composite, value);
    assert.equal(hex(trie.rootHash()), hex(trieOf([...state]).rootHash()), `after operation ${op}`);
  }
  assert.equal(hex(trie.rootHash()), hex(referenceHash(state)));
});

test('building a whole state at once (open, snapshot install) gives the same trie as inserting key by key', () => {
  for (const count of [0, 1, 2, 17, 3_000]) {
    const entries = randomEntries(count, 9 + count);
    const built = new StateHashTrie();
    for (const [composite, value] of entries) built.addForBuild(utf8(composite), value);
    built.finishBuild();
    assert.equal(built.size, count);
    assert.equal(hex(built.rootHash()), hex(referenceHash(entries)), `${count} keys`);
    // And it keeps working incrementally afterwards.
    const [first] = entries.keys();
    if (first !== undefined) {
      built.set(utf8(first), null, true);
      entries.delete(first);
      built.set(utf8('cc\u0000new'), utf8('x'), false);
      entries.set('cc\u0000new', utf8('x'));
      assert.equal(hex(built.rootHash()), hex(referenceHash(entries)), `${count} keys, then changed`);
    }
  }
  const twice = new StateHashTrie();
  twice.addForBuild(utf8('cc\u0000a'), utf8('1'));
  twice.addForBuild(utf8('cc\u0000a'), utf8('2'));
  assert.throws(() => twice.finishBuild(), /state hash trie: two keys with the same path/);
});
