// Byte plumbing shared by the SDK: UTF-8 conversion, the host's return register, a small
// growable byte writer and a bounds-checked reader. Nothing here is chaincode-facing API except
// the utf8/str conversions re-exported by index.ts.
import { ret_len, ret_read } from "./env";
import { AbiError } from "./codes";
import { StubError } from "./result";

/** UTF-8 bytes of a string. Lone surrogates become U+FFFD: the host only accepts valid UTF-8. */
export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE));
}

/** UTF-8 bytes of a string as a bare buffer (one allocation less than utf8(), for host calls). */
export function utf8Buffer(s: string): ArrayBuffer {
  return String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE);
}

/** A string from UTF-8 bytes (invalid sequences decode as U+FFFD). */
export function str(bytes: Uint8Array): string {
  return String.UTF8.decodeUnsafe(bytes.dataStart, <usize>bytes.byteLength);
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): bool {
  const n = a.length;
  if (n != b.length) return false;
  return memory.compare(a.dataStart, b.dataStart, <usize>n) == 0;
}

/** True if `bytes` is well-formed UTF-8 (what the host requires of keys and names). */
export function isValidUtf8(bytes: Uint8Array): bool {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b0 = <u32>unchecked(bytes[i]);
    if (b0 < 0x80) { i++; continue; }
    let need = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if ((b0 & 0xE0) == 0xC0) { need = 1; min = 0x80; cp = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { need = 2; min = 0x800; cp = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { need = 3; min = 0x10000; cp = b0 & 0x07; }
    else return false;
    if (i + need >= n) return false; // truncated sequence
    for (let k = 1; k <= need; k++) {
      const b = <u32>unchecked(bytes[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += need + 1;
  }
  return true;
}

/** Copies the host's return register (of `len` bytes, as a host call just returned) into a new array. */
export function takeRegister(len: i32): Uint8Array {
  const out = new Uint8Array(len);
  if (len > 0) ret_read(out.dataStart);
  return out;
}

/** Copies the register into a bare buffer (one allocation; for data the SDK reads in place). */
export function takeRegisterBuffer(len: i32): ArrayBuffer {
  const out = new ArrayBuffer(len);
  if (len > 0) ret_read(changetype<usize>(out));
  return out;
}

/** The UTF-8 message the host left in the register with an error code. */
export function takeErrorMessage(): string {
  return str(takeRegister(ret_len()));
}

/** A StubError from a host error code (<= -2), with the register's message. */
export function hostError(code: i32): StubError {
  let message = takeErrorMessage();
  if (message.length == 0) message = "host error " + code.toString();
  return new StubError(message, code);
}

/** Aborts when a host call that cannot fail by contract returned an error code anyway. */
export function expectNoError(rc: i32, what: string): i32 {
  if (rc <= AbiError.READ_ONLY) abort(what + " failed: " + takeErrorMessage());
  return rc;
}

/** A growable byte buffer for building keys, args encodings and protobuf messages. */
export class ByteWriter {
  private buf: Uint8Array;
  private len: i32 = 0;

  constructor(capacity: i32 = 64) {
    this.buf = new Uint8Array(capacity > 0 ? capacity : 16);
  }

  get length(): i32 {
    return this.len;
  }

  private reserve(extra: i32): void {
    const needed = this.len + extra;
    if (needed <= this.buf.length) return;
    let cap = this.buf.length << 1;
    if (cap < needed) cap = needed;
    const next = new Uint8Array(cap);
    memory.copy(next.dataStart, this.buf.dataStart, <usize>this.len);
    this.buf = next;
  }

  byte(b: u8): ByteWriter {
    this.reserve(1);
    unchecked((this.buf[this.len++] = b));
    return this;
  }

  bytes(data: Uint8Array): ByteWriter {
    const n = data.length;
    this.reserve(n);
    memory.copy(this.buf.dataStart + <usize>this.len, data.dataStart, <usize>n);
    this.len += n;
    return this;
  }

  string(s: string): ByteWriter {
    return this.bytes(utf8(s));
  }

  u32le(v: u32): ByteWriter {
    this.reserve(4);
    store<u32>(this.buf.dataStart + <usize>this.len, v);
    this.len += 4;
    return this;
  }

  u64le(v: u64): ByteWriter {
    this.reserve(8);
    store<u64>(this.buf.dataStart + <usize>this.len, v);
    this.len += 8;
    return this;
  }

  /** Protobuf base-128 varint. */
  varint(v: u64): ByteWriter {
    while (v >= 0x80) {
      this.byte(<u8>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    return this.byte(<u8>v);
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** A bounds-checked cursor over bytes; every read reports failure instead of reading past the end. */
export class ByteReader {
  pos: i32 = 0;
  failed: bool = false;

  constructor(public readonly data: Uint8Array) {}

  get remaining(): i32 {
    return this.data.length - this.pos;
  }

  get done(): bool {
    return this.pos >= this.data.length;
  }

  u32le(): u32 {
    if (this.remaining < 4) { this.failed = true; this.pos = this.data.length; return 0; }
    const v = load<u32>(this.data.dataStart + <usize>this.pos);
    this.pos += 4;
    return v;
  }

  /** `n` bytes as a new array, or an empty array and `failed` if fewer remain. */
  take(n: i32): Uint8Array {
    if (n < 0 || n > this.remaining) { this.failed = true; this.pos = this.data.length; return new Uint8Array(0); }
    const out = this.data.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Protobuf varint (at most 10 bytes). */
  varint(): u64 {
    let result: u64 = 0;
    let shift: u64 = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.data.length) { this.failed = true; return 0; }
      const b = <u64>unchecked(this.data[this.pos++]);
      result |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) return result;
      shift += 7;
    }
    this.failed = true;
    return 0;
  }

  skip(n: i32): void {
    if (n < 0 || n > this.remaining) { this.failed = true; this.pos = this.data.length; return; }
    this.pos += n;
  }
}
