// The shape of weft's certificates, shared by the CA that issues them and the validators that
// check them: the extension OIDs (Fabric v0.6's 1.2.3.4.5.6.* arc for TCert fields), the kinds of
// certificate, the user roles bitmask, and the DER codecs of the extension values (asn1js, the
// ASN.1 library under @peculiar/x509 — no hand-written DER).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

/** Extension OIDs. Fabric put its TCert fields under 1.2.3.4.5.6.*; weft keeps that arc. */
export const Oid = {
  /** TCert: the per-certificate derivation nonce (Fabric's TCertEncTCertIndex). The owner derives the private key from it. */
  TCERT_NONCE: '1.2.3.4.5.6.7',
  /** TCert: the enrollment id, AES-256-GCM encrypted under a key only the CA holds (Fabric's TCertEncEnrollmentID). */
  TCERT_ENROLLMENT_ID: '1.2.3.4.5.6.8',
  /** TCert: the attributes, SEQUENCE OF SEQUENCE { UTF8String name, OCTET STRING value }. */
  ATTRIBUTES: '1.2.3.4.5.6.10',
  /** Every certificate: SEQUENCE { UTF8String kind, INTEGER roles }. */
  WEFT_KIND: '1.2.3.4.5.6.20',
} as const;

export const CertKind = { ECERT: 'ecert', TCERT: 'tcert', VALIDATOR: 'validator', CA: 'ca' } as const;
export type CertKind = (typeof CertKind)[keyof typeof CertKind];

/** Fabric's eca.users role bitmask. */
export const Role = { CLIENT: 1, PEER: 2, VALIDATOR: 4, AUDITOR: 8 } as const;
export const ROLE_NAMES: Record<string, number> = { client: Role.CLIENT, peer: Role.PEER, validator: Role.VALIDATOR, auditor: Role.AUDITOR };

/** A certificate in a transaction, a chain or an API call may be at most this many bytes. */
export const CERT_BYTES_MAX = 8_192;
/** Attributes a TCert may carry, and the size of each name and value. */
export const CERT_ATTRIBUTES_MAX = 32;
export const ATTRIBUTE_NAME_BYTES_MAX = 128;
export const ATTRIBUTE_VALUE_BYTES_MAX = 1_024;

export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

export function encodeKindExtension(kind: CertKind, roles: number): x509.Extension {
  const value = new asn1js.Sequence({ value: [new asn1js.Utf8String({ value: kind }), new asn1js.Integer({ value: roles })] }).toBER();
  return new x509.Extension(Oid.WEFT_KIND, false, value);
}

export function encodeAttributesExtension(attributes: ReadonlyMap<string, Uint8Array>): x509.Extension {
  const entries = [...attributes].map(
    ([name, value]) => new asn1js.Sequence({ value: [new asn1js.Utf8String({ value: name }), new asn1js.OctetString({ valueHex: value })] }),
  );
  return new x509.Extension(Oid.ATTRIBUTES, false, new asn1js.Sequence({ value: entries }).toBER());
}

export function encodeOctetsExtension(oid: string, bytes: Uint8Array): x509.Extension {
  return new x509.Extension(oid, false, new asn1js.OctetString({ valueHex: bytes }).toBER());
}

function parseDer(bytes: ArrayBuffer, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1 || parsed.offset !== bytes.byteLength) throw new Error(`malformed ${what} extension`);
  return parsed.result;
}

export function decodeKindExtension(value: ArrayBuffer): { kind: string; roles: number } {
  const seq = parseDer(value, 'certificate kind');
  if (!(seq instanceof asn1js.Sequence) || seq.valueBlock.value.length !== 2) throw new Error('malformed certificate kind extension');
  const [kind, roles] = seq.valueBlock.value;
  if (!(kind instanceof asn1js.Utf8String) || !(roles instanceof asn1js.Integer)) throw new Error('malformed certificate kind extension');
  return { kind: kind.getValue(), roles: roles.valueBlock.valueDec };
}

export function decodeAttributesExtension(value: ArrayBuffer): Map<string, Uint8Array> {
  const seq = parseDer(value, 'attributes');
  if (!(seq instanceof asn1js.Sequence)) throw new Error('malformed attributes extension');
  if (seq.valueBlock.value.length > CERT_ATTRIBUTES_MAX) throw new Error(`certificate carries more than ${CERT_ATTRIBUTES_MAX} attributes`);
  const out = new Map<string, Uint8Array>();
  for (const entry of seq.valueBlock.value) {
    if (!(entry instanceof asn1js.Sequence) || entry.valueBlock.value.length !== 2) throw new Error('malformed attributes extension');
    const [name, value] = entry.valueBlock.value;
    if (!(name instanceof asn1js.Utf8String) || !(value instanceof asn1js.OctetString)) throw new Error('malformed attributes extension');
    out.set(name.getValue(), new Uint8Array(value.valueBlock.valueHexView));
  }
  return out;
}

export function decodeOctetsExtension(value: ArrayBuffer, what: string): Uint8Array {
  const octets = parseDer(value, what);
  if (!(octets instanceof asn1js.OctetString)) throw new Error(`malformed ${what} extension`);
  return new Uint8Array(octets.valueBlock.valueHexView);
}

/** The weft fields of a parsed certificate. */
export interface CertFields {
  kind: string;
  roles: number;
  attributes: Map<string, Uint8Array>;
  tcertNonce: Uint8Array | undefined;
  encryptedEnrollmentId: Uint8Array | undefined;
}

export function readCertFields(cert: x509.X509Certificate): CertFields {
  const fields: CertFields = { kind: '', roles: 0, attributes: new Map(), tcertNonce: undefined, encryptedEnrollmentId: undefined };
  for (const extension of cert.extensions) {
    if (extension.type === Oid.WEFT_KIND) Object.assign(fields, decodeKindExtension(extension.value));
    else if (extension.type === Oid.ATTRIBUTES) fields.attributes = decodeAttributesExtension(extension.value);
    else if (extension.type === Oid.TCERT_NONCE) fields.tcertNonce = decodeOctetsExtension(extension.value, 'TCert nonce');
    else if (extension.type === Oid.TCERT_ENROLLMENT_ID) fields.encryptedEnrollmentId = decodeOctetsExtension(extension.value, 'enrollment id');
  }
  return fields;
}

/** Parses DER with @peculiar/x509, bounded; a clear error for anything that is not one certificate. */
export function parseCertificate(der: Uint8Array): x509.X509Certificate {
  if (der.length === 0) throw new Error('certificate is empty');
  if (der.length > CERT_BYTES_MAX) throw new Error(`certificate of ${der.length} bytes exceeds CERT_BYTES_MAX (${CERT_BYTES_MAX})`);
  try {
    const cert = new x509.X509Certificate(der);
    if (cert.rawData.byteLength !== der.length) throw new Error('trailing bytes after the certificate');
    return cert;
  } catch (error) {
    throw new Error(`malformed certificate: ${(error as Error).message}`);
  }
}

export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

export function fromPem(pem: string): Uint8Array {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!match?.[1]) throw new Error('not a PEM certificate');
  return new Uint8Array(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
}
