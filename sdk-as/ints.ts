// Integer parsing and formatting without floats: the host rejects any float instruction, and
// AssemblyScript's parseInt/parseFloat/I64.parseInt go through f64. The parsers follow Go's
// strconv (base 10): optional sign (signed parsers only), ASCII digits only, no spaces; on a
// syntax error the value is 0, on overflow it is clamped to the type's range, and the message is
// Go's, e.g. `strconv.Atoi: parsing "1x": invalid syntax`, so `Aval, _ := strconv.Atoi(s)` ports
// as `atoi(s).value`.
import { SdkError } from "./codes";
import { Result, StubError } from "./result";

/** Go's strconv.Quote for the common cases: escapes quotes, backslashes and control bytes. */
export function goQuote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5C) out += "\\\\";
    else if (c == 0x07) out += "\\a";
    else if (c == 0x08) out += "\\b";
    else if (c == 0x0C) out += "\\f";
    else if (c == 0x0A) out += "\\n";
    else if (c == 0x0D) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c == 0x0B) out += "\\v";
    else if (c < 0x20 || c == 0x7F) out += "\\x" + hexByte(c);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

function hexByte(c: i32): string {
  const digits = "0123456789abcdef";
  return digits.charAt((c >> 4) & 15) + digits.charAt(c & 15);
}

function numError<T>(fn: string, s: string, what: string, value: T): Result<T> {
  return new Result<T>(value, new StubError("strconv." + fn + ": parsing " + goQuote(s) + ": " + what, SdkError.INVALID));
}

/**
 * Parses the magnitude of a decimal integer (after an optional sign) into a u64 with overflow
 * detection. Returns -1 for a syntax error, 1 for overflow, 0 for success; `out[0]` holds the value.
 */
function parseMagnitude(s: string, start: i32, out: StaticArray<u64>): i32 {
  const n = s.length;
  if (start >= n) return -1;
  let v: u64 = 0;
  let overflow = false;
  for (let i = start; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    const d = <u64>(c - 0x30);
    if (v > (u64.MAX_VALUE - d) / 10) overflow = true;
    else v = v * 10 + d;
  }
  unchecked((out[0] = v));
  return overflow ? 1 : 0;
}

function parseSigned(fn: string, s: string, min: i64, max: i64): Result<i64> {
  if (s.length == 0) return numError<i64>(fn, s, "invalid syntax", 0);
  const c0 = s.charCodeAt(0);
  const negative = c0 == 0x2D;
  const start = negative || c0 == 0x2B ? 1 : 0;
  const out = new StaticArray<u64>(1);
  const rc = parseMagnitude(s, start, out);
  if (rc < 0) return numError<i64>(fn, s, "invalid syntax", 0);
  const mag = unchecked(out[0]);
  // |min| = max + 1
  const limit: u64 = negative ? <u64>max + 1 : <u64>max;
  if (rc > 0 || mag > limit) return numError<i64>(fn, s, "value out of range", negative ? min : max);
  return new Result<i64>(negative ? <i64>(0 - mag) : <i64>mag);
}

function parseUnsigned(fn: string, s: string, max: u64): Result<u64> {
  if (s.length == 0) return numError<u64>(fn, s, "invalid syntax", 0);
  const out = new StaticArray<u64>(1);
  const rc = parseMagnitude(s, 0, out);
  if (rc < 0) return numError<u64>(fn, s, "invalid syntax", 0);
  const mag = unchecked(out[0]);
  if (rc > 0 || mag > max) return numError<u64>(fn, s, "value out of range", max);
  return new Result<u64>(mag);
}

/** Go's strconv.Atoi (a 64-bit int). */
export function atoi(s: string): Result<i64> {
  return parseSigned("Atoi", s, i64.MIN_VALUE, i64.MAX_VALUE);
}

/** Go's strconv.ParseInt(s, 10, 64). */
export function parseI64(s: string): Result<i64> {
  return parseSigned("ParseInt", s, i64.MIN_VALUE, i64.MAX_VALUE);
}

/** Go's strconv.ParseInt(s, 10, 32). */
export function parseI32(s: string): Result<i32> {
  const r = parseSigned("ParseInt", s, <i64>i32.MIN_VALUE, <i64>i32.MAX_VALUE);
  return new Result<i32>(<i32>r.value, r.error);
}

/** Go's strconv.ParseUint(s, 10, 64): no sign allowed. */
export function parseU64(s: string): Result<u64> {
  return parseUnsigned("ParseUint", s, u64.MAX_VALUE);
}

/** Go's strconv.ParseUint(s, 10, 32). */
export function parseU32(s: string): Result<u32> {
  const r = parseUnsigned("ParseUint", s, <u64>u32.MAX_VALUE);
  return new Result<u32>(<u32>r.value, r.error);
}

/** Decimal form of an i64 (Go's strconv.Itoa / FormatInt(v, 10)). */
export function itoa(v: i64): string {
  return v.toString();
}

/** Decimal form of a u64 (Go's strconv.FormatUint(v, 10)). */
export function formatU64(v: u64): string {
  return v.toString();
}
