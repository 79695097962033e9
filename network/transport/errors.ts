// Why a request failed, one class per cause, so callers can tell a slow peer from a broken one.
import { ERROR_TEXT_BYTES_MAX } from './limits.ts';

export class TransportError extends Error {
  override name = 'TransportError';
}

/** The peer did not answer in time. */
export class RequestTimeoutError extends TransportError {
  override name = 'RequestTimeoutError';
}

/** The peer is unknown, not connected, or the connection closed before it answered. */
export class PeerUnreachableError extends TransportError {
  override name = 'PeerUnreachableError';
}

/** The peer answered with an error (its handler threw, it has no handler, it is busy). */
export class RemoteError extends TransportError {
  override name = 'RemoteError';
  /** Who answered, and the error text it sent. */
  readonly peer: string;
  readonly remoteMessage: string;

  constructor(peer: string, remoteMessage: string) {
    super(`${peer} answered with an error: ${remoteMessage}`);
    this.peer = peer;
    this.remoteMessage = remoteMessage;
  }
}

/** This side refused the request before sending it (too large, too many outstanding, stopped). */
export class RequestRejectedError extends TransportError {
  override name = 'RequestRejectedError';
}

/** The bytes of a remote error's text as sent: UTF-8, cut to ERROR_TEXT_BYTES_MAX without splitting a character. */
export function remoteErrorBytes(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength <= ERROR_TEXT_BYTES_MAX) return bytes;
  let end = ERROR_TEXT_BYTES_MAX;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
