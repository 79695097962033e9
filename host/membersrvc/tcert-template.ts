// Fast TCert issuance: within one batch every TCert has the same structure — issuer, validity,
// kind and roles, attributes, extension layout — and differs only in fixed-length fields (serial,
// the subject naming it, the derived public key, the derivation nonce, the encrypted enrollment
// id). So @peculiar/x509 builds one template certificate per batch with placeholder values; each
// TCert is the template's TBSCertificate with those fields overwritten in place, signed natively
// with node:crypto's ECDSA P-256 and wrapped in the Certificate SEQUENCE. Issuing one costs a copy,
// a signature (~30 µs) and a small DER wrapper instead of ~3 ms of X.509 generation over WebCrypto.
// The result is the same DER @peculiar/x509 would produce for those values (tested), and the
// first certificate of each batch is parsed and its CA signature checked before any is handed out.
import { X509Certificate, generateKeyPairSync, randomBytes, sign, type KeyObject, type webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import { CertKind, ECDSA_P256, Oid, SIGNING_ALGORITHM, encodeAttributesExtension, encodeKindExtension, encodeOctetsExtension, x509 } from '../security/cert-format.ts';

type CryptoKey = webcrypto.CryptoKey;

/** Serial numbers are 16 bytes, first byte 0x01–0x7f: always a 16-byte positive DER INTEGER. */
export const TCERT_SERIAL_BYTES = 16;
export const TCERT_NONCE_BYTES = 16;
/** An uncompressed P-256 point: 0x04 ‖ x ‖ y. */
const POINT_BYTES = 65;

/** A fresh serial in the form every TCert uses (see TCERT_SERIAL_BYTES). */
export function newTCertSerial(): Buffer {
  const bytes = randomBytes(TCERT_SERIAL_BYTES);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) || 1;
  return bytes;
}

export interface TCertTemplateOptions {
  /** The TCA's certificate (its subject is the issuer) and its signing key. */
  issuer: x509.X509Certificate;
  signingKey: KeyObject;
  signingCryptoKey: CryptoKey;
  notBefore: Date;
  notAfter: Date;
  roles: number;
  attributes: ReadonlyMap<string, Uint8Array>;
  /** Bytes of the encrypted enrollment id: the same for every TCert of one owner. */
  encryptedIdBytes: number;
}

export interface TCertFields {
  serial: Uint8Array;
  /** The TCert's public key, an uncompressed P-256 point. */
  point: Uint8Array;
  nonce: Uint8Array;
  encryptedId: Uint8Array;
}

const DER_SEQUENCE = 0x30;
const DER_BIT_STRING = 0x03;
/** The wrapper below writes lengths of at most two bytes; a TCert is bounded far below (CERT_BYTES_MAX). */
const DER_LENGTH_MAX = 0xffff;

/**
 * One DER element: tag, definite length, body. The only DER written by hand here — the outer
 * wrapper around a TBSCertificate asn1js/@peculiar produced and a node:crypto signature (asn1js
 * cannot embed pre-encoded bytes in a SEQUENCE without parsing them again).
 */
function derElement(tag: number, body: Buffer): Buffer {
  const n = body.length;
  if (n > DER_LENGTH_MAX) throw new Error(`DER element of ${n} bytes is longer than a TCert can be`);
  const header = n < 0x80 ? Buffer.of(tag, n) : n < 0x100 ? Buffer.of(tag, 0x81, n) : Buffer.of(tag, 0x82, n >> 8, n & 0xff);
  return Buffer.concat([header, body]);
}

/** Where a placeholder sits in the template's TBSCertificate; it must occur exactly once. */
function locate(tbs: Buffer, placeholder: Uint8Array, what: string): number {
  const at = tbs.indexOf(placeholder);
  if (at < 0 || tbs.indexOf(placeholder, at + 1) >= 0) throw new Error(`TCert template: the ${what} placeholder is not found exactly once`);
  return at;
}

interface Offsets {
  serial: number;
  subject: number;
  point: number;
  nonce: number;
  encryptedId: number;
}

export class TCertTemplate {
  readonly #tbs: Buffer;
  readonly #signatureAlgorithm: Uint8Array;
  readonly #signingKey: KeyObject;
  readonly #at: Offsets;
  readonly #encryptedIdBytes: number;

