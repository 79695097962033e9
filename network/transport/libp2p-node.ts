// The libp2p node under the transport: TCP, Noise (its prologue binds the network id, so peers of
// different networks fail the handshake), Yamux, identify (to learn where members listen) and
// ping (the connection monitor's liveness probe). No DHT, no mDNS, no gossipsub: membership is a
// fixed list and every member keeps a direct connection to every other (see libp2p-transport.ts
// for why direct streams beat gossipsub here). The connection gater refuses any key that is not a
// member, right after the Noise handshake has proven who the remote is.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import type { Ed25519PrivateKey, Libp2p, PeerId } from '@libp2p/interface';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import type { Multiaddr } from '@multiformats/multiaddr';
import { DIAL_TIMEOUT_MS } from './limits.ts';
import { noiseCrypto } from './noise-crypto.ts';

export interface NodeOptions {
  privateKey: Ed25519PrivateKey;
  networkId: string;
  listen: Multiaddr;
  announce: Multiaddr | undefined;
  /** Number of members: sizes connection limits. */
  members: number;
  /** True when the remote may connect (a member other than this peer). */
  isMember(peerId: PeerId): boolean;
  /** Called when a connection is refused because its key is not a member's. */
  refused(peerId: PeerId, direction: 'inbound' | 'outbound'): void;
}

/** Pings every connection this often; a connection that does not answer in time is closed. */
const PING_INTERVAL_MS = 10_000;
/** A busy peer (executing a big block on 2 cores) must not be mistaken for a dead one. */
const PING_TIMEOUT_MIN_MS = 10_000;

export type WeftNode = Libp2p<{ identify: unknown; ping: unknown }>;

export async function createWeftNode(options: NodeOptions): Promise<WeftNode> {
  const deny = (direction: 'inbound' | 'outbound') => (peerId: PeerId): boolean => {
    if (options.isMember(peerId)) return false;
    options.refused(peerId, direction);
    return true;
  };
  return createLibp2p({
    start: false,
    privateKey: options.privateKey,
    nodeInfo: { name: 'weft', version: '0.1.0' },
    addresses: {
      listen: [options.listen.toString()],
      announce: options.announce ? [options.announce.toString()] : [],
    },
    transports: [tcp()],
    connectionEncrypters: [noise({ prologueBytes: new TextEncoder().encode(`weft/${options.networkId}`), crypto: noiseCrypto })],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() },
    connectionGater: {
      denyDialPeer: (peerId) => !options.isMember(peerId),
      denyInboundEncryptedConnection: deny('inbound'),
      denyOutboundEncryptedConnection: deny('outbound'),
    },
    connectionManager: {
      // Every member keeps one or two connections to every other; the rest is headroom for restarts.
      maxConnections: Math.max(32, options.members * 4),
      dialTimeout: DIAL_TIMEOUT_MS,
      // On a local network every member dials from 127.0.0.1; libp2p's default (5/s per host) would refuse some.
      inboundConnectionThreshold: Math.max(5, options.members * 2),
      // Members are not re-dialled by libp2p's reconnect queue: the transport does it with its own backoff.
      reconnectRetries: 0,
    },
    connectionMonitor: { pingInterval: PING_INTERVAL_MS, pingTimeout: { minTimeout: PING_TIMEOUT_MIN_MS } },
  });
}
