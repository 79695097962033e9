// The transport's bounds: how big a message of each channel may be, how much may wait for a slow
// peer, how many requests may be in flight, how reconnection backs off. Every value here is a
// default; Libp2pTransportOptions.limits overrides them per peer (they are local resource
// limits, not protocol constants, except that a sender's payload bound must not exceed what its
// receivers accept).
import { TRANSACTION_BYTES_MAX } from '../../host/protocol/limits.ts';
import type { Channel } from './types.ts';

export const CHANNELS: readonly Channel[] = ['consensus', 'transaction', 'sync'];

const MiB = 1_048_576;
const KiB = 1_024;

/**
 * Largest payload of one message (or request, or response) per channel.
 * - consensus: a pre-prepare carries a whole request batch; it must hold at least one maximal
 *   transaction (4 MiB) plus the batch's framing, so 8 MiB. PBFT must cut batches by bytes too.
 * - transaction: one client transaction plus its envelope.
 * - sync: state transfer pages blocks and state; one page (response) up to 16 MiB.
 */
export const PAYLOAD_BYTES_MAX: Readonly<Record<Channel, number>> = {
  consensus: 8 * MiB,
  transaction: TRANSACTION_BYTES_MAX + 64 * KiB,
  sync: 16 * MiB,
};

/** Bytes that may wait in the outbound queue of one peer and channel; beyond, messages are dropped. */
export const QUEUE_BYTES_MAX: Readonly<Record<Channel, number>> = {
  consensus: 16 * MiB,
  transaction: 16 * MiB,
  sync: 32 * MiB,
};

/** Messages that may wait in the outbound queue of one peer and channel. */
export const QUEUE_FRAMES_MAX = 8_192;

/** Requests this peer may have outstanding towards one peer (all channels). */
export const OUTSTANDING_REQUESTS_PER_PEER_MAX = 256;
/** Requests one peer may have this peer answer at once on one channel; beyond, it gets a "busy" error. */
export const CONCURRENT_INBOUND_REQUESTS_MAX = 16;
/** A request's timeout is clamped to this (ms). */
export const REQUEST_TIMEOUT_MS_MAX = 600_000;
/** Bytes of a remote error's text; longer texts are cut. */
export const ERROR_TEXT_BYTES_MAX = 1_024;

/** Reconnection backoff: first delay, ceiling (ms), growth and random spread. */
export const RECONNECT_INITIAL_MS = 200;
export const RECONNECT_MAX_MS = 10_000;
export const RECONNECT_FACTOR = 2;
export const RECONNECT_JITTER = 0.2;

/** How often a peer missing members asks its connected members where the others are (Fabric's peer.discovery.period). */
export const DISCOVERY_PERIOD_MS = 5_000;
/** Bound of a discovery answer, and of the addresses accepted per member. */
export const DISCOVERY_PAYLOAD_BYTES_MAX = 64 * KiB;
export const ADDRESSES_PER_MEMBER_MAX = 8;

/** How long one dial may take (libp2p default is 10 s; members are on a LAN or a fast WAN). */
export const DIAL_TIMEOUT_MS = 5_000;

/** Bounds of a member id ("vp0") and of a member list. */
export const MEMBER_ID_BYTES_MAX = 64;
export const MEMBERS_MAX = 1_024;

export interface TransportLimits {
  payloadBytesMax: Record<Channel, number>;
  queueBytesMax: Record<Channel, number>;
  queueFramesMax: number;
  outstandingRequestsPerPeerMax: number;
  concurrentInboundRequestsMax: number;
}

export function defaultLimits(): TransportLimits {
  return {
    payloadBytesMax: { ...PAYLOAD_BYTES_MAX },
    queueBytesMax: { ...QUEUE_BYTES_MAX },
    queueFramesMax: QUEUE_FRAMES_MAX,
    outstandingRequestsPerPeerMax: OUTSTANDING_REQUESTS_PER_PEER_MAX,
    concurrentInboundRequestsMax: CONCURRENT_INBOUND_REQUESTS_MAX,
  };
}

/** Limits with overrides applied; every value must be a positive integer. */
export function resolveLimits(overrides: Partial<TransportLimits> | undefined): TransportLimits {
  const limits = defaultLimits();
  if (overrides?.payloadBytesMax) Object.assign(limits.payloadBytesMax, overrides.payloadBytesMax);
  if (overrides?.queueBytesMax) Object.assign(limits.queueBytesMax, overrides.queueBytesMax);
  if (overrides?.queueFramesMax !== undefined) limits.queueFramesMax = overrides.queueFramesMax;
  if (overrides?.outstandingRequestsPerPeerMax !== undefined) limits.outstandingRequestsPerPeerMax = overrides.outstandingRequestsPerPeerMax;
  if (overrides?.concurrentInboundRequestsMax !== undefined) limits.concurrentInboundRequestsMax = overrides.concurrentInboundRequestsMax;
  const check = (name: string, value: number): void => {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`transport limit ${name} must be a positive integer, got ${value}`);
  };
  for (const channel of CHANNELS) {
    check(`payloadBytesMax.${channel}`, limits.payloadBytesMax[channel]);
    check(`queueBytesMax.${channel}`, limits.queueBytesMax[channel]);
    if (limits.payloadBytesMax[channel] > 256 * MiB) throw new RangeError(`transport limit payloadBytesMax.${channel} must be at most 256 MiB`);
  }
  check('queueFramesMax', limits.queueFramesMax);
  check('outstandingRequestsPerPeerMax', limits.outstandingRequestsPerPeerMax);
  check('concurrentInboundRequestsMax', limits.concurrentInboundRequestsMax);
  return limits;
}
