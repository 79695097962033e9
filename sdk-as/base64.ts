// Standard base64 (RFC 4648, with padding), as Go's base64.StdEncoding: Fabric's chaincodes pass
// certificates as base64 arguments (asset_management's owners).
import { Result, okResult, errResult } from "./result";

function value(c: i32): i32 {
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 71; // a-z
  if (c >= 48 && c <= 57) return c + 4; // 0-9
  if (c == 43) return 62; // +
  if (c == 47) return 63; // /
  return -1;
}

/** Decodes padded standard base64; an error for any other character or a bad length. */
export function base64Decode(text: string): Result<Uint8Array> {
  const n = text.length;
  if (n % 4 != 0) return errResult<Uint8Array>("illegal base64 data: length is not a multiple of 4");
  let pad = 0;
  if (n > 0 && text.charCodeAt(n - 1) == 61) pad++;
  if (n > 1 && text.charCodeAt(n - 2) == 61) pad++;
  const out = new Uint8Array((n / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < n; i += 4) {
    let chunk: i32 = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      let v: i32;
      if (c == 61 && i + j >= n - pad) v = 0;
      else {
        v = value(c);
        if (v < 0) return errResult<Uint8Array>("illegal base64 data at input byte " + (i + j).toString());
      }
      chunk = (chunk << 6) | v;
    }
    if (o < out.length) out[o++] = <u8>((chunk >> 16) & 0xff);
    if (o < out.length) out[o++] = <u8>((chunk >> 8) & 0xff);
    if (o < out.length) out[o++] = <u8>(chunk & 0xff);
  }
  return okResult<Uint8Array>(out);
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Encodes bytes as padded standard base64. */
export function base64Encode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const b0: i32 = bytes[i];
    const b1: i32 = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const b2: i32 = i + 2 < bytes.length ? bytes[i + 2] : 0;
    const chunk = (b0 << 16) | (b1 << 8) | b2;
    out += ALPHABET.charAt((chunk >> 18) & 63) + ALPHABET.charAt((chunk >> 12) & 63);
    out += i + 1 < bytes.length ? ALPHABET.charAt((chunk >> 6) & 63) : "=";
    out += i + 2 < bytes.length ? ALPHABET.charAt(chunk & 63) : "=";
  }
  return out;
}
