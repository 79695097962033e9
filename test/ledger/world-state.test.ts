// The world state's reads: UTF-8 byte order (surrogate pairs sort after U+E000..U+FFFF, unlike
// JS string order), inclusive ranges with "" unbounded, prefixes, namespaces kept apart, the
// same order as LevelDB's, and iterators frozen at the call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Level } from 'level';
import { Ledger } from '../../host/ledger/ledger.ts';
import { WorldState } from '../../host/ledger/world-state.ts';
import { blockInput, keysOf, openTempLedger, stateOf, text, utf8, writes } from './helpers.ts';

// In UTF-8 byte order: ASCII, then é (C3 A9), then U+E000 (EE 80 80), U+FFFF (EF BF BF), then the
// astral 😀 (F0 9F 98 80) and 𝄞 (F0 9D 84 9E) — JS's < puts both astral ones before U+E000.
const KEYS = ['a', 'z', 'é', '\ue000', '\uffff', '😀', '𝄞', 'a😀', 'a\uffff'];
const BYTE_ORDER = [...KEYS].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

test('the test keys really do sort differently in UTF-16 and UTF-8', () => {
  assert.notDeepEqual([...KEYS].sort(), BYTE_ORDER);
  assert.deepEqual(BYTE_ORDER, ['a', 'a\uffff', 'a😀', 'z', 'é', '\ue000', '\uffff', '𝄞', '😀']);
});

test('rangeState returns keys in UTF-8 byte order, inclusive, "" unbounded', async (t) => {
  const { ledger } = await openTempLedger(t);
  await ledger.commitBlock(blockInput({ writes: writes('cc', Object.fromEntries(KEYS.map((k) => [k, `v-${k}`]))) }));
  assert.deepEqual(keysOf(ledger.rangeState('cc', '', '')), BYTE_ORDER);
  assert.deepEqual(keysOf(ledger.rangeState('cc', '\ue000', '')), ['\ue000', '\uffff', '𝄞', '😀']);
  assert.deepEqual(keysOf(ledger.rangeState('cc', '', '\uffff')), ['a', 'a\uffff', 'a😀', 'z', 'é', '\ue000', '\uffff']);
  assert.deepEqual(keysOf(ledger.rangeState('cc', '\uffff', '𝄞')), ['\uffff', '𝄞']);
  assert.deepEqual(keysOf(ledger.rangeState('cc', 'a', 'a😀')), ['a', 'a\uffff', 'a😀']);
  assert.deepEqual(keysOf(ledger.rangeState('cc', 'b', 'y')), []);
  assert.deepEqual(keysOf(ledger.rangeState('cc', 'z', 'a')), []);
  assert.deepEqual(keysOf(ledger.prefixState('cc', 'a')), ['a', 'a\uffff', 'a😀']);
  assert.deepEqual(keysOf(ledger.prefixState('cc', '')), BYTE_ORDER);
  assert.deepEqual(keysOf(ledger.prefixState('cc', '\ud83d')), ['😀']);
  assert.equal(text(ledger.getState('cc', '😀')), 'v-😀');
});

test('namespaces are kept apart: no keys leak between "cc", "cc2" and "c"', async (t) => {
  const { ledger } = await openTempLedger(t);
  await ledger.commitBlock(
    blockInput({
      writes: new Map([
        ['c', new Map([['z', utf8('c')]])],
        ['cc', new Map([['', utf8('empty key')], ['a\u0000b', utf8('nul inside')], ['b', utf8('cc')]])],
        ['cc2', new Map([['a', utf8('cc2')]])],
      ]),
    }),
  );
  assert.deepEqual(stateOf(ledger, 'cc'), { '': 'empty key', 'a\u0000b': 'nul inside', b: 'cc' });
  assert.deepEqual(stateOf(ledger, 'c'), { z: 'c' });
  assert.deepEqual(stateOf(ledger, 'cc2'), { a: 'cc2' });
  assert.deepEqual(keysOf(ledger.prefixState('cc', 'a')), ['a\u0000b']);
  assert.deepEqual(keysOf(ledger.rangeState('c', '', '')), ['z']);
  assert.equal(ledger.getState('cc', 'a'), undefined);
  assert.equal(ledger.getState('nope', 'a'), undefined);
});