  private constructor(tbs: Buffer, signatureAlgorithm: Uint8Array, signingKey: KeyObject, at: Offsets, encryptedIdBytes: number) {
    this.#tbs = tbs;
    this.#signatureAlgorithm = signatureAlgorithm;
    this.#signingKey = signingKey;
    this.#at = at;
    this.#encryptedIdBytes = encryptedIdBytes;
  }

  static async create(options: TCertTemplateOptions): Promise<TCertTemplate> {
    const serial = newTCertSerial();
    const nonce = randomBytes(TCERT_NONCE_BYTES);
    const encryptedId = randomBytes(options.encryptedIdBytes);
    const placeholderKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const jwk = placeholderKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
    const extensions = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      encodeKindExtension(CertKind.TCERT, options.roles),
      encodeOctetsExtension(Oid.TCERT_NONCE, nonce),
      encodeOctetsExtension(Oid.TCERT_ENROLLMENT_ID, encryptedId),
    ];
    if (options.attributes.size > 0) extensions.push(encodeAttributesExtension(options.attributes));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'),
      // The subject names no one: a TCert must not be linkable to its owner.
      subject: `CN=${serial.toString('hex')}`,
      issuer: options.issuer.subject,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: (await placeholderKey.toCryptoKey(ECDSA_P256, true, ['verify'])) as CryptoKey,
      signingKey: options.signingCryptoKey,
      extensions,
    });
    const parsed = asn1js.fromBER(cert.rawData);
    const outer = parsed.result;
    if (parsed.offset === -1 || !(outer instanceof asn1js.Sequence) || outer.valueBlock.value.length !== 3) throw new Error('TCert template: not a certificate');
    const [tbsBlock, algorithmBlock] = outer.valueBlock.value;
    const tbs = Buffer.from(tbsBlock!.valueBeforeDecodeView);
    const at: Offsets = {
      serial: locate(tbs, serial, 'serial'),
      subject: locate(tbs, Buffer.from(serial.toString('hex'), 'latin1'), 'subject'),
      point: locate(tbs, point, 'public key'),
      nonce: locate(tbs, nonce, 'nonce'),
      encryptedId: locate(tbs, encryptedId, 'encrypted enrollment id'),
    };
    return new TCertTemplate(tbs, new Uint8Array(algorithmBlock!.valueBeforeDecodeView), options.signingKey, at, options.encryptedIdBytes);
  }

  /** One TCert (DER): the template with these fields, signed by the TCA. */
  issue(fields: TCertFields): Uint8Array {
    if (fields.serial.length !== TCERT_SERIAL_BYTES || fields.serial[0] === 0 || (fields.serial[0] ?? 0) >= 0x80) throw new Error('TCert serial must be 16 bytes, first byte 0x01–0x7f');
    if (fields.point.length !== POINT_BYTES || fields.point[0] !== 4) throw new Error('TCert public key must be an uncompressed P-256 point');
    if (fields.nonce.length !== TCERT_NONCE_BYTES) throw new Error(`TCert nonce must be ${TCERT_NONCE_BYTES} bytes`);
    if (fields.encryptedId.length !== this.#encryptedIdBytes) throw new Error(`TCert encrypted id must be ${this.#encryptedIdBytes} bytes`);
    const tbs = Buffer.from(this.#tbs);
    tbs.set(fields.serial, this.#at.serial);
    tbs.write(Buffer.from(fields.serial).toString('hex'), this.#at.subject, 'latin1');
    tbs.set(fields.point, this.#at.point);
    tbs.set(fields.nonce, this.#at.nonce);
    tbs.set(fields.encryptedId, this.#at.encryptedId);
    // DER is the default ECDSA encoding; a bare KeyObject skips the options object's cost (keys.ts).
    const signature = sign('sha256', tbs, this.#signingKey);
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING (no unused bits) }
    const signatureValue = derElement(DER_BIT_STRING, Buffer.concat([Buffer.of(0), signature]));
    return new Uint8Array(derElement(DER_SEQUENCE, Buffer.concat([tbs, this.#signatureAlgorithm, signatureValue])));
  }

  /** Checks a certificate issued from this template with OpenSSL's parser and the TCA's key (one per batch). */
  static check(der: Uint8Array, issuerPublicKey: KeyObject): void {
    const cert = new X509Certificate(der);
    if (cert.raw.length !== der.length || !cert.verify(issuerPublicKey)) throw new Error('TCert template produced a certificate that does not verify');
  }
}
