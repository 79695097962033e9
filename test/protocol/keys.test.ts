// Key order is UTF-8 byte order (LevelDB's), on the fast path (no code unit from U+D800 up) and
// on the slow one (surrogate pairs against U+E000..U+FFFF), checked against Buffer.compare.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareKeys, compositeKey } from '../../host/protocol/keys.ts';

const sign = (n: number): number => Math.sign(n);
const utf8Order = (a: string, b: string): number => sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

test('the cases where UTF-16 and UTF-8 order differ are ordered as UTF-8', () => {
  assert.equal(sign(compareKeys('\u{10000}', '\uffff')), 1); // UTF-16 would say -1
  assert.equal(sign(compareKeys('a\uE000', 'a\u{1F600}')), -1);
  assert.equal(sign(compareKeys('abc', 'abd')), -1);
  assert.equal(sign(compareKeys('abc', 'ab')), 1);
  assert.equal(compareKeys('same', 'same'), 0);
  assert.equal(sign(compareKeys(compositeKey('cc', 'a'), compositeKey('cc', ''))), 1);
});

test('random strings from every interesting range order as their UTF-8 bytes', () => {
  const alphabet = ['a', 'b', '\u0000', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}', '\u{1f600}'];
  let seed = 12345;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const word = (): string => Array.from({ length: next(6) }, () => alphabet[next(alphabet.length)]).join('');
  const prefix = 'f'.repeat(128) + '\u0000';
  for (let i = 0; i < 5_000; i++) {
    const a = (i % 2 === 0 ? prefix : '') + word();
    const b = (i % 3 === 0 ? a.slice(0, next(a.length + 1)) : (i % 2 === 0 ? prefix : '')) + word();
    assert.equal(sign(compareKeys(a, b)), utf8Order(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});
