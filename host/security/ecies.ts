// ECIES on P-256 with node:crypto, as privacy mode uses it twice: membership services seal the
// chain private key to a validator's enrollment key, and a submitting peer seals each
// transaction's keys to the chain public key (toValidators). An ephemeral key pair per message;
// ECDH with the recipient's key; HKDF-SHA256 of the shared secret into an AES-256-GCM key and
// nonce (both unique to the ephemeral key, so nothing random is stored beside it); a label names
// the purpose and is authenticated with the ciphertext, so a sealed message cannot be replayed
// for another purpose or another transaction.
import { createECDH, hkdfSync, type ECDH } from 'node:crypto';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, gcmOpen, gcmSeal } from './aes-gcm.ts';

/** An uncompressed P-256 point: 0x04 ‖ x ‖ y. */
export const P256_POINT_BYTES = 65;
export const P256_SCALAR_BYTES = 32;
const AES_KEY_BYTES = 32;
/** What sealing adds to a plaintext: the ephemeral point and the tag. */
export const ECIES_OVERHEAD_BYTES = P256_POINT_BYTES + GCM_TAG_BYTES;
const CURVE = 'prime256v1';
const EMPTY = Buffer.alloc(0);

export class EciesError extends Error {
  override name = 'EciesError';
}

function isPoint(point: Uint8Array): boolean {
  return point.length === P256_POINT_BYTES && point[0] === 4;
}

/** AES key and nonce for one message: HKDF(shared; info = label ‖ 0 ‖ ephemeral point ‖ recipient point). */
function messageKeys(shared: Uint8Array, label: string, ephemeral: Uint8Array, recipient: Uint8Array): { key: Buffer; nonce: Buffer } {
  const info = Buffer.concat([Buffer.from(label, 'utf8'), Buffer.of(0), ephemeral, recipient]);
  const okm = Buffer.from(hkdfSync('sha256', shared, EMPTY, info, AES_KEY_BYTES + GCM_NONCE_BYTES));
  return { key: okm.subarray(0, AES_KEY_BYTES), nonce: okm.subarray(AES_KEY_BYTES) };
}

/** Seals plaintext to the holder of a P-256 public key (its uncompressed point): ephemeral point ‖ ciphertext ‖ tag. */
export function eciesSeal(recipientPoint: Uint8Array, plaintext: Uint8Array, label: string): Uint8Array {
  if (!isPoint(recipientPoint)) throw new EciesError('the recipient key is not an uncompressed P-256 point');
  const ephemeral = createECDH(CURVE);
  const ephemeralPoint = ephemeral.generateKeys();
  const shared = ephemeral.computeSecret(recipientPoint);
  const { key, nonce } = messageKeys(shared, label, ephemeralPoint, recipientPoint);
  return new Uint8Array(Buffer.concat([ephemeralPoint, gcmSeal(key, nonce, plaintext, Buffer.from(label, 'utf8'))]));
}

/** ECDH's getPrivateKey() drops leading zero bytes (one key in 256): the scalar as its fixed 32 bytes. */
function scalarOf(ecdh: ECDH): Uint8Array {
  const raw = ecdh.getPrivateKey();
  const scalar = new Uint8Array(P256_SCALAR_BYTES);
  scalar.set(raw, P256_SCALAR_BYTES - raw.length);
  return scalar;
}

/** A P-256 private key held for opening sealed messages (ECDH with the scalar set once). */
export class EciesRecipient {
  readonly point: Uint8Array;
  readonly #ecdh: ECDH;

  /** From the private scalar (32 bytes, big-endian). */
  constructor(scalar: Uint8Array) {
    if (scalar.length !== P256_SCALAR_BYTES) throw new EciesError(`a P-256 private key is ${P256_SCALAR_BYTES} bytes, got ${scalar.length}`);
    this.#ecdh = createECDH(CURVE);
    try {
      this.#ecdh.setPrivateKey(scalar);
    } catch (error) {
      throw new EciesError(`not a P-256 private key: ${(error as Error).message}`);
    }
    this.point = new Uint8Array(this.#ecdh.getPublicKey());
  }

  /** A fresh key pair (membership services' chain key on first start). */
  static generate(): EciesRecipient {
    const ecdh = createECDH(CURVE);
    ecdh.generateKeys();
    return new EciesRecipient(scalarOf(ecdh));
  }

  /** The private scalar, for storing the key (callers keep it secret). */
  scalar(): Uint8Array {
    return scalarOf(this.#ecdh);
  }

  /** The plaintext, or undefined if the message was not sealed to this key with this label or was altered. Never throws. */
  open(sealed: Uint8Array, label: string): Uint8Array | undefined {
    if (sealed.length < ECIES_OVERHEAD_BYTES) return undefined;
    const ephemeralPoint = sealed.subarray(0, P256_POINT_BYTES);
    if (!isPoint(ephemeralPoint)) return undefined;
    let shared: Buffer;
    try {
      shared = this.#ecdh.computeSecret(ephemeralPoint);
    } catch {
      return undefined; // not a point on the curve
    }
    const { key, nonce } = messageKeys(shared, label, ephemeralPoint, this.point);
    return gcmOpen(key, nonce, sealed.subarray(P256_POINT_BYTES), Buffer.from(label, 'utf8'));
  }
}
