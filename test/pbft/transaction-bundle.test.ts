// Request payloads as bundles of transactions: exact round trip, and every malformed form
// refused with its reason (a faulty origin's request must expand the same way on every replica).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUNDLE_TRANSACTIONS_MAX, bundleBytesBound, declaredTransactionCount, decodeTransactionBundle, encodeTransactionBundle, fitsBundle } from '../../network/pbft/transaction-bundle.ts';
import { REQUEST_PAYLOAD_BYTES_MAX } from '../../network/pbft/constants.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const texts = (decoded: Uint8Array[] | { error: string }): string[] | string =>
  Array.isArray(decoded) ? decoded.map((tx) => new TextDecoder().decode(tx)) : decoded.error;

test('a bundle round-trips its transactions in order, byte for byte', () => {
  const txs = ['a', 'x'.repeat(200), 'third'].map(bytes);
  const encoded = encodeTransactionBundle(txs);
  // version, count, then (length, bytes) each; 200 takes two varint bytes.
  assert.deepEqual([...encoded.subarray(0, 4)], [1, 3, 1, 'a'.charCodeAt(0)]);
  assert.equal(encoded.length, 1 + 1 + (1 + 1) + (2 + 200) + (1 + 5));
  assert.ok(encoded.length <= bundleBytesBound(3, 206));
  assert.deepEqual(texts(decodeTransactionBundle(encoded)), ['a', 'x'.repeat(200), 'third']);
  const many = Array.from({ length: BUNDLE_TRANSACTIONS_MAX }, (_, i) => bytes(String(i)));
  assert.equal((decodeTransactionBundle(encodeTransactionBundle(many)) as Uint8Array[]).length, BUNDLE_TRANSACTIONS_MAX);
});

test('encoding refuses what no replica would accept', () => {
  assert.throws(() => encodeTransactionBundle([]), /1 to 256 transactions, not 0/);
  assert.throws(() => encodeTransactionBundle(Array.from({ length: 257 }, () => bytes('t'))), /not 257/);
  assert.throws(() => encodeTransactionBundle([new Uint8Array(0)]), /transaction of 0 bytes/);
});

test('malformed bundles are refused with a reason, never thrown', () => {
  const good = encodeTransactionBundle(['one', 'two'].map(bytes));
  const cases: [Uint8Array, string][] = [
    [new Uint8Array(0), 'not a transaction bundle (version missing)'],
    [new Uint8Array([0x0a, 1, 2]), 'not a transaction bundle (version 10)'],
    [new Uint8Array([1]), 'bundle count unreadable is not 1 to 256'],
    [new Uint8Array([1, 0]), 'bundle count 0 is not 1 to 256'],
    [new Uint8Array([1, 0x81, 0x02]), 'bundle count 257 is not 1 to 256'],
    [new Uint8Array([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 'bundle count unreadable is not 1 to 256'],
    [good.subarray(0, good.length - 1), 'bundle transaction 1 has a bad length (3)'],
    [new Uint8Array([...good, 0]), '1 bytes after the last transaction of the bundle'],
    [new Uint8Array([1, 1, 0]), 'bundle transaction 0 has a bad length (0)'],
    [new Uint8Array([1, 2, 1, 65]), 'bundle transaction 1 has a bad length (unreadable)'],
  ];
  for (const [payload, error] of cases) assert.equal(texts(decodeTransactionBundle(payload)), error, `payload ${[...payload].join(',')}`);
  for (let i = 0; i < 3_000; i++) {
    const junk = crypto.getRandomValues(new Uint8Array(1 + (i % 64)));
    junk[0] = 1;
    const decoded = decodeTransactionBundle(junk);
    if (Array.isArray(decoded)) assert.ok(decoded.every((tx) => tx.length > 0));
  }
});

test('fitsBundle stops at the count and at the request payload bound', () => {
  assert.equal(fitsBundle(0, 0, 100), true);
  assert.equal(fitsBundle(BUNDLE_TRANSACTIONS_MAX - 1, 1_000, 100), true);
  assert.equal(fitsBundle(BUNDLE_TRANSACTIONS_MAX, 1_000, 100), false);
  assert.equal(fitsBundle(1, REQUEST_PAYLOAD_BYTES_MAX - 100, 100), false);
  assert.equal(fitsBundle(0, 0, REQUEST_PAYLOAD_BYTES_MAX - 16), true);
});

test('the declared count is read from the header alone; anything else declares 0', () => {
  assert.equal(declaredTransactionCount(encodeTransactionBundle(['a', 'b', 'c'].map(bytes))), 3);
  assert.equal(declaredTransactionCount(encodeTransactionBundle(Array.from({ length: 200 }, () => bytes('t')))), 200);
  assert.equal(declaredTransactionCount(encodeTransactionBundle(Array.from({ length: 256 }, () => bytes('t')))), 256);
  assert.equal(declaredTransactionCount(new Uint8Array([1, 0x81, 0x02])), 0); // 257
  assert.equal(declaredTransactionCount(new Uint8Array([1, 0x81])), 0);
  assert.equal(declaredTransactionCount(new Uint8Array([1, 0x81, 0x81])), 0);
  assert.equal(declaredTransactionCount(new Uint8Array([0x0a, 3])), 0);
  assert.equal(declaredTransactionCount(new Uint8Array([1])), 0);
  // A count written with more varint bytes than it needs declares what decoding finds (here 2),
  // so the primary's batch bound cannot be slipped past with a longer encoding.
  const padded = new Uint8Array([1, 0x82, 0x80, 0x80, 0x00, 1, 65, 1, 66]);
  assert.equal(declaredTransactionCount(padded), 2);
  assert.equal((decodeTransactionBundle(padded) as Uint8Array[]).length, 2);
});