test('the in-memory order is LevelDB order: stored state keys come back in the same order', async (t) => {
  const { ledger, dir } = await openTempLedger(t);
  await ledger.commitBlock(blockInput({ writes: writes('cc', Object.fromEntries(KEYS.map((k) => [k, k]))) }));
  const inMemory = keysOf(ledger.rangeState('cc', '', ''));
  await ledger.close();

  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  const stored: string[] = [];
  // State data keys: 0x02 'g' u32 generation, then chaincode 0x00 key.
  for await (const key of db.keys({ gte: new Uint8Array([0x02, 0x67]), lt: new Uint8Array([0x02, 0x68]) })) {
    const composite = new TextDecoder().decode(key.subarray(6));
    stored.push(composite.slice(composite.indexOf('\u0000') + 1));
  }
  await db.close();
  assert.deepEqual(stored, inMemory);

  const reopened = await Ledger.open(dir, { deltaHistorySize: 10 });
  t.after(() => reopened.close());
  assert.deepEqual(keysOf(reopened.rangeState('cc', '', '')), BYTE_ORDER);
});

test('an open iterator keeps yielding the state as of the call while blocks commit', async (t) => {
  const { ledger } = await openTempLedger(t);
  await ledger.commitBlock(blockInput({ writes: writes('cc', { a: '1', b: '2', c: '3' }) }));
  const iterator = ledger.rangeState('cc', '', '');
  assert.deepEqual(iterator.next().value, ['a', utf8('1')]);
  await ledger.commitBlock(blockInput({ writes: writes('cc', { b: null, bb: 'new', c: '30' }) }));
  const rest: Array<[string, string]> = [];
  for (let step = iterator.next(); !step.done; step = iterator.next()) rest.push([step.value[0], text(step.value[1])!]);
  assert.deepEqual(rest, [['b', '2'], ['c', '3']]);
  assert.deepEqual(stateOf(ledger, 'cc'), { a: '1', bb: 'new', c: '30' });
});

test('values are copied on commit: changing the caller\'s buffer afterwards changes nothing', async (t) => {
  const { ledger } = await openTempLedger(t);
  const value = utf8('100');
  await ledger.commitBlock(blockInput({ writes: new Map([['cc', new Map([['a', value]])]]) }));
  value[0] = 0x39;
  assert.equal(text(ledger.getState('cc', 'a')), '100');
});

test('WorldState: entries come in composite byte order across namespaces, frozen at the call; size counts keys', () => {
  const names = ['cc2', 'c', 'cc', 'c\uffff', 'c😀'];
  const state = new WorldState();
  for (const name of names) for (const key of ['b', '', 'a😀', 'a\uffff']) state.set(name, key, utf8(`${name}/${key}`));
  assert.equal(state.size, names.length * 4);
  const composites = names.flatMap((name) => ['b', '', 'a😀', 'a\uffff'].map((key) => `${name}\u0000${key}`));
  const byteOrder = [...composites].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  const frozen = state.entries();
  state.set('cc', 'b', null);
  state.set('zz', 'new', utf8('new'));
  assert.deepEqual([...frozen].map(([composite]) => composite), byteOrder);
  assert.equal(state.size, names.length * 4);

  // Deleting an absent key changes nothing; deleting a namespace's last key removes it.
  state.set('nope', 'x', null);
  state.set('zz', 'new', null);
  assert.equal(state.size, names.length * 4 - 1);
  assert.deepEqual([...state.entries()].filter(([composite]) => composite.startsWith('zz')), []);

  const rebuilt = WorldState.fromSorted(byteOrder, byteOrder.map((composite) => utf8(composite)));
  assert.equal(rebuilt.size, byteOrder.length);
  assert.equal(text(rebuilt.get('c😀', 'a😀')!), 'c😀\u0000a😀');
  assert.deepEqual([...rebuilt.entries()].map(([composite]) => composite), byteOrder);
  assert.throws(() => WorldState.fromSorted(['a\u0000x', 'b\u0000x', 'a\u0000y'], [utf8('1'), utf8('2'), utf8('3')]), /state keys of "a" are not contiguous/);
  assert.throws(() => WorldState.fromSorted(['a\u0000y', 'a\u0000x'], [utf8('1'), utf8('2')]));
});
