// The wire form of transport messages. Every frame names its sender, carries the sender's
// Ed25519 signature, and is length-prefixed on its stream:
//
//   u32 BE  frame length (everything below)
//   u8      version (2)
//   u8      kind: 0 message, 1 request, 2 response, 3 error response, 4 bundle of messages
//   u32 BE  request id (0 for a plain message or a bundle)
//   u8      sender id length L (1..64), then L bytes of sender id ("vp1")
//   u8      signature length S (64; 0 = unsigned, always refused), then S bytes
//   …       payload (for an error response: the error text, UTF-8; for a bundle: two or more
//           messages, each as u32 BE length then its bytes)
//
// A bundle carries the messages a peer sent to one member within one turn of its event loop
// under one signature: under load a replica sends tens of messages per turn, and one Ed25519
// signature and verification per message was a third of each peer's CPU (docs/performance.md).
//
// The signature covers SHA-256(domain ‖ network id ‖ channel ‖ header ‖ payload): the header is
// everything before the signature length, the domain keeps transport signatures apart from any
// other use of the same key (PBFT's own signatures), and the network id and channel keep a frame
// from being replayed on another network or channel. The payload is hashed first (SHA-256, then
// Ed25519 over 32 bytes) because Ed25519 hashes its message twice with SHA-512: for 64 KiB,
// sign+verify costs 210 µs this way against 360 µs over the payload (bench/transport.bench.ts),
// for 4 MiB 5.6 ms against 15.6 ms; for 1 KiB they are equal.
import { createHash } from 'node:crypto';
import { ED25519_SIGNATURE_BYTES } from './ed25519-signer.ts';
import { MEMBER_ID_BYTES_MAX } from './limits.ts';

export const FRAME_VERSION = 2;
/** The version in the libp2p protocol ids (/weft/<network>/<channel>/<version>). */
export const WIRE_PROTOCOL_VERSION = `${FRAME_VERSION}.0.0`;
export const FrameKind = { message: 0, request: 1, response: 2, error: 3, bundle: 4 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Bytes of the length prefix. */
export const LENGTH_PREFIX_BYTES = 4;
/** Most bytes a frame adds around its payload (header, longest id, signature). */
export const FRAME_OVERHEAD_BYTES_MAX = 1 + 1 + 4 + 1 + MEMBER_ID_BYTES_MAX + 1 + ED25519_SIGNATURE_BYTES;
const SIGNING_DOMAIN = 'weft/transport/2';
/** Bytes of the length before each message of a bundle. */
export const BUNDLE_ENTRY_PREFIX_BYTES = 4;

export interface FrameHeader {
  kind: FrameKind;
  requestId: number;
  from: string;
}

export interface DecodedFrame extends FrameHeader {
  signature: Uint8Array;
  payload: Uint8Array;
  /** The signed header bytes (version … sender id). */
  header: Uint8Array;
}

/** What a signature binds a frame to besides its own bytes. */
export interface SigningContext {
  networkId: string;
  channel: string;
}

/** The 32-byte digest a frame's signature covers. */
export function frameDigest(context: SigningContext, header: Uint8Array, payload: Uint8Array): Uint8Array {
  return createHash('sha256')
    .update(`${SIGNING_DOMAIN}\0${context.networkId}\0${context.channel}\0`)
    .update(header)
    .update(payload)
    .digest();
}

function encodeHeader(header: FrameHeader): Uint8Array {
  const from = Buffer.from(header.from, 'utf8');
  if (from.byteLength < 1 || from.byteLength > MEMBER_ID_BYTES_MAX) throw new RangeError(`sender id must be 1..${MEMBER_ID_BYTES_MAX} bytes`);
  if (!Number.isInteger(header.requestId) || header.requestId < 0 || header.requestId > 0xffff_ffff) throw new RangeError('request id must be a u32');
  const bytes = new Uint8Array(7 + from.byteLength);
  const view = new DataView(bytes.buffer);
  bytes[0] = FRAME_VERSION;
  bytes[1] = header.kind;
  view.setUint32(2, header.requestId);
  bytes[6] = from.byteLength;
  bytes.set(from, 7);
  return bytes;
}

/**
 * Builds a signed, length-prefixed frame, ready to write to a stream. `sign` receives the digest.
 * Pass `signatureOverride` only to build invalid frames in tests (empty = unsigned).
 */
export function encodeFrame(
  header: FrameHeader,
  payload: Uint8Array,
  context: SigningContext,
  sign: (digest: Uint8Array) => Uint8Array,
  signatureOverride?: Uint8Array,
): Uint8Array {
  const head = encodeHeader(header);
  const signature = signatureOverride ?? sign(frameDigest(context, head, payload));
  if (signature.byteLength > 255) throw new RangeError('signature too long');
  const frameLength = head.byteLength + 1 + signature.byteLength + payload.byteLength;
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + frameLength);
  new DataView(out.buffer).setUint32(0, frameLength);
  let at = LENGTH_PREFIX_BYTES;
  out.set(head, at);
  at += head.byteLength;
  out[at++] = signature.byteLength;
  out.set(signature, at);
  at += signature.byteLength;
  out.set(payload, at);
  return out;
}

