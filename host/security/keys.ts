// P-256 keys as this system moves them around: node:crypto KeyObjects for signing and verifying
// (native, the fast path), raw points and scalars for the TCert key derivation (@noble/curves),
// and the conversions between them.
import { createECDH, createHmac, createPrivateKey, createPublicKey, createSecretKey, sign, verify, type KeyObject } from 'node:crypto';
import { normalizeZ } from '@noble/curves/abstract/curve.js';
import { p256 } from '@noble/curves/nist.js';

const ORDER = p256.Point.Fn.ORDER;
/** Bytes of HMAC output reduced to a scalar: 16 more than the order's 32, so the bias is below 2^-128. */
const SCALAR_SOURCE_BYTES = 48;

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function bigintFrom(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function bytes32(n: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));
}

/** The uncompressed point (65 bytes, 0x04 ‖ x ‖ y) of a P-256 public key. */
export function publicPoint(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new Error('not a P-256 public key');
  return new Uint8Array(Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]));
}

export function privateScalar(key: KeyObject): bigint {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || !jwk.d) throw new Error('not a P-256 private key');
  return bigintFrom(Buffer.from(jwk.d, 'base64url'));
}

/** The P-256 private scalar as 32 big-endian bytes. */
export function privateScalarBytes(key: KeyObject): Uint8Array {
  return bytes32(privateScalar(key));
}

export function publicKeyFromPoint(point: Uint8Array): KeyObject {
  if (point.length !== 65 || point[0] !== 4) throw new Error('not an uncompressed P-256 point');
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) }, format: 'jwk' });
}

/** d·G, computed natively (OpenSSL's ECDH key derivation): ~15× faster than @noble's multiply. */
function baseMultiply(d: bigint): Uint8Array {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(bytes32(d)));
  return new Uint8Array(ecdh.getPublicKey(null, 'uncompressed'));
}

export function privateKeyFromScalar(d: bigint): KeyObject {
  return keyPairFromScalar(d).privateKey;
}

/** The private key of scalar d and its public point (uncompressed), from one native multiply. */
function keyPairFromScalar(d: bigint): { privateKey: KeyObject; point: Uint8Array } {
  const point = baseMultiply(d);
  const privateKey = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)), d: b64url(bytes32(d)) },
    format: 'jwk',
  });
  return { privateKey, point };
}

/** k = HMAC-SHA256(kdfKey, "weft-tcert" ‖ i ‖ nonce) for i = 0, 1, reduced into [1, n-1]. */
export function tcertScalar(kdfKey: Uint8Array | KeyObject, nonce: Uint8Array): bigint {
  const parts: Buffer[] = [];
  for (let i = 0; Buffer.concat(parts).length < SCALAR_SOURCE_BYTES; i++) {
    parts.push(createHmac('sha256', kdfKey).update('weft-tcert').update(Uint8Array.of(i)).update(nonce).digest());
  }
  return (bigintFrom(Buffer.concat(parts).subarray(0, SCALAR_SOURCE_BYTES)) % (ORDER - 1n)) + 1n;
}

/** The CA's side: TCert public key = ECert public key + k·G. Only the CA and the owner know k. */
export function deriveTCertPublicKey(ecertPublicKey: KeyObject, kdfKey: Uint8Array, nonce: Uint8Array): KeyObject {
  return publicKeyFromPoint(deriveTCertPublicPoints(publicPoint(ecertPublicKey), kdfKey, [nonce])[0]!);
}

/**
 * deriveTCertPublicKey for a batch of TCerts of one ECert, on raw points (uncompressed): k·G
 * natively, the sums in projective coordinates, then one shared inversion for all (normalizeZ)
 * instead of one per point — the inversion was most of a TCert's cost at the CA.
 */
export function deriveTCertPublicPoints(ecertPoint: Uint8Array, kdfKey: Uint8Array, nonces: readonly Uint8Array[]): Uint8Array[] {
  const base = p256.Point.fromBytes(ecertPoint);
  const hmacKey = createSecretKey(kdfKey);
  const sums = nonces.map((nonce) => base.add(p256.Point.fromBytes(baseMultiply(tcertScalar(hmacKey, nonce)))));
  return normalizeZ(p256.Point, sums).map((point) => point.toBytes(false));
}

/** The owner's side: TCert private key = ECert private key + k (mod n). */
export function deriveTCertPrivateKey(ecertPrivateKey: KeyObject, kdfKey: Uint8Array, nonce: Uint8Array): KeyObject {
  return privateKeyFromScalar((privateScalar(ecertPrivateKey) + tcertScalar(kdfKey, nonce)) % ORDER);
}

/**
 * deriveTCertPrivateKey for many TCerts of one enrollment: the ECert scalar is read once. Each
 * call answers the private key and its public point, so the owner can check it against the
 * certificate before using it.
 */
export function tcertKeyDeriver(ecertPrivateKey: KeyObject, kdfKey: Uint8Array): (nonce: Uint8Array) => { privateKey: KeyObject; point: Uint8Array } {
  const d = privateScalar(ecertPrivateKey);
  const hmacKey = createSecretKey(kdfKey);
  return (nonce) => keyPairFromScalar((d + tcertScalar(hmacKey, nonce)) % ORDER);
}

/**
 * ECDSA P-256 over SHA-256, DER-encoded signature (what openssl and Fabric's Go crypto produce).
 * DER is node:crypto's default encoding for ECDSA; the KeyObject is passed bare because an options
 * object costs ~12 µs more per call (measured: sign 24 vs 37 µs, verify 64 vs 76 µs).
 */
export function signBytes(key: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign('sha256', message, key));
}

/** Never throws: a malformed signature or key is simply not a valid signature. */
export function verifyBytes(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', message, key, signature);
  } catch {
    return false;
  }
}
