// PeerTransport over libp2p: every member keeps a direct, authenticated (Noise) connection to every
// other; each channel is its own protocol with one long-lived stream per direction, carrying
// length-prefixed frames (wire v3, frame.ts). The connection authenticates the sender: a frame is
// taken as its member's because it arrived on that member's Noise connection, and one that names
// another sender is dropped. Frames are not signed (frame.ts says why that is enough and what it
// gives up); the signer this transport holds is for the PBFT core's own signatures.
// Plain messages wait in an outbox until the end of the event-loop turn, then each member gets
// what was sent to it as one bundle (one frame: one Noise encryption, one Yamux frame, one
// write); a broadcast's bundle is identical for every recipient and encoded once.
//
// Why direct streams and not gossipsub: a permissioned network is small and fully connected, so a
// direct send reaches each member in one hop, with no mesh upkeep, no duplicate suppression, and
// no relaying (which would need frames signed again, frame.ts). bench/transport.bench.ts,
// broadcast of 1 KiB from one of four nodes to the other three: direct 0.32 ms median and
// ~55,000 messages/s (bundled), gossipsub 3.7 ms and ~350/s. Gossipsub would pay only when
// members cannot all reach each other.
//
// Admission (security.enabled): the member list says which keys may connect; with an admission
// check configured, a member must also present a credential (its validator certificate) on the
// 'identity' protocol right after connecting, and until the check accepts it the member is not
// connected() and its frames on the public channels are dropped, in both directions.
//
// Finding each other: members listed with an address are dialled; `peer.discovery.rootnode`
// addresses (host:port, no key) are dialled blind and the Noise handshake tells who answered;
// every connected member is asked where the others listen (a small discovery protocol over the
// same frames). A member that goes away is redialled with exponential backoff until it
// comes back.
import type { Connection, Ed25519PrivateKey, IdentifyResult, PeerId, Stream } from '@libp2p/interface';
import { formatHostPort, fromMultiaddr, isLoopbackHost, isUnspecifiedHost, parseAddressList, parseHostPort, toMultiaddr, type HostPort } from './addresses.ts';
import { Ed25519Signer } from './ed25519-signer.ts';
import { PeerUnreachableError, RemoteError, remoteErrorBytes, RequestRejectedError, RequestTimeoutError } from './errors.ts';
import {
  BUNDLE_ENTRY_PREFIX_BYTES,
  decodeBundle,
  decodeFrame,
  encodeBundle,
  encodeFrame,
  FRAME_OVERHEAD_BYTES_MAX,
  FrameKind,
  WIRE_PROTOCOL_VERSION,
} from './frame.ts';
import { peerIdOf } from './identity.ts';
import { createWeftNode, type WeftNode } from './libp2p-node.ts';
import {
  ADDRESSES_PER_MEMBER_MAX,
  CHANNELS,
  DIAL_TIMEOUT_MS,
  DISCOVERY_PAYLOAD_BYTES_MAX,
  DISCOVERY_PERIOD_MS,
  MEMBERS_MAX,
  RECONNECT_FACTOR,
  RECONNECT_INITIAL_MS,
  RECONNECT_JITTER,
  RECONNECT_MAX_MS,
  REQUEST_TIMEOUT_MS_MAX,
  resolveLimits,
  type TransportLimits,
} from './limits.ts';
import { Membership, type Member, type MemberInput } from './members.ts';
import { StreamLink, type LinkCloseReason } from './stream-link.ts';
import { newStats, type TransportLogger, type TransportStats } from './transport-stats.ts';
import type { Channel, MessageSigner, PeerInfo, PeerTransport } from './types.ts';

export interface Libp2pTransportOptions {
  /** This peer's Fabric id (peer.id), e.g. "vp0". */
  selfId: string;
  /** This peer's key (identity.ts: loadOrCreatePeerIdentity(peer.fileSystemPath)). */
  privateKey: Ed25519PrivateKey;
  /**
   * Every member of the network (members.ts; parseMemberList for the text form). This peer may be
   * left out: it is added from selfId and privateKey. If it is listed, its key must match.
   */
  members: readonly MemberInput[];
  /** Where to listen (peer.listenAddress), host:port; port 0 picks a free port. */
  listenAddress: string;
  /** The address other members reach this one at (peer.address); not announced when its host is 0.0.0.0. */
  announceAddress?: string | undefined;
  /** peer.discovery.rootnode: comma-separated host:port of peers to join. */
  rootNodes?: string | undefined;
  /** peer.networkId: peers of different networks cannot connect. Default "dev". */
  networkId?: string | undefined;
  /** Whether this peer validates, when it is not in `members`. Default: its id is vpN. */
  validator?: boolean | undefined;
  limits?: Partial<TransportLimits> | undefined;
  /** Reconnection backoff (ms): first delay and ceiling. */
  reconnect?: { initialMs?: number | undefined; maxMs?: number | undefined } | undefined;
  /** How often to ask connected members where missing ones listen (peer.discovery.period). */
  discoveryPeriodMs?: number | undefined;
  logger?: TransportLogger | undefined;
  /** When set, members are admitted only once their credential passes the check. */
  admission?: TransportAdmission | undefined;
}

/** The channels on the wire: the public ones plus discovery. */
type WireChannel = Channel | 'discovery' | 'identity';
const WIRE_CHANNELS: readonly WireChannel[] = [...CHANNELS, 'discovery', 'identity'];
/** The transport's own channels, outside the public ones and open before admission. */
const isPrivateChannel = (channel: string): boolean => channel === 'discovery' || channel === 'identity';
/** Bytes of a credential (a certificate) on the identity protocol. */
export const IDENTITY_PAYLOAD_BYTES_MAX = 16_384;
/** Wait before asking a member for its credential again after the request failed. */
const ADMISSION_RETRY_MS = 1_000;