/** Why a frame was refused, as counted in TransportStats. */
export type FrameProblem = 'malformed' | 'unsigned';

/** Parses a frame (without its length prefix). Returns a problem instead of throwing. */
export function decodeFrame(frame: Uint8Array): DecodedFrame | FrameProblem {
  if (frame.byteLength < 8 || frame[0] !== FRAME_VERSION) return 'malformed';
  const kind = frame[1] as number;
  if (kind > FrameKind.bundle) return 'malformed';
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const requestId = view.getUint32(2);
  const fromLength = frame[6] as number;
  if (fromLength < 1 || fromLength > MEMBER_ID_BYTES_MAX || frame.byteLength < 8 + fromLength) return 'malformed';
  const headerEnd = 7 + fromLength;
  const fromBytes = frame.subarray(7, headerEnd);
  const from = Buffer.from(fromBytes.buffer, fromBytes.byteOffset, fromBytes.byteLength).toString('utf8');
  const signatureLength = frame[headerEnd] as number;
  if (signatureLength === 0) return 'unsigned';
  if (signatureLength !== ED25519_SIGNATURE_BYTES || frame.byteLength < headerEnd + 1 + signatureLength) return 'malformed';
  const plain = kind === FrameKind.message || kind === FrameKind.bundle;
  if (plain !== (requestId === 0)) return 'malformed';
  return {
    kind: kind as FrameKind,
    requestId,
    from,
    header: frame.subarray(0, headerEnd),
    signature: frame.subarray(headerEnd + 1, headerEnd + 1 + signatureLength),
    payload: frame.subarray(headerEnd + 1 + signatureLength),
  };
}

/** A bundle's payload: each message as u32 BE length then its bytes. */
export function encodeBundle(messages: readonly Uint8Array[]): Uint8Array {
  let bytes = 0;
  for (const message of messages) bytes += BUNDLE_ENTRY_PREFIX_BYTES + message.byteLength;
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const message of messages) {
    view.setUint32(at, message.byteLength);
    out.set(message, at + BUNDLE_ENTRY_PREFIX_BYTES);
    at += BUNDLE_ENTRY_PREFIX_BYTES + message.byteLength;
  }
  return out;
}

/**
 * Splits a bundle's payload into its messages (views into it, no copies). 'malformed' when an
 * entry overruns the payload, a message is larger than `messageBytesMax`, or fewer than two
 * messages are in it (one message travels as a plain frame).
 */
export function decodeBundle(payload: Uint8Array, messageBytesMax: number): Uint8Array[] | 'malformed' {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const messages: Uint8Array[] = [];
  let at = 0;
  while (at < payload.byteLength) {
    if (payload.byteLength - at < BUNDLE_ENTRY_PREFIX_BYTES) return 'malformed';
    const length = view.getUint32(at);
    at += BUNDLE_ENTRY_PREFIX_BYTES;
    if (length > messageBytesMax || length > payload.byteLength - at) return 'malformed';
    messages.push(payload.subarray(at, at + length));
    at += length;
  }
  return messages.length >= 2 ? messages : 'malformed';
}
