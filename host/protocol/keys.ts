// Key order of the world state: UTF-8 byte order (LevelDB's order), never JS's UTF-16 order.
// The two differ only when a surrogate pair (a code point >= U+10000) meets a code unit in
// U+E000..U+FFFF, so the common case is a plain string comparison.

/** A code unit at or above the first surrogate: only such strings can order differently in UTF-16. */
const SURROGATE_OR_ABOVE = /[\ud800-\uffff]/;

/**
 * Negative, zero or positive as a sorts before, equal to, or after b in UTF-8 byte order. Without
 * any code unit from U+D800 up, UTF-16 order is code point order is UTF-8 order, and the engine's
 * own comparison is ~10× faster than a loop over the (often long, shared) prefix: composite keys
 * start with a 128-character chaincode name, and every B+ tree step compares two of them.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  if (!SURROGATE_OR_ABOVE.test(a) && !SURROGATE_OR_ABOVE.test(b)) return a < b ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-8 orders by code point; a surrogate (D800..DFFF) stands for a code point above FFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Fabric's composite state key: chaincode name, 0x00, key. Keeps each chaincode's keys contiguous. */
export function compositeKey(chaincodeName: string, key: string): string {
  return `${chaincodeName}\u0000${key}`;
}
