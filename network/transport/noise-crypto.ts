// The ChaCha20-Poly1305 that Noise encrypts every libp2p message with, tuned for Node 24.
//
// libp2p-noise's default seals messages of 1,200 bytes and more with Node's `createCipheriv`,
// passing the session key as raw bytes. Node 24 tells raw bytes from a KeyObject by trying the
// KeyObject and CryptoKey slots and catching the TypeErrors, so every such message pays for two
// exceptions with stack traces: ~17 µs per seal against ~6 µs with a KeyObject (measured on this
// machine, 2 KB messages). Request bundles and pre-prepares are all above that size, so a busy
// peer seals and opens thousands of them a second. This keeps one KeyObject per session key and
// leaves everything else (the handshake, small messages) to the library's default.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import type { ICryptoInterface } from '@chainsafe/libp2p-noise';
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto';
import { sameBytes } from '../../host/ledger/bytes.ts';

const ALGORITHM = 'chacha20-poly1305';
const TAG_BYTES = 16;
/** Below this the library's WebAssembly ChaCha20-Poly1305 is the faster one (its own measurement). */
const NODE_CIPHER_MIN_BYTES = 1200;

type Bytes = Uint8Array | Iterable<Uint8Array> & { byteLength: number; subarray(start?: number, end?: number): Uint8Array };

/** A session key's bytes as last seen and the KeyObject made from them. */
interface CachedKey {
  bytes: Uint8Array;
  key: KeyObject;
}

const keys = new WeakMap<Uint8Array, CachedKey>();

/** The KeyObject for `k`; a key array whose bytes changed since (a rekey) gets a new one. */
function keyObject(k: Uint8Array): KeyObject {
  const cached = keys.get(k);
  if (cached !== undefined && sameBytes(cached.bytes, k)) return cached.key;
  const entry = { bytes: Uint8Array.from(k), key: createSecretKey(k) };
  keys.set(k, entry);
  return entry.key;
}

function seal(plaintext: Bytes, nonce: Uint8Array, ad: Uint8Array, k: Uint8Array): Uint8Array {
  const cipher = createCipheriv(ALGORITHM, keyObject(k), nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(ad, { plaintextLength: plaintext.byteLength });
  const parts: Uint8Array[] = [];
  if (plaintext instanceof Uint8Array) parts.push(cipher.update(plaintext));
  else for (const chunk of plaintext) parts.push(cipher.update(chunk));
  parts.push(cipher.final(), cipher.getAuthTag());
  return Buffer.concat(parts, plaintext.byteLength + TAG_BYTES);
}

function open(ciphertext: Bytes, nonce: Uint8Array, ad: Uint8Array, k: Uint8Array): Uint8Array {
  if (ciphertext.byteLength < TAG_BYTES) throw new Error('Invalid chacha20poly1305 decryption: message shorter than its tag');
  const bytes = ciphertext instanceof Uint8Array ? ciphertext : ciphertext.subarray();
  const text = bytes.subarray(0, bytes.byteLength - TAG_BYTES);
  const decipher = createDecipheriv(ALGORITHM, keyObject(k), nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(ad, { plaintextLength: text.byteLength });
  decipher.setAuthTag(bytes.subarray(bytes.byteLength - TAG_BYTES));
  const output = decipher.update(text);
  const final = decipher.final();
  return final.byteLength === 0 ? output : Buffer.concat([output, final]);
}

/** libp2p-noise's default crypto with Node's cipher keyed by a cached KeyObject for large messages. */
export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt(plaintext, nonce, ad, k) {
    if (plaintext.byteLength < NODE_CIPHER_MIN_BYTES) return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k);
    return seal(plaintext, nonce, ad, k);
  },
  chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst) {
    if (ciphertext.byteLength < NODE_CIPHER_MIN_BYTES) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst);
    return open(ciphertext, nonce, ad, k);
  },
};
