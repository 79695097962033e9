// The world-state values of a confidential chaincode, encrypted so that every validator writes
// the same bytes: AES-256-GCM under a key derived from the chaincode's state key, with a nonce
// derived from the entry itself — the first 12 bytes of HMAC-SHA256(nonce key, key ‖ value), as
// in SIV — instead of a random one. Identical ciphertext on every validator is what keeps their
// state hashes equal. The price: equal (key, value) pairs give equal ciphertext, so an observer
// of the state or its deltas learns when a key is set back to a value it held before (and
// nothing else about the value but its length). The state key is authenticated as associated
// data, so a value copied under another key does not decrypt.
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { STATE_VALUE_BYTES_MAX } from '../protocol/limits.ts';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, gcmOpen, gcmSeal } from './aes-gcm.ts';

/** A chaincode's state key: 32 random bytes chosen by the peer that submitted its deploy. */
export const STATE_KEY_BYTES = 32;
/** What encryption adds to a value: the nonce before it and the tag after it. */
export const STATE_VALUE_OVERHEAD_BYTES = GCM_NONCE_BYTES + GCM_TAG_BYTES;
/** The largest value a confidential chaincode may store: its ciphertext must fit STATE_VALUE_BYTES_MAX. */
export const CONFIDENTIAL_VALUE_BYTES_MAX = STATE_VALUE_BYTES_MAX - STATE_VALUE_OVERHEAD_BYTES;
const ENCRYPTION_INFO = 'weft-state-1.2 encryption';
const NONCE_INFO = 'weft-state-1.2 nonce';
const EMPTY = Buffer.alloc(0);

export class StateCipher {
  readonly #encryptionKey: KeyObject;
  readonly #nonceKey: KeyObject;

  constructor(stateKey: Uint8Array) {
    if (stateKey.length !== STATE_KEY_BYTES) throw new Error(`a state key is ${STATE_KEY_BYTES} bytes, got ${stateKey.length}`);
    // Separate keys for the cipher and the nonce derivation, each from the state key.
    this.#encryptionKey = createSecretKey(Buffer.from(hkdfSync('sha256', stateKey, EMPTY, ENCRYPTION_INFO, 32)));
    this.#nonceKey = createSecretKey(Buffer.from(hkdfSync('sha256', stateKey, EMPTY, NONCE_INFO, 32)));
  }

  /** nonce ‖ ciphertext ‖ tag; the same (key, value) always gives the same bytes. */
  seal(key: string, value: Uint8Array): Uint8Array {
    const keyBytes = Buffer.from(key, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(keyBytes.length);
    // The key's length first, so (key, value) pairs that concatenate alike still differ.
    const nonce = createHmac('sha256', this.#nonceKey).update(length).update(keyBytes).update(value).digest().subarray(0, GCM_NONCE_BYTES);
    return new Uint8Array(Buffer.concat([nonce, gcmSeal(this.#encryptionKey, nonce, value, keyBytes)]));
  }

  /** The value stored under key, or undefined if these bytes were not sealed under this key with this state key. Never throws. */
  open(key: string, sealed: Uint8Array): Uint8Array | undefined {
    if (sealed.length < STATE_VALUE_OVERHEAD_BYTES) return undefined;
    return gcmOpen(this.#encryptionKey, sealed.subarray(0, GCM_NONCE_BYTES), sealed.subarray(GCM_NONCE_BYTES), Buffer.from(key, 'utf8'));
  }
}
