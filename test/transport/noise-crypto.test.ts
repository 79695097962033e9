// Noise's cipher with cached KeyObjects must stay interchangeable with libp2p-noise's default:
// what one seals the other opens, at every size and for chunked input, and a changed key or a
// tampered message is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { Uint8ArrayList } from 'uint8arraylist';
import { noiseCrypto } from '../../network/transport/noise-crypto.ts';

const nonce = new Uint8Array(12).fill(7);
const ad = new Uint8Array([1, 2, 3]);

function flat(bytes: Uint8Array | Uint8ArrayList): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : bytes.subarray();
}

test('what either implementation seals the other opens, below and above the size where Node takes over', () => {
  const k = randomBytes(32);
  for (const size of [0, 1, 1199, 1200, 1201, 4096, 65_519]) {
    const plaintext = randomBytes(size);
    const ours = flat(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k));
    const theirs = flat(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k));
    assert.deepEqual(Buffer.from(ours), Buffer.from(theirs), `ciphertext of ${size} bytes`);
    assert.deepEqual(Buffer.from(flat(defaultCrypto.chaCha20Poly1305Decrypt(ours, nonce, ad, k))), plaintext);
    assert.deepEqual(Buffer.from(flat(noiseCrypto.chaCha20Poly1305Decrypt(theirs, nonce, ad, k))), plaintext);
  }
});

test('chunked input (a Uint8ArrayList) seals and opens like the same bytes in one piece', () => {
  const k = randomBytes(32);
  const a = randomBytes(700);
  const b = randomBytes(900);
  const list = new Uint8ArrayList(a, b);
  const sealed = flat(noiseCrypto.chaCha20Poly1305Encrypt(list, nonce, ad, k));
  const whole = flat(noiseCrypto.chaCha20Poly1305Encrypt(Buffer.concat([a, b]), nonce, ad, k));
  assert.deepEqual(Buffer.from(sealed), Buffer.from(whole));
  const opened = flat(noiseCrypto.chaCha20Poly1305Decrypt(new Uint8ArrayList(sealed.subarray(0, 100), sealed.subarray(100)), nonce, ad, k));
  assert.deepEqual(Buffer.from(opened), Buffer.concat([a, b]));
});

test('a key array whose bytes change (a rekey) is not served the old cached key', () => {
  const k = new Uint8Array(randomBytes(32));
  const plaintext = randomBytes(2000);
  const first = Buffer.from(flat(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)));
  k.set(randomBytes(32));
  const second = Buffer.from(flat(noiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)));
  assert.notDeepEqual(first, second);
  assert.deepEqual(second, Buffer.from(flat(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k))));
});

test('a tampered message, a wrong key or wrong associated data is refused', () => {
  const k = randomBytes(32);
  const sealed = Buffer.from(flat(noiseCrypto.chaCha20Poly1305Encrypt(randomBytes(3000), nonce, ad, k)));
  const tampered = Buffer.from(sealed);
  tampered[10] = (tampered[10] as number) ^ 1;
  assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(tampered, nonce, ad, k));
  assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, randomBytes(32)));
  assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, new Uint8Array([9]), k));
  assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed.subarray(0, 1300), nonce, ad, k));
});
