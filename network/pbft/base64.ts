// Standard base64 (RFC 4648, with padding) without Buffer, so the pure core can turn checkpoint
// ids and digests into strings. Decoding is strict: canonical padding, no whitespace.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const char = (sextet: number): string => ALPHABET.charAt(sextet);
const VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

const CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += char(n >> 18) + char((n >> 12) & 63) + char((n >> 6) & 63) + char(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += char(n >> 18) + char((n >> 12) & 63) + '==';
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += char(n >> 18) + char((n >> 12) & 63) + char((n >> 6) & 63) + '=';
  }
  return out;
}

/** True for canonical base64 text (what encodeBase64 produces). */
export function isBase64(text: string): boolean {
  return CANONICAL.test(text);
}

export function decodeBase64(text: string): Uint8Array {
  if (!isBase64(text)) throw new RangeError('not canonical base64');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const a = VALUES[text.charCodeAt(i)] as number;
    const b = VALUES[text.charCodeAt(i + 1)] as number;
    const c = text[i + 2] === '=' ? 0 : (VALUES[text.charCodeAt(i + 2)] as number);
    const d = text[i + 3] === '=' ? 0 : (VALUES[text.charCodeAt(i + 3)] as number);
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