/** A member as the admission check sees it. */
export interface AdmissionCandidate {
  id: string;
  /** The libp2p peer id the Noise handshake authenticated. */
  peerId: string;
  validator: boolean;
}

/** Who, beyond the member list, may take part: this peer's credential and the check of others'. */
export interface TransportAdmission {
  /** What this peer presents to each member that connects (e.g. its validator certificate, DER). */
  credential: Uint8Array;
  /** Accepts a member's credential, or says why not. Must not throw. */
  check(member: AdmissionCandidate, credential: Uint8Array): { ok: true } | { ok: false; reason: string };
}
const NETWORK_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** How many streams of one protocol a member may have open to us at once (one per direction, plus restarts). */
const STREAMS_PER_PROTOCOL_MAX = 4;

/** A frame ready for a link, and how many messages it carries (for the counters). */
interface OutboundFrame {
  bytes: Uint8Array;
  messages: number;
}

interface PendingRequest {
  to: string;
  link: StreamLink;
  timer: NodeJS.Timeout;
  resolve(payload: Uint8Array): void;
  reject(error: Error): void;
}

/** Reconnection state of one member, or of one rootnode address not yet known to be a member. */
interface DialState {
  timer: NodeJS.Timeout | undefined;
  backoffMs: number;
  dialing: boolean;
}

interface RootNode extends DialState {
  address: HostPort;
  /** Who answered there, once known. */
  member: string | undefined;
  /** Whether a failure to reach it has been logged (once, then debug). */
  warned: boolean;
}

interface DiscoveryAnswer {
  peers: { id: string; addresses: string[] }[];
}

const silent: TransportLogger = { debug() {}, info() {}, warning() {} };

export class Libp2pTransport implements PeerTransport {
  readonly selfId: string;
  /** Signs with this peer's key and verifies members' signatures: for the PBFT core (frames are not signed). */
  readonly signer: MessageSigner;
  readonly #options: Libp2pTransportOptions;
  readonly #membership: Membership;
  readonly #self: Member;
  readonly #limits: TransportLimits;
  readonly #networkId: string;
  readonly #log: TransportLogger;
  readonly #listen: HostPort;
  readonly #announce: HostPort | undefined;
  readonly #reconnectInitialMs: number;
  readonly #reconnectMaxMs: number;
  readonly #discoveryPeriodMs: number;
  readonly #stats: TransportStats = newStats();

  #node: WeftNode | undefined;
  #starting: Promise<void> | undefined;
  #running = false;
  readonly #messageHandlers = new Map<Channel, (from: string, payload: Uint8Array) => void>();
  readonly #requestHandlers = new Map<Channel, (from: string, payload: Uint8Array) => Promise<Uint8Array>>();
  /** Outbound links by member id and channel. */
  readonly #outLinks = new Map<string, StreamLink>();
  readonly #inLinks = new Set<StreamLink>();
  readonly #pending = new Map<number, PendingRequest>();
  readonly #pendingPerPeer = new Map<string, number>();
  readonly #answering = new Map<StreamLink, number>();
  #nextRequestId = 1;
  readonly #dialStates = new Map<string, DialState>();
  #rootNodes: RootNode[] = [];
  /** Where members said they listen (identify) or were found (rootnode, discovery), newest first. */
  readonly #learned = new Map<string, HostPort[]>();
  #discoveryTimer: NodeJS.Timeout | undefined;
  /** Plain messages sent this turn, per outbound link, in order; flushed as bundles (#flushOutbox). */
  readonly #outbox = new Map<StreamLink, Uint8Array[]>();
  #outboxScheduled = false;
  /** Members whose credential passed the admission check on their current connection. */
  readonly #admitted = new Set<string>();
  readonly #admissionTimers = new Set<NodeJS.Timeout>();

  constructor(options: Libp2pTransportOptions) {
    this.#options = options;
    this.selfId = options.selfId;
    this.#log = options.logger ?? silent;
    this.#networkId = options.networkId ?? 'dev';
    if (!NETWORK_ID.test(this.#networkId)) throw new Error(`peer.networkId "${this.#networkId}" may hold only letters, digits, ".", "_" and "-" (1 to 64)`);
    this.#limits = resolveLimits(options.limits);
    const ownPeerId = peerIdOf(options.privateKey);
    const listed = options.members.find((member) => member.id === options.selfId);
    if (listed && listed.peerId !== ownPeerId) {
      throw new Error(`The member list gives ${options.selfId} the peer id ${listed.peerId}, but this peer's key is ${ownPeerId}; fix the list or the key`);
    }
    const inputs = listed ? [...options.members] : [...options.members, { id: options.selfId, peerId: ownPeerId, validator: options.validator }];
    if (inputs.length > MEMBERS_MAX) throw new Error(`At most ${MEMBERS_MAX} members are allowed`);
    this.#membership = new Membership(inputs);
    this.#self = this.#membership.get(options.selfId) as Member;
    this.signer = new Ed25519Signer(options.privateKey, this.#membership);
    this.#listen = parseHostPort(options.listenAddress, 'peer.listenAddress');
    const announce = options.announceAddress ? parseHostPort(options.announceAddress, 'peer.address') : undefined;
    this.#announce = announce && !isUnspecifiedHost(announce.host) ? announce : undefined;
    this.#rootNodes = parseAddressList(options.rootNodes ?? '', 'peer.discovery.rootnode').map((address) => ({
      address,
      member: undefined,
      timer: undefined,
      backoffMs: 0,
      dialing: false,
      warned: false,
    }));
    this.#reconnectInitialMs = positive(options.reconnect?.initialMs ?? RECONNECT_INITIAL_MS, 'reconnect.initialMs');
    this.#reconnectMaxMs = Math.max(this.#reconnectInitialMs, positive(options.reconnect?.maxMs ?? RECONNECT_MAX_MS, 'reconnect.maxMs'));
    this.#discoveryPeriodMs = positive(options.discoveryPeriodMs ?? DISCOVERY_PERIOD_MS, 'discoveryPeriodMs');
  }

