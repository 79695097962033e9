// The argument encoding across the chaincode ABI: little-endian count and lengths, byte for byte
// (guests written against sdk-as decode exactly this), and clear refusals of malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARGS_COUNT_MAX } from '../../host/protocol/limits.ts';
import { decodeArgs, encodeArgs, readU32LE, writeU32LE } from '../../host/runtime/args-codec.ts';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

test('u32 little-endian helpers: every byte in its place, also at an offset', () => {
  const bytes = new Uint8Array(7);
  writeU32LE(bytes, 2, 0xdead_beef);
  assert.equal(hex(bytes), '0000efbeadde00');
  assert.equal(readU32LE(bytes, 2), 0xdead_beef);
  assert.equal(readU32LE(Uint8Array.from([0xff, 0xff, 0xff, 0xff]), 0), 0xffff_ffff);
});

test('encodeArgs: count, then length and bytes of each argument; decodeArgs gives them back', () => {
  const args = [utf8('move'), utf8('a'), new Uint8Array(0), utf8('10')];
  const encoded = encodeArgs(args);
  assert.equal(hex(encoded), '04000000' + '04000000' + hex(utf8('move')) + '01000000' + hex(utf8('a')) + '00000000' + '02000000' + hex(utf8('10')));
  assert.deepEqual(decodeArgs(encoded), args);
  const framed = new Uint8Array(encoded.length + 5);
  framed.set(encoded, 5);
  assert.deepEqual(decodeArgs(framed.subarray(5)), args, 'from a view at an offset');
  assert.deepEqual(decodeArgs(encodeArgs([])), []);
});

test('decodeArgs says what is wrong with malformed bytes', () => {
  assert.match(decodeArgs(new Uint8Array(3)) as string, /shorter than its count/);
  const tooMany = new Uint8Array(4);
  writeU32LE(tooMany, 0, ARGS_COUNT_MAX + 1);
  assert.match(decodeArgs(tooMany) as string, /exceed ARGS_COUNT_MAX/);
  assert.match(decodeArgs(Uint8Array.from([1, 0, 0, 0, 5, 0])) as string, /ends inside the length of arg 0/);
  assert.match(decodeArgs(Uint8Array.from([1, 0, 0, 0, 5, 0, 0, 0, 1, 2])) as string, /arg 0 of 5 bytes runs past the end/);
  assert.match(decodeArgs(Uint8Array.from([0, 0, 0, 0, 9])) as string, /1 bytes after its last arg/);
});
