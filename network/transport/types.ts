// The contract between the peer (and its consensus plugin) and the peer-to-peer transport.
// Two implementations: libp2p (network/transport/libp2p-transport.ts, production) and an
// in-process one (network/transport/memory-transport.ts, tests). Everything that arrives here
// came off the network: the transport authenticates the sender (by its connection, not by a
// signature on each message) and bounds sizes, the receiver still validates content.

/** What a message is for. Each channel is its own protocol stream/topic with its own size bound. */
export type Channel = 'consensus' | 'transaction' | 'sync';

/** A peer of the network, as /network/peers lists it. */
export interface PeerInfo {
  /** Fabric's peer id, e.g. "vp0" (validators must be vpN: N is the replica id). */
  id: string;
  /** The address others reach it at (host:port). */
  address: string;
  validator: boolean;
  /** Its public identity (libp2p peer id), base58. */
  pkiID: string;
}

export interface PeerTransport {
  /** This peer's id (vpN for a validator). */
  readonly selfId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Peers this one is connected to now (authenticated members of the network only), without itself. */
  connected(): PeerInfo[];
  /** Sends to one peer. Best effort: never throws, drops when the peer is unreachable or the queue is full. */
  send(to: string, channel: Channel, payload: Uint8Array): void;
  /** Sends to every connected validator except this peer. Best effort. */
  broadcast(channel: Channel, payload: Uint8Array): void;
  /** Registers the handler of one channel's messages; `from` is the authenticated sender's id. */
  onMessage(channel: Channel, handler: (from: string, payload: Uint8Array) => void): void;
  /** Asks one peer and waits for its answer; rejects on timeout, disconnect or a remote error. */
  request(to: string, channel: Channel, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Registers the answerer of one channel's requests. A thrown error becomes a remote error for the caller. */
  onRequest(channel: Channel, handler: (from: string, payload: Uint8Array) => Promise<Uint8Array>): void;
}

/**
 * Signs with this peer's identity key and verifies other members' signatures. The transport
 * does not sign its messages (the connection authenticates them); the PBFT core signs what a
 * replica other than the receiver must be able to verify: requests (inside a pre-prepare) and
 * view-changes (inside a new-view).
 */
export interface MessageSigner {
  sign(data: Uint8Array): Uint8Array;
  /** False for an unknown peer, a malformed signature or a mismatch; never throws. */
  verify(peerId: string, data: Uint8Array, signature: Uint8Array): boolean;
}
