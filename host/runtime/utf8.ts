// UTF-8 across the ABI: strings from the guest are decoded strictly (an invalid sequence is the
// guest's error, never silently replaced), strings to the guest are encoded once.

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');
const encoder = new TextEncoder();

/** Longest input decoded by the ASCII fast path; longer strings go to TextDecoder. */
const ASCII_FAST_PATH_BYTES_MAX = 64;

/** Decodes bytes[start, end) strictly; undefined if they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end - start <= ASCII_FAST_PATH_BYTES_MAX) {
    let text = '';
    let i = start;
    for (; i < end; i++) {
      const byte = bytes[i] as number;
      if (byte >= 0x80) break;
      text += String.fromCharCode(byte);
    }
    if (i === end) return text;
  }
  try {
    return strict.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** Decodes with U+FFFD for invalid sequences (chaincode error messages are shown, not parsed). */
export function decodeUtf8Lenient(bytes: Uint8Array): string {
  return lenient.decode(bytes);
}

export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}