  /** The members, as configured (this peer included). */
  members(): Member[] {
    return this.#membership.all();
  }

  /** Where this peer listens now (useful with port 0), as host:port. */
  listenAddresses(): string[] {
    const node = this.#node;
    if (!node) return [];
    return node
      .getMultiaddrs()
      .map((address) => fromMultiaddr(address))
      .filter((address): address is HostPort => address !== undefined)
      .map(formatHostPort);
  }

  /** A copy of the counters. */
  stats(): TransportStats {
    return structuredClone(this.#stats);
  }

  start(): Promise<void> {
    if (this.#running) return Promise.resolve();
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const node = await createWeftNode({
      privateKey: this.#options.privateKey,
      networkId: this.#networkId,
      listen: toMultiaddr(this.#listen),
      announce: this.#announce ? toMultiaddr(this.#announce) : undefined,
      members: this.#membership.size,
      isMember: (peerId) => {
        const member = this.#membership.byPeerId(peerId.toString());
        return member !== undefined && member !== this.#self;
      },
      refused: (peerId, direction) => {
        this.#stats.refusedConnections++;
        this.#log.warning('Refused a connection from a key that is not a member', { peerId: peerId.toString(), direction });
      },
    });
    for (const channel of WIRE_CHANNELS) {
      await node.handle(this.#protocol(channel), (stream, connection) => this.#onInboundStream(channel, stream, connection), {
        maxInboundStreams: STREAMS_PER_PROTOCOL_MAX,
        maxOutboundStreams: STREAMS_PER_PROTOCOL_MAX,
      });
    }
    node.addEventListener('peer:connect', (event) => this.#onPeerConnect(event.detail));
    node.addEventListener('peer:disconnect', (event) => this.#onPeerDisconnect(event.detail));
    node.addEventListener('peer:identify', (event) => this.#onIdentify(event.detail));
    try {
      await node.start();
    } catch (error) {
      await Promise.resolve(node.stop()).catch(() => {});
      const text = String((error as Error).message ?? error);
      const cause = /EADDRINUSE/.test(text) ? 'the address is in use' : /EADDRNOTAVAIL/.test(text) ? 'no interface has that address' : /EACCES/.test(text) ? 'permission denied' : text;
      throw new Error(`Cannot listen on ${formatHostPort(this.#listen)} (peer.listenAddress): ${cause}`, { cause: error });
    }
    this.#node = node;
    this.#running = true;
    this.#log.info('Transport listening', { peerId: this.#self.peerId, addresses: this.listenAddresses(), members: this.#membership.size });
    if (this.#membership.size === 1 && this.#rootNodes.length > 0) {
      this.#log.warning('peer.discovery.rootnode is set but the member list names no other peer: every connection will be refused');
    }
    for (const member of this.#membership.all()) {
      if (member !== this.#self && this.#dialAddresses(member).length > 0) this.#scheduleDial(member.id, 0);
    }
    this.#rootNodes.forEach((root) => this.#scheduleRootDial(root, 0));
    this.#discoveryTimer = setInterval(() => this.#discover(), this.#discoveryPeriodMs);
  }

  async stop(): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => {});
    if (!this.#running) return;
    this.#running = false;
    clearInterval(this.#discoveryTimer);
    this.#discoveryTimer = undefined;
    for (const state of [...this.#dialStates.values(), ...this.#rootNodes]) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    this.#dialStates.clear();
    for (const root of this.#rootNodes) {
      // Who listens there is found out again after a restart.
      Object.assign(root, { backoffMs: 0, dialing: false, member: undefined, warned: false });
    }
    this.#outbox.clear();
    this.#admitted.clear();
    for (const timer of this.#admissionTimers) clearTimeout(timer);
    this.#admissionTimers.clear();
    for (const link of [...this.#outLinks.values(), ...this.#inLinks]) link.close('stopped');
    for (const [id, pending] of this.#pending) this.#settle(id, pending, new PeerUnreachableError('the transport stopped'));
    const node = this.#node;
    this.#node = undefined;
    await node?.stop();
    this.#log.info('Transport stopped');
  }

  connected(): PeerInfo[] {
    return this.#connectedMembers().map(([member, connection]) => ({
      id: member.id,
      address: this.#addressOf(member, connection),
      validator: member.validator,
      pkiID: member.peerId,
    }));
  }

  /** Members with an open connection, in member-list order, with one of their connections. */
  #connectedMembers(): [Member, Connection][] {
    const node = this.#node;
    if (!node) return [];
    const connections = new Map<string, Connection>();
    for (const connection of node.getConnections()) {
      if (connection.status === 'open' && !connections.has(connection.remotePeer.toString())) connections.set(connection.remotePeer.toString(), connection);
    }
    const members: [Member, Connection][] = [];
    for (const member of this.#membership.all()) {
      const connection = connections.get(member.peerId);
      if (member !== this.#self && connection && this.#isAdmitted(member.id)) members.push([member, connection]);
    }
    return members;
  }

  send(to: string, channel: Channel, payload: Uint8Array): void {
    const member = this.#sendable(to, channel, payload);
    if (member === undefined || member === true) return;
    const link = this.#outLink(member, channel);
    if (!link) {
      this.#drop('unreachable', 'not connected', { to, channel });
      return;
    }
    this.#post(link, payload);
  }

  broadcast(channel: Channel, payload: Uint8Array): void {
    if (!this.#sendable(undefined, channel, payload)) return;
    for (const [member] of this.#connectedMembers()) {
      if (!member.validator) continue;
      const link = this.#outLink(member, channel);
      if (link) this.#post(link, payload);
    }
  }

  onMessage(channel: Channel, handler: (from: string, payload: Uint8Array) => void): void {
    this.#messageHandlers.set(channel, handler);
  }

  onRequest(channel: Channel, handler: (from: string, payload: Uint8Array) => Promise<Uint8Array>): void {
    this.#requestHandlers.set(channel, handler);
  }

  request(to: string, channel: Channel, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return this.#request(to, channel, payload, timeoutMs);
  }

  // ---- sending -----------------------------------------------------------------------------

  #protocol(channel: WireChannel): string {
    return `/weft/${this.#networkId}/${channel}/${WIRE_PROTOCOL_VERSION}`;
  }

  #payloadMax(channel: WireChannel): number {
    if (channel === 'discovery') return DISCOVERY_PAYLOAD_BYTES_MAX;
    if (channel === 'identity') return IDENTITY_PAYLOAD_BYTES_MAX;
    return this.#limits.payloadBytesMax[channel];
  }

  /** Checks a send; counts and logs a drop and returns undefined when it cannot go. */
  #sendable(to: string | undefined, channel: Channel, payload: Uint8Array): Member | true | undefined {
    if (!this.#running) return this.#drop('notRunning', 'transport not running', { to, channel });
    if (!CHANNELS.includes(channel)) return this.#drop('malformed', 'unknown channel', { to, channel });
    if (!(payload instanceof Uint8Array)) return this.#drop('malformed', 'payload is not bytes', { to, channel });
    if (payload.byteLength > this.#limits.payloadBytesMax[channel]) {
      return this.#drop('oversizedOutbound', 'payload over the channel bound', { to, channel, bytes: payload.byteLength });
    }
    if (to === undefined) return true;
    const member = this.#membership.get(to);
    if (!member) return this.#drop('unknownPeer', 'not a member', { to, channel });
    if (member === this.#self) return this.#drop('unknownPeer', 'cannot send to itself', { to, channel });
    return member;
  }

  #drop(counter: keyof TransportStats['dropped'], why: string, fields: Record<string, unknown>, messages = 1): undefined {
    this.#stats.dropped[counter] += messages;
    this.#log.debug(`Dropped a message: ${why}`, fields);
    return undefined;
  }

  /** Puts a plain message in the link's outbox; the first of a turn schedules the flush. */
  #post(link: StreamLink, payload: Uint8Array): void {
    let queued = this.#outbox.get(link);
    if (!queued) {
      queued = [];
      this.#outbox.set(link, queued);
    }
    if (queued.length >= this.#limits.queueFramesMax) {
      this.#drop('queueFull', 'outbound queue full', { to: link.peer, channel: link.channel });
      return;
    }
    queued.push(payload);
    this.#stats.messagesSent++;
    if (!this.#outboxScheduled) {
      this.#outboxScheduled = true;
      setImmediate(() => this.#flushOutbox());
    }
  }

  /**
   * Frames and queues everything in the outbox. Links given the same messages (a broadcast) get
   * the same frames, encoded once.
   */
  #flushOutbox(): void {
    this.#outboxScheduled = false;
    const encoded: { messages: Uint8Array[]; frames: OutboundFrame[] }[] = [];
    for (const [link, messages] of this.#outbox) {
      this.#outbox.delete(link);
      if (link.closed || !this.#running) {
        this.#drop('unreachable', 'link closed', { to: link.peer, channel: link.channel }, messages.length);
        continue;
      }
      let frames = encoded.find((entry) => sameMessages(entry.messages, messages))?.frames;
      if (!frames) {
        frames = this.#bundleFrames(link.channel as WireChannel, messages);
        encoded.push({ messages, frames });
      }
      for (const frame of frames) this.#enqueueFrame(link, frame.bytes, frame.messages);
    }
  }

  /** The frames carrying `messages` in order: bundles up to the channel's payload bound. */
  #bundleFrames(channel: WireChannel, messages: Uint8Array[]): OutboundFrame[] {
    const max = this.#payloadMax(channel);
    const frames: OutboundFrame[] = [];
    let start = 0;
    while (start < messages.length) {
      let end = start;
      let bytes = 0;
      while (end < messages.length && bytes + BUNDLE_ENTRY_PREFIX_BYTES + (messages[end] as Uint8Array).byteLength <= max) {
        bytes += BUNDLE_ENTRY_PREFIX_BYTES + (messages[end] as Uint8Array).byteLength;
        end++;
      }
      if (end - start <= 1) {
        // One message (or one too big to share a frame) travels as a plain frame.
        frames.push({ bytes: encodeFrame({ kind: FrameKind.message, requestId: 0, from: this.selfId }, messages[start] as Uint8Array), messages: 1 });
        start++;
        continue;
      }
      const bundle = encodeBundle(messages.slice(start, end));
      frames.push({ bytes: encodeFrame({ kind: FrameKind.bundle, requestId: 0, from: this.selfId }, bundle), messages: end - start });
      start = end;
    }
    return frames;
  }

  /** Queues a frame on a link; messages posted to it before go first (each link stays in order). */
  #enqueue(link: StreamLink, frame: Uint8Array): boolean {
    const earlier = this.#outbox.get(link);
    if (earlier) {
      this.#outbox.delete(link);
      for (const bundle of this.#bundleFrames(link.channel as WireChannel, earlier)) this.#enqueueFrame(link, bundle.bytes, bundle.messages);
    }
    return this.#enqueueFrame(link, frame, 1);
  }

  /** Queues one frame holding `messages` messages; a refusal counts them all as dropped. */
  #enqueueFrame(link: StreamLink, frame: Uint8Array, messages: number): boolean {
    if (link.enqueue(frame)) {
      this.#stats.framesSent++;
      return true;
    }
    this.#drop(link.closed ? 'unreachable' : 'queueFull', link.closed ? 'link closed' : 'outbound queue full', { to: link.peer, channel: link.channel }, messages);
    return false;
  }

  /** The outbound link to a member on a channel, opening its stream when needed; undefined when not connected. */
  #outLink(member: Member, channel: WireChannel): StreamLink | undefined {
    const key = `${member.id}\0${channel}`;
    if (!isPrivateChannel(channel) && !this.#isAdmitted(member.id)) return undefined;
    const existing = this.#outLinks.get(key);
    if (existing && !existing.closed) return existing;
    const node = this.#node;
    const connection = node?.getConnections(member.libp2pPeerId).find((c) => c.status === 'open');
    if (!connection) return undefined;
    const link = this.#newLink(member, channel, 'outbound');
    this.#outLinks.set(key, link);
    connection.newStream(this.#protocol(channel), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }).then(
      (stream) => link.attach(stream),
      (error: unknown) => {
        this.#log.debug('Could not open a stream', { to: member.id, channel, error: String(error) });
        link.fail();
      },
    );
    return link;
  }

  #newLink(member: Member, channel: WireChannel, direction: 'inbound' | 'outbound'): StreamLink {
    return new StreamLink({
      peer: member.id,
      channel,
      direction,
      maxFrameBytes: this.#payloadMax(channel) + FRAME_OVERHEAD_BYTES_MAX,
      queueBytesMax: isPrivateChannel(channel) ? Math.max(DISCOVERY_PAYLOAD_BYTES_MAX, IDENTITY_PAYLOAD_BYTES_MAX) * 4 : this.#limits.queueBytesMax[channel as Channel],
      queueFramesMax: this.#limits.queueFramesMax,
      events: {
        frame: (link, frame) => this.#onFrame(link, frame),
        oversized: (link, bytes) => this.#drop('oversizedInbound', 'frame over the channel bound', { from: link.peer, channel: link.channel, bytes }),
        closed: (link, reason, unsent) => this.#onLinkClosed(link, reason, unsent),
      },
    });
  }

  #onLinkClosed(link: StreamLink, reason: LinkCloseReason, unsent: number): void {
    if (link.direction === 'outbound') {
      const key = `${link.peer}\0${link.channel}`;
      if (this.#outLinks.get(key) === link) this.#outLinks.delete(key);
    } else {
      this.#inLinks.delete(link);
    }
    this.#answering.delete(link);
    if (unsent > 0 && reason !== 'stopped') {
      this.#stats.dropped.linkClosed += unsent;
      this.#log.debug('Dropped queued messages: link closed', { to: link.peer, channel: link.channel, unsent, reason });
    }
    for (const [id, pending] of this.#pending) {
      if (pending.link === link) this.#settle(id, pending, new PeerUnreachableError(`the connection to ${link.peer} closed before it answered`));
    }
  }

  // ---- requests ----------------------------------------------------------------------------

  #request(to: string, channel: WireChannel, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (!this.#running) return Promise.reject(new RequestRejectedError('the transport is not running'));
    if (!WIRE_CHANNELS.includes(channel)) return Promise.reject(new RequestRejectedError(`unknown channel "${String(channel)}"`));
    if (!(payload instanceof Uint8Array)) return Promise.reject(new RequestRejectedError('the payload must be a Uint8Array'));
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return Promise.reject(new RequestRejectedError(`the timeout must be a positive number of milliseconds, got ${timeoutMs}`));
    const member = this.#membership.get(to);
    if (!member) return Promise.reject(new PeerUnreachableError(`"${to}" is not a member of the network`));
    if (member === this.#self) return Promise.reject(new RequestRejectedError('a peer cannot send a request to itself'));
    if (payload.byteLength > this.#payloadMax(channel)) {
      return Promise.reject(new RequestRejectedError(`the request is ${payload.byteLength} bytes; ${channel} requests are bounded to ${this.#payloadMax(channel)}`));
    }
    const outstanding = this.#pendingPerPeer.get(to) ?? 0;
    if (outstanding >= this.#limits.outstandingRequestsPerPeerMax) {
      return Promise.reject(new RequestRejectedError(`${outstanding} requests to ${to} are already outstanding`));
    }
    const link = this.#outLink(member, channel);
    if (!link) return Promise.reject(new PeerUnreachableError(`not connected to ${to}`));
    const requestId = this.#takeRequestId();
    const frame = encodeFrame({ kind: FrameKind.request, requestId, from: this.selfId }, payload);
    if (!this.#enqueue(link, frame)) {
      return Promise.reject(link.closed ? new PeerUnreachableError(`not connected to ${to}`) : new RequestRejectedError(`the outbound queue to ${to} is full`));
    }
    this.#stats.requestsSent++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timeout = Math.min(timeoutMs, REQUEST_TIMEOUT_MS_MAX);
      const timer = setTimeout(() => {
        const pending = this.#pending.get(requestId);
        if (pending) this.#settle(requestId, pending, new RequestTimeoutError(`${to} did not answer a ${channel} request within ${timeout} ms`));
      }, timeout);
      this.#pending.set(requestId, { to, link, timer, resolve, reject });
      this.#pendingPerPeer.set(to, outstanding + 1);
    });
  }

  #takeRequestId(): number {
    // u32, never 0 (0 marks a plain message); skip ids still waiting for an answer.
    do {
      const id = this.#nextRequestId;
      this.#nextRequestId = id >= 0xffff_ffff ? 1 : id + 1;
      if (!this.#pending.has(id)) return id;
    } while (true);
  }

  #settle(id: number, pending: PendingRequest, outcome: Uint8Array | Error): void {
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    const left = (this.#pendingPerPeer.get(pending.to) ?? 1) - 1;
    if (left > 0) this.#pendingPerPeer.set(pending.to, left);
    else this.#pendingPerPeer.delete(pending.to);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  #answer(link: StreamLink, from: string, requestId: number, payload: Uint8Array): void {
    const channel = link.channel as WireChannel;
    const busy = this.#answering.get(link) ?? 0;
    if (busy >= this.#limits.concurrentInboundRequestsMax) {
      this.#stats.requestsRefused++;
      this.#respondError(link, requestId, `busy: ${busy} of your ${channel} requests are already being answered`);
      return;
    }
    const handler =
      channel === 'discovery'
        ? (_from: string) => this.#discoveryAnswer(_from)
        : channel === 'identity'
          ? async (_from: string) => this.#options.admission?.credential ?? new Uint8Array(0)
          : this.#requestHandlers.get(channel);
    if (!handler) {
      this.#stats.requestsRefused++;
      this.#respondError(link, requestId, `no handler for ${channel} requests`);
      return;
    }
    this.#answering.set(link, busy + 1);
    let answer: Promise<Uint8Array>;
    try {
      answer = Promise.resolve(handler(from, payload));
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer
      .then(
        (response) => {
          if (!(response instanceof Uint8Array)) throw new Error('the request handler returned something other than bytes');
          if (response.byteLength > this.#payloadMax(channel)) throw new Error(`the response is ${response.byteLength} bytes; ${channel} responses are bounded to ${this.#payloadMax(channel)}`);
          if (link.closed || !this.#running) return;
          this.#stats.requestsAnswered++;
          this.#enqueue(link, encodeFrame({ kind: FrameKind.response, requestId, from: this.selfId }, response));
        },
        (error: unknown) => {
          throw error;
        },
      )
      .catch((error: unknown) => {
        this.#stats.requestsFailed++;
        this.#respondError(link, requestId, error instanceof Error ? error.message : String(error));
      })
      .finally(() => {
        const left = (this.#answering.get(link) ?? 1) - 1;
        if (left > 0) this.#answering.set(link, left);
        else this.#answering.delete(link);
      });
  }

  #deliver(link: StreamLink, from: string, messages: Uint8Array[]): void {
    const handler = isPrivateChannel(link.channel) ? undefined : this.#messageHandlers.get(link.channel as Channel);
    if (!handler) {
      this.#drop('noHandler', 'no handler for the channel', { from: link.peer, channel: link.channel }, messages.length);
      return;
    }
    for (const message of messages) {
      this.#stats.messagesReceived++;
      try {
        handler(from, message);
      } catch (error) {
        this.#stats.handlerErrors++;
        this.#log.warning('A message handler threw', { from: link.peer, channel: link.channel, error: String(error) });
      }
      // A handler may stop the transport (a peer shutting down): the rest of the bundle is moot.
      if (link.closed || !this.#running) return;
    }
  }

  #respondError(link: StreamLink, requestId: number, text: string): void {
    if (link.closed || !this.#running) return;
    const bytes = remoteErrorBytes(text);
    this.#enqueue(link, encodeFrame({ kind: FrameKind.error, requestId, from: this.selfId }, bytes));
  }

  // ---- receiving ---------------------------------------------------------------------------

  #onInboundStream(channel: WireChannel, stream: Stream, connection: Connection): void {
    const member = this.#membership.byPeerId(connection.remotePeer.toString());
    if (!this.#running || !member || member === this.#self) {
      // The gater already refused non-members; this is the belt to its braces.
      stream.abort(new Error('not a member'));
      return;
    }
    const link = this.#newLink(member, channel, 'inbound');
    this.#inLinks.add(link);
    link.attach(stream);
  }

  #onFrame(link: StreamLink, bytes: Uint8Array): void {
    const decoded = decodeFrame(bytes);
    if (decoded === 'malformed') {
      this.#drop('malformed', 'malformed frame', { from: link.peer, channel: link.channel });
      return;
    }
    // The Noise handshake proved who the remote is and the session keeps anyone else off this
    // stream: that is the frame's authentication. A frame claiming another sender is forged.
    if (decoded.from !== link.peer) {
      this.#drop('wrongSender', 'frame claims another sender', { from: link.peer, claimed: decoded.from.slice(0, 64), channel: link.channel });
      return;
    }
    if (!isPrivateChannel(link.channel) && !this.#isAdmitted(link.peer)) {
      this.#drop('notAdmitted', 'sender not admitted', { from: link.peer, channel: link.channel });
      return;
    }
    this.#stats.framesReceived++;
    switch (decoded.kind) {
      case FrameKind.message:
        this.#deliver(link, decoded.from, [decoded.payload]);
        return;
      case FrameKind.bundle: {
        const messages = decodeBundle(decoded.payload, this.#payloadMax(link.channel as WireChannel));
        if (messages === 'malformed') {
          this.#drop('malformed', 'malformed bundle', { from: link.peer, channel: link.channel });
          return;
        }
        this.#deliver(link, decoded.from, messages);
        return;
      }
      case FrameKind.request:
        this.#answer(link, decoded.from, decoded.requestId, decoded.payload);
        return;
      default: {
        const pending = this.#pending.get(decoded.requestId);
        if (!pending || pending.link !== link) {
          this.#drop('unexpectedResponse', 'answer to no outstanding request', { from: link.peer, channel: link.channel, requestId: decoded.requestId });
          return;
        }
        const outcome = decoded.kind === FrameKind.response ? decoded.payload : new RemoteError(decoded.from, Buffer.from(decoded.payload).toString('utf8'));
        this.#settle(decoded.requestId, pending, outcome);
      }
    }
  }

  // ---- membership, dialling, discovery ------------------------------------------------------

  #memberOf(peerId: PeerId): Member | undefined {
    const member = this.#membership.byPeerId(peerId.toString());
    return member === this.#self ? undefined : member;
  }

  #isConnected(member: Member): boolean {
    return this.#node?.getConnections(member.libp2pPeerId).some((c) => c.status === 'open') ?? false;
  }

  #onPeerConnect(peerId: PeerId): void {
    const member = this.#memberOf(peerId);
    if (!member || !this.#running) return;
    const state = this.#dialStates.get(member.id);
    if (state) {
      clearTimeout(state.timer);
      this.#dialStates.delete(member.id);
    }
    this.#log.info('Connected to member', { id: member.id });
    this.#askWhereOthersAre(member);
    if (this.#options.admission) this.#checkAdmission(member);
  }

  #isAdmitted(id: string): boolean {
    return this.#options.admission === undefined || this.#admitted.has(id);
  }

  /** Asks a newly connected member for its credential; admits it, or hangs up with the reason. */
  #checkAdmission(member: Member): void {
    const admission = this.#options.admission;
    if (!admission || !this.#running || this.#admitted.has(member.id)) return;
    this.#request(member.id, 'identity', new Uint8Array(0), DIAL_TIMEOUT_MS).then(
      (credential) => {
        if (!this.#running || !this.#isConnected(member)) return;
        const verdict = admission.check({ id: member.id, peerId: member.peerId, validator: member.validator }, credential);
        if (verdict.ok) {
          this.#admitted.add(member.id);
          this.#log.info('Member admitted', { id: member.id });
          return;
        }
        this.#stats.refusedAdmissions++;
        this.#log.warning('Refused a member: its credential does not pass', { id: member.id, reason: verdict.reason });
        void Promise.resolve(this.#node?.hangUp(member.libp2pPeerId)).catch(() => {});
      },
      (error: unknown) => {
        this.#log.debug('Credential request failed; asking again', { id: member.id, error: String(error) });
        const timer = setTimeout(() => {
          this.#admissionTimers.delete(timer);
          if (this.#isConnected(member)) this.#checkAdmission(member);
        }, ADMISSION_RETRY_MS);
        this.#admissionTimers.add(timer);
      },
    );
  }

  #onPeerDisconnect(peerId: PeerId): void {
    const member = this.#memberOf(peerId);
    if (!member || !this.#running) return;
    this.#log.info('Disconnected from member', { id: member.id });
    this.#admitted.delete(member.id);
    for (const link of [...this.#outLinks.values(), ...this.#inLinks]) if (link.peer === member.id) link.close('closed');
    this.#scheduleDial(member.id);
  }

  #onIdentify(result: IdentifyResult): void {
    const member = this.#memberOf(result.peerId);
    if (!member) return;
    this.#learn(member.id, result.listenAddrs.slice(0, ADDRESSES_PER_MEMBER_MAX).map((address) => fromMultiaddr(address)));
  }

  /** Remembers addresses of a member, newest first, bounded; ignores "every interface" ones. */
  #learn(id: string, addresses: (HostPort | undefined)[]): boolean {
    const known = this.#learned.get(id) ?? [];
    let changed = false;
    for (const address of addresses.reverse()) {
      if (!address || isUnspecifiedHost(address.host)) continue;
      const text = formatHostPort(address);
      const at = known.findIndex((other) => formatHostPort(other) === text);
      if (at === 0) continue;
      if (at > 0) known.splice(at, 1);
      else changed = true;
      known.unshift(address);
    }
    known.length = Math.min(known.length, ADDRESSES_PER_MEMBER_MAX);
    this.#learned.set(id, known);
    return changed;
  }

  #dialAddresses(member: Member): HostPort[] {
    const addresses = [...(this.#learned.get(member.id) ?? [])];
    if (member.address && !isUnspecifiedHost(member.address.host)) addresses.unshift(member.address);
    return addresses;
  }

  /** The address to show for a connected member: configured, else the learned one on the host we see it from. */
  #addressOf(member: Member, connection: Connection): string {
    if (member.address && !isUnspecifiedHost(member.address.host)) return formatHostPort(member.address);
    const remote = fromMultiaddr(connection.remoteAddr);
    const learned = this.#learned.get(member.id) ?? [];
    const best = learned.find((address) => address.host === remote?.host) ?? learned.find((address) => !isLoopbackHost(address.host)) ?? learned[0] ?? remote;
    return best ? formatHostPort(best) : connection.remoteAddr.toString();
  }

  #nextBackoff(state: DialState): number {
    const base = state.backoffMs === 0 ? this.#reconnectInitialMs : Math.min(this.#reconnectMaxMs, state.backoffMs * RECONNECT_FACTOR);
    state.backoffMs = base;
    return Math.round(base * (1 - RECONNECT_JITTER + Math.random() * 2 * RECONNECT_JITTER));
  }

  /** Dials a member after `delayMs` (default: its next backoff), unless a dial is already due. */
  #scheduleDial(id: string, delayMs?: number): void {
    if (!this.#running) return;
    let state = this.#dialStates.get(id);
    if (!state) {
      state = { timer: undefined, backoffMs: 0, dialing: false };
      this.#dialStates.set(id, state);
    }
    if (state.dialing) return;
    if (state.timer) {
      if (delayMs !== 0) return;
      clearTimeout(state.timer);
    }
    const current = state;
    current.timer = setTimeout(() => {
      current.timer = undefined;
      void this.#dialMember(id, current);
    }, delayMs ?? this.#nextBackoff(current));
  }

  async #dialMember(id: string, state: DialState): Promise<void> {
    const member = this.#membership.get(id);
    const node = this.#node;
    if (!member || !node || !this.#running || this.#isConnected(member)) return;
    const addresses = this.#dialAddresses(member);
    if (addresses.length === 0) {
      // Nowhere to dial: wait until it dials in or discovery finds it (the periodic tick retries).
      this.#dialStates.delete(id);
      return;
    }
    state.dialing = true;
    this.#stats.dials++;
    try {
      await node.dial(
        addresses.map((address) => toMultiaddr(address).encapsulate(`/p2p/${member.peerId}`)),
        { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) },
      );
    } catch (error) {
      this.#stats.dialFailures++;
      this.#log.debug('Dial failed', { id, addresses: addresses.map(formatHostPort), error: String(error) });
    } finally {
      state.dialing = false;
    }
    if (this.#running && this.#dialStates.get(id) === state && !this.#isConnected(member)) this.#scheduleDial(id);
  }

  #scheduleRootDial(root: RootNode, delayMs?: number): void {
    if (!this.#running || root.timer || root.dialing) return;
    root.timer = setTimeout(() => {
      root.timer = undefined;
      void this.#dialRoot(root);
    }, delayMs ?? this.#nextBackoff(root));
  }

  /** Dials a rootnode address without knowing whose it is; the Noise handshake (and the gater) tell. */
  async #dialRoot(root: RootNode): Promise<void> {
    const node = this.#node;
    if (!node || !this.#running || root.member !== undefined) return;
    if (this.#isOwnAddress(root.address)) {
      root.member = this.selfId;
      return;
    }
    root.dialing = true;
    this.#stats.dials++;
    try {
      const connection = await node.dial(toMultiaddr(root.address), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
      const member = this.#memberOf(connection.remotePeer);
      if (member) {
        root.member = member.id;
        this.#learn(member.id, [root.address]);
        this.#log.info('Root node identified', { address: formatHostPort(root.address), id: member.id });
      }
    } catch (error) {
      if ((error as Error).name === 'InvalidPeerIdError' && /dial self/i.test((error as Error).message)) {
        // The same rootnode list on every peer names this one too (under a name it cannot tell is its own).
        root.member = this.selfId;
        root.dialing = false;
        this.#log.debug('Root node is this peer', { address: formatHostPort(root.address) });
        return;
      }
      this.#stats.dialFailures++;
      const fields = { address: formatHostPort(root.address), error: String(error) };
      if (root.warned) this.#log.debug('Root node dial failed', fields);
      else this.#log.warning('Cannot reach a root node yet; retrying with backoff', fields);
      root.warned = true;
    } finally {
      root.dialing = false;
    }
    if (this.#running && root.member === undefined) this.#scheduleRootDial(root);
  }

  #isOwnAddress(address: HostPort): boolean {
    const text = formatHostPort(address);
    if (this.#announce && formatHostPort(this.#announce) === text) return true;
    return this.listenAddresses().includes(text);
  }

  /** Periodic: asks connected members where the missing ones listen, and redials the missing. */
  #discover(): void {
    if (!this.#running) return;
    const missing = this.#membership.all().filter((member) => member !== this.#self && !this.#isConnected(member));
    if (missing.length === 0) return;
    for (const member of missing) if (this.#dialAddresses(member).length > 0) this.#scheduleDial(member.id);
    for (const member of this.#membership.all()) {
      if (member !== this.#self && this.#isConnected(member)) this.#askWhereOthersAre(member);
    }
  }

  #askWhereOthersAre(member: Member): void {
    this.#request(member.id, 'discovery', new Uint8Array(0), DIAL_TIMEOUT_MS).then(
      (answer) => this.#takeDiscoveryAnswer(member, answer),
      (error: unknown) => this.#log.debug('Discovery request failed', { to: member.id, error: String(error) }),
    );
  }

  async #discoveryAnswer(from: string): Promise<Uint8Array> {
    const peers: DiscoveryAnswer['peers'] = [];
    for (const member of this.#membership.all()) {
      if (member === this.#self || member.id === from || !this.#isConnected(member)) continue;
      const addresses = this.#dialAddresses(member).slice(0, ADDRESSES_PER_MEMBER_MAX).map(formatHostPort);
      if (addresses.length > 0) peers.push({ id: member.id, addresses });
    }
    return new TextEncoder().encode(JSON.stringify({ peers } satisfies DiscoveryAnswer));
  }

  /** Hostile input from a member: only known members, bounded, valid addresses; dial whoever is new. */
  #takeDiscoveryAnswer(from: Member, bytes: Uint8Array): void {
    let answer: unknown;
    try {
      answer = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      this.#drop('malformed', 'discovery answer is not JSON', { from: from.id });
      return;
    }
    const peers = (answer as Partial<DiscoveryAnswer> | null)?.peers;
    if (!Array.isArray(peers) || peers.length > MEMBERS_MAX) {
      this.#drop('malformed', 'discovery answer has no peer list', { from: from.id });
      return;
    }
    for (const entry of peers as unknown[]) {
      const { id, addresses } = (entry ?? {}) as { id?: unknown; addresses?: unknown };
      if (typeof id !== 'string' || !Array.isArray(addresses)) continue;
      const member = this.#membership.get(id);
      if (!member || member === this.#self) continue;
      const parsed = addresses.slice(0, ADDRESSES_PER_MEMBER_MAX).map((text: unknown) => {
        if (typeof text !== 'string' || text.length > 300) return undefined;
        try {
          return parseHostPort(text, 'address');
        } catch {
          return undefined;
        }
      });
      const learnedNew = this.#learn(member.id, parsed);
      if (!this.#isConnected(member) && (learnedNew || !this.#dialStates.has(member.id))) this.#scheduleDial(member.id, 0);
    }
  }
}

function positive(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be a positive number of milliseconds, got ${value}`);
  return value;
}

/** Whether two outbox entries hold the same messages (by identity: a broadcast posts one array to each link). */
function sameMessages(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
