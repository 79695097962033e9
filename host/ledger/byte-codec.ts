// A small length-prefixed binary writer and a bounds-checked reader, for the ledger's own
// records (state deltas, snapshot chunks) that travel between peers. The reader treats its input
// as hostile: every length is checked against what is left and against a named maximum, and
// strings must be well-formed UTF-8.
import { decodeUtf8, encodeUtf8 } from './key-spaces.ts';

export class ByteWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialBytes = 1024) {
    this.#buffer = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#buffer.buffer);
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = next;
    this.#view = new DataView(next.buffer);
  }

  u8(value: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  u32(value: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.#length, value);
    this.#length += 4;
  }

  bytes(value: Uint8Array): void {
    this.u32(value.length);
    this.#reserve(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
  }

  string(value: string): void {
    this.bytes(encodeUtf8(value));
  }

  /** Optional bytes: a presence byte, then the bytes. */
  optionalBytes(value: Uint8Array | null): void {
    if (value === null) {
      this.u8(0);
    } else {
      this.u8(1);
      this.bytes(value);
    }
  }

  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

/** Malformed input from the network or the disk. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  #offset = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  fail(message: string): never {
    throw new DecodeError(`${this.#what}: ${message} (at byte ${this.#offset})`);
  }

  u8(): number {
    if (this.remaining < 1) this.fail('truncated');
    return this.#bytes[this.#offset++]!;
  }

  u32(): number {
    if (this.remaining < 4) this.fail('truncated');
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** A count of items each at least `minItemBytes` long, so a forged count cannot allocate more than the input holds. */
  count(minItemBytes: number, max: number, what: string): number {
    const count = this.u32();
    if (count > max) this.fail(`${what} count ${count} exceeds ${max}`);
    if (count * minItemBytes > this.remaining) this.fail(`${what} count ${count} does not fit in the remaining ${this.remaining} bytes`);
    return count;
  }

  bytes(max: number, what: string): Uint8Array {
    const length = this.u32();
    if (length > max) this.fail(`${what} of ${length} bytes exceeds ${max}`);
    if (length > this.remaining) this.fail(`${what} of ${length} bytes is truncated`);
    const value = this.#bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  string(maxBytes: number, what: string): string {
    const bytes = this.bytes(maxBytes, what);
    try {
      return decodeUtf8(bytes);
    } catch {
      return this.fail(`${what} is not well-formed UTF-8`);
    }
  }

  optionalBytes(max: number, what: string): Uint8Array | null {
    const flag = this.u8();
    if (flag === 0) return null;
    if (flag !== 1) this.fail(`${what} has presence flag ${flag}`);
    return this.bytes(max, what);
  }

  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} trailing bytes`);
  }
}
