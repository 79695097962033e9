// The wire form of transport messages (wire v3). Every frame names its sender and is
// length-prefixed on its stream:
//
//   u32 BE  frame length (everything below)
//   u8      version (3)
//   u8      kind: 0 message, 1 request, 2 response, 3 error response, 4 bundle of messages
//   u32 BE  request id (0 for a plain message or a bundle)
//   u8      sender id length L (1..64), then L bytes of sender id ("vp1")
//   …       payload (for an error response: the error text, UTF-8; for a bundle: two or more
//           messages, each as u32 BE length then its bytes)
//
// Frames carry no signature (wire v2 signed each one with Ed25519: 7–10 % of each peer's profile
// samples in a 4-peer network at 2,000 tx/s, docs/performance.md). What authenticates a frame:
// - the connection: Noise XX proves the remote's libp2p key (its handshake payload is signed by
//   it), the connection gater refuses keys that are not members', the transport maps the key to
//   the member, and a frame whose sender id is not that member is dropped;
// - the session: Noise encrypts with ChaCha20-Poly1305 under per-session keys and counter
//   nonces, so no one else can alter, inject, replay or reorder bytes in a session, and bytes of
//   an old session do not decrypt in a new one;
// - the stream: the network id is in the Noise prologue, and network, channel and wire version are
//   in the stream's protocol id (/weft/<network>/<channel>/3.0.0), so a frame belongs to the
//   network and channel of the stream it arrives on, and v2 and v3 peers do not talk.
// What is no longer protected: (1) a frame cannot be shown to a third party as proof of what its
// sender sent. Nothing relied on that: v2's signatures were checked in the transport and thrown
// away, never handed to a handler, stored or relayed, and what PBFT passes on for another replica
// carries that replica's own PBFT signature (requests, view-changes). (2) A design that relays
// frames through other members (gossipsub, relays) would need signatures again. (3) No second
// line behind Noise: a flaw in the Noise implementation or a leaked session key now exposes
// frames to forgery, not only to reading. A member can, as before, send anything in its own name.
//
// A bundle carries the messages a peer sent to one member within one turn of its event loop:
// under load a replica sends tens of messages per turn, and one frame instead of tens means one
// header, one Noise encryption and MAC, one Yamux data frame and one socket write.
import { MEMBER_ID_BYTES_MAX } from './limits.ts';

export const FRAME_VERSION = 3;
/** The version in the libp2p protocol ids (/weft/<network>/<channel>/<version>): peers of different wire versions do not talk. */
export const WIRE_PROTOCOL_VERSION = `${FRAME_VERSION}.0.0`;
export const FrameKind = { message: 0, request: 1, response: 2, error: 3, bundle: 4 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Bytes of the length prefix. */
export const LENGTH_PREFIX_BYTES = 4;
/** Bytes of the header before the sender id: version, kind, request id, sender id length. */
const FIXED_HEADER_BYTES = 1 + 1 + 4 + 1;
/** Most bytes a frame adds around its payload (header with the longest sender id). */
export const FRAME_OVERHEAD_BYTES_MAX = FIXED_HEADER_BYTES + MEMBER_ID_BYTES_MAX;
/** Bytes of the length before each message of a bundle. */
export const BUNDLE_ENTRY_PREFIX_BYTES = 4;

export interface FrameHeader {
  kind: FrameKind;
  requestId: number;
  from: string;
}

export interface DecodedFrame extends FrameHeader {
  payload: Uint8Array;
}

/** Builds a length-prefixed frame, ready to write to a stream. Throws on a header it cannot encode. */
export function encodeFrame(header: FrameHeader, payload: Uint8Array): Uint8Array {
  const from = Buffer.from(header.from, 'utf8');
  if (from.byteLength < 1 || from.byteLength > MEMBER_ID_BYTES_MAX) throw new RangeError(`sender id must be 1..${MEMBER_ID_BYTES_MAX} bytes`);
  if (!Number.isInteger(header.requestId) || header.requestId < 0 || header.requestId > 0xffff_ffff) throw new RangeError('request id must be a u32');
  const frameLength = FIXED_HEADER_BYTES + from.byteLength + payload.byteLength;
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + frameLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, frameLength);
  out[4] = FRAME_VERSION;
  out[5] = header.kind;
  view.setUint32(6, header.requestId);
  out[10] = from.byteLength;
  out.set(from, 11);
  out.set(payload, 11 + from.byteLength);
  return out;
}

/** Parses a frame (without its length prefix). Returns 'malformed' instead of throwing. */
export function decodeFrame(frame: Uint8Array): DecodedFrame | 'malformed' {
  if (frame.byteLength < FIXED_HEADER_BYTES + 1 || frame[0] !== FRAME_VERSION) return 'malformed';
  const kind = frame[1] as number;
  if (kind > FrameKind.bundle) return 'malformed';
  const requestId = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(2);
  const plain = kind === FrameKind.message || kind === FrameKind.bundle;
  if (plain !== (requestId === 0)) return 'malformed';
  const fromLength = frame[6] as number;
  const headerEnd = FIXED_HEADER_BYTES + fromLength;
  if (fromLength < 1 || fromLength > MEMBER_ID_BYTES_MAX || frame.byteLength < headerEnd) return 'malformed';
  const fromBytes = frame.subarray(FIXED_HEADER_BYTES, headerEnd);
  return {
    kind: kind as FrameKind,
    requestId,
    from: Buffer.from(fromBytes.buffer, fromBytes.byteOffset, fromBytes.byteLength).toString('utf8'),
    payload: frame.subarray(headerEnd),
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
