// The ledger's key layout and its big-endian integers: byte for byte what is on disk (a change
// here is a ledger format change), round trips through views at any offset, and refusals of
// values the format cannot hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blockKey,
  compositeKeyOfStateKey,
  decodeTxLocation,
  encodeTxLocation,
  PREFIX_BLOCKCHAIN,
  PREFIX_STATE,
  readU32,
  readU64,
  stateGenerationRange,
  stateKey,
  u32,
  u64,
} from '../../host/ledger/key-spaces.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

test('u64 and u32 are big-endian and round-trip, also read from a view at an offset', () => {
  const cases: Array<[number, string]> = [
    [0, '0000000000000000'],
    [1, '0000000000000001'],
    [0xffff_ffff, '00000000ffffffff'],
    [0x1_0000_0000, '0000000100000000'],
    [0x0102_0304_0506, '0000010203040506'],
    [Number.MAX_SAFE_INTEGER, '001fffffffffffff'],
  ];
  for (const [value, bytes] of cases) {
    assert.equal(hex(u64(value)), bytes, String(value));
    assert.equal(readU64(u64(value)), value);
    const framed = new Uint8Array(3 + 8 + 2);
    framed.set(u64(value), 3);
    assert.equal(readU64(framed.subarray(1), 2), value, 'through a subarray, at an offset');
  }
  for (const [value, bytes] of [[0, '00000000'], [0x8000_0000, '80000000'], [0xffff_ffff, 'ffffffff'], [0x0a0b_0c0d, '0a0b0c0d']] as Array<[number, string]>) {
    assert.equal(hex(u32(value)), bytes);
    assert.equal(readU32(u32(value)), value);
    assert.equal(readU32(new Uint8Array([9, ...u32(value)]).subarray(1)), value);
  }
});

test('values the format cannot hold are refused, not wrapped', () => {
  for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Infinity]) assert.throws(() => u64(bad), RangeError, String(bad));
  for (const bad of [-1, 0.5, 0x1_0000_0000, Number.NaN]) assert.throws(() => u32(bad), RangeError, String(bad));
  assert.throws(() => readU64(Uint8Array.from([0, 0x20, 0, 0, 0, 0, 0, 0])), /above MAX_SAFE_INTEGER/);
  assert.throws(() => readU64(new Uint8Array(7)), /out of bounds/);
  assert.throws(() => readU32(new Uint8Array(6), 3), /out of bounds/);
  assert.throws(() => encodeTxLocation(-1, 0), RangeError);
  assert.throws(() => encodeTxLocation(1, 2 ** 32), RangeError);
  assert.throws(() => stateKey(-1, new Uint8Array(0)), RangeError);
});

test('keys: block, state (prefix, generation, composite key) and transaction locations', () => {
  assert.equal(hex(blockKey(258)), `0${PREFIX_BLOCKCHAIN}0000000000000102`);
  const composite = new TextEncoder().encode('cc\u0000k');
  const key = stateKey(0x0102_0304, composite);
  assert.equal(hex(key), `0${PREFIX_STATE}67010203046363006b`);
  assert.deepEqual(compositeKeyOfStateKey(key), composite);
  const range = stateGenerationRange(7);
  assert.equal(hex(range.gte), `0${PREFIX_STATE}6700000007`);
  assert.equal(hex(range.lt), `0${PREFIX_STATE}6700000008`);
  assert.equal(hex(stateGenerationRange(0xffff_ffff).lt), `0${PREFIX_STATE}68`);
  const location = encodeTxLocation(0x1_0000_0002, 7);
  assert.equal(hex(location), '000000010000000200000007');
  assert.deepEqual(decodeTxLocation(location), { blockNumber: 0x1_0000_0002, index: 7 });
  assert.throws(() => decodeTxLocation(new Uint8Array(11)), /has 11 bytes, expected 12/);
});
