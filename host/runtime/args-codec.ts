// The wire form of chaincode arguments across the ABI (get_args, invoke_chaincode):
// u32 count, then per argument u32 length and its bytes, all little-endian. args[0] is the
// function name, as in Fabric v0.6's ctorMsg.args.
import { ARGS_BYTES_MAX, ARGS_COUNT_MAX } from '../protocol/limits.ts';

const U32_BYTES = 4;

// Lengths are written and read byte by byte: a DataView over a small Uint8Array's .buffer makes V8
// move the array off the heap (a malloc and an ArrayBuffer) on every call.

/** Writes a u32 little-endian at `offset`. */
export function writeU32LE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value;
  bytes[offset + 1] = value >>> 8;
  bytes[offset + 2] = value >>> 16;
  bytes[offset + 3] = value >>> 24;
}

/** Reads a u32 little-endian at `offset` (the caller checks the bounds). */
export function readU32LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

export function encodeArgs(args: readonly Uint8Array[]): Uint8Array {
  let total = U32_BYTES;
  for (const arg of args) total += U32_BYTES + arg.length;
  const out = new Uint8Array(total);
  writeU32LE(out, 0, args.length);
  let offset = U32_BYTES;
  for (const arg of args) {
    writeU32LE(out, offset, arg.length);
    out.set(arg, offset + U32_BYTES);
    offset += U32_BYTES + arg.length;
  }
  return out;
}

/** Decodes guest-supplied bytes; a string says what is wrong with them. */
export function decodeArgs(bytes: Uint8Array): Uint8Array[] | string {
  if (bytes.length < U32_BYTES) return `args encoding of ${bytes.length} bytes is shorter than its count`;
  const count = readU32LE(bytes, 0);
  if (count > ARGS_COUNT_MAX) return `${count} args exceed ARGS_COUNT_MAX (${ARGS_COUNT_MAX})`;
  const args: Uint8Array[] = [];
  let offset = U32_BYTES;
  for (let i = 0; i < count; i++) {
    if (offset + U32_BYTES > bytes.length) return `args encoding ends inside the length of arg ${i}`;
    const length = readU32LE(bytes, offset);
    offset += U32_BYTES;
    if (offset + length > bytes.length) return `arg ${i} of ${length} bytes runs past the end of the args encoding`;
    args.push(bytes.slice(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.length) return `args encoding has ${bytes.length - offset} bytes after its last arg`;
  return args;
}

/** Why a transaction's args break the network's bounds, or undefined if they fit. */
export function argsProblem(args: readonly Uint8Array[]): string | undefined {
  if (args.length > ARGS_COUNT_MAX) return `${args.length} args exceed ARGS_COUNT_MAX (${ARGS_COUNT_MAX})`;
  let total = 0;
  for (const arg of args) total += arg.length;
  if (total > ARGS_BYTES_MAX) return `args of ${total} bytes exceed ARGS_BYTES_MAX (${ARGS_BYTES_MAX})`;
  return undefined;
}
