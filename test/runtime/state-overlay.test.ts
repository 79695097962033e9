import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_STATE, StateOverlay, type StateReader } from '../../host/runtime/state-overlay.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (text: string): Uint8Array => enc.encode(text);

function list(records: Iterator<[string, Uint8Array]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let next = records.next(); !next.done; next = records.next()) out.push([next.value[0], dec.decode(next.value[1])]);
  return out;
}

/** A committed state of one namespace, built from a plain overlay over nothing. */
function committed(entries: Record<string, string>, namespace = 'cc'): StateOverlay {
  const base = new StateOverlay(EMPTY_STATE);
  for (const [key, value] of Object.entries(entries)) base.putState(namespace, key, bytes(value));
  return base;
}

describe('StateOverlay', () => {
  it('reads its own writes first, then the base; a delete hides the base', () => {
    const base = committed({ a: '1', b: '2' });
    const overlay = new StateOverlay(base);
    overlay.putState('cc', 'a', bytes('10'));
    overlay.delState('cc', 'b');
    assert.equal(dec.decode(overlay.getState('cc', 'a')), '10');
    assert.equal(overlay.getState('cc', 'b'), undefined);
    assert.equal(overlay.getState('other', 'a'), undefined);
    assert.equal(dec.decode(base.getState('cc', 'a')), '1', 'the base is untouched');
  });

  it('merges range scans with the base in UTF-8 byte order, inclusive, "" unbounded', () => {
    const base = committed({ a: '1', c: '3', e: '5', '\u{10000}': 'astral', '\uffff': 'bmp' });
    const overlay = new StateOverlay(base);
    overlay.putState('cc', 'b', bytes('2'));
    overlay.putState('cc', 'c', bytes('30'));
    overlay.delState('cc', 'e');
    overlay.putState('cc', 'f', bytes('6'));
    assert.deepEqual(list(overlay.rangeState('cc', '', '')), [
      ['a', '1'], ['b', '2'], ['c', '30'], ['f', '6'], ['\uffff', 'bmp'], ['\u{10000}', 'astral'],
    ]);
    assert.deepEqual(list(overlay.rangeState('cc', 'b', 'e')), [['b', '2'], ['c', '30']]);
    assert.deepEqual(list(overlay.rangeState('cc', 'c', '')), [['c', '30'], ['f', '6'], ['\uffff', 'bmp'], ['\u{10000}', 'astral']]);
    assert.deepEqual(list(overlay.rangeState('cc', '', 'b')), [['a', '1'], ['b', '2']]);
  });

  it('merges prefix scans and keeps other namespaces apart', () => {
    const base = committed({ 'user:1': 'a', 'user:3': 'c', 'zone:1': 'z' });
    base.putState('other', 'user:2', bytes('x'));
    const overlay = new StateOverlay(base);
    overlay.putState('cc', 'user:2', bytes('b'));
    overlay.delState('cc', 'user:3');
    overlay.putState('cc', 'users', bytes('no'));
    assert.deepEqual(list(overlay.prefixState('cc', 'user:')), [['user:1', 'a'], ['user:2', 'b']]);
    assert.deepEqual(list(overlay.prefixState('cc', '')), [['user:1', 'a'], ['user:2', 'b'], ['users', 'no'], ['zone:1', 'z']]);
  });

  it('an open scan does not see writes made after it was opened', () => {
    const overlay = new StateOverlay(committed({ a: '1', c: '3' }));
    overlay.putState('cc', 'b', bytes('2'));
    const records = overlay.rangeState('cc', '', '');
    overlay.putState('cc', 'bb', bytes('late'));
    overlay.delState('cc', 'b');
    assert.deepEqual(list(records), [['a', '1'], ['b', '2'], ['c', '3']]);
    assert.deepEqual(list(overlay.rangeState('cc', '', '')), [['a', '1'], ['bb', 'late'], ['c', '3']]);
  });

  it('keeps its sorted index right when keys are added after a scan', () => {
    const overlay = new StateOverlay(EMPTY_STATE);
    for (const key of ['m', 'c', 'x']) overlay.putState('cc', key, bytes(key));
    assert.deepEqual(list(overlay.rangeState('cc', '', '')).map(([k]) => k), ['c', 'm', 'x']);
    for (const key of ['a', 'n', 'z', 'm']) overlay.putState('cc', key, bytes(key));
    assert.deepEqual(list(overlay.rangeState('cc', '', '')).map(([k]) => k), ['a', 'c', 'm', 'n', 'x', 'z']);
  });

  it('writes() is the write set with deletes as null; apply() takes another layer over', () => {
    const block = new StateOverlay(committed({ a: '1' }));
    const tx = new StateOverlay(block);
    tx.putState('cc', 'b', bytes('2'));
    tx.delState('cc', 'a');
    tx.putState('other', 'k', bytes('v'));
    const writes = tx.writes();
    assert.deepEqual([...writes.keys()], ['cc', 'other']);
    assert.equal(writes.get('cc')?.get('a'), null);
    assert.equal(dec.decode(writes.get('cc')?.get('b') ?? new Uint8Array()), '2');
    assert.equal(block.getState('cc', 'b'), undefined, 'nothing reaches the block before apply');
    block.apply(writes);
    assert.equal(block.getState('cc', 'a'), undefined);
    assert.deepEqual(list(block.rangeState('cc', '', '')), [['b', '2']]);
    assert.deepEqual(list(block.rangeState('other', '', '')), [['k', 'v']]);
  });

  it('view(namespace) is a StateView over the overlay, one object per namespace', () => {
    const overlay = new StateOverlay(committed({ a: '1' }));
    const view = overlay.view('cc');
    assert.equal(overlay.view('cc'), view);
    view.put('b', bytes('2'));
    view.del('a');
    assert.equal(view.get('a'), undefined);
    assert.deepEqual(list(view.range('', '')), [['b', '2']]);
    assert.deepEqual(list(view.prefix('b')), [['b', '2']]);
    assert.equal(dec.decode(overlay.getState('cc', 'b')), '2');
  });

  it('reads through a base that is any StateReader (the ledger)', () => {
    const calls: string[] = [];
    const ledger: StateReader = {
      getState: (ns, key) => (calls.push(`get ${ns} ${key}`), key === 'k' ? bytes('v') : undefined),
      rangeState: (ns, start, end) => (calls.push(`range ${ns} ${start} ${end}`), [['k', bytes('v')] as [string, Uint8Array]][Symbol.iterator]()),
      prefixState: (ns, prefix) => (calls.push(`prefix ${ns} ${prefix}`), [][Symbol.iterator]()),
    };
    const overlay = new StateOverlay(ledger);
    assert.equal(dec.decode(overlay.getState('cc', 'k')), 'v');
    assert.deepEqual(list(overlay.rangeState('cc', 'a', 'z')), [['k', 'v']]);
    assert.deepEqual(list(overlay.prefixState('cc', 'p')), []);
    assert.deepEqual(calls, ['get cc k', 'range cc a z', 'prefix cc p']);
  });
});
