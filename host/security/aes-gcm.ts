// AES-256-GCM as weft uses it everywhere (ECIES, confidential transactions, confidential state,
// the TCA's encrypted enrollment ids): the tag appended to the ciphertext, and opening that never
// throws — anything altered, truncated or under another key opens to undefined.
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';

export const GCM_TAG_BYTES = 16;
export const GCM_NONCE_BYTES = 12;

/** ciphertext ‖ tag. */
export function gcmSeal(key: Uint8Array | KeyObject, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([body, cipher.getAuthTag()]));
}

/** The plaintext of ciphertext ‖ tag, or undefined if it was not sealed with this key, nonce and aad. */
export function gcmOpen(key: Uint8Array | KeyObject, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | undefined {
  if (sealed.length < GCM_TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
    return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), decipher.final()]));
  } catch {
    return undefined;
  }
}
