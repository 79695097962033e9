// PeerTransport in one process, for tests of the peer and the PBFT plugin: a MemoryHub connects
// the transports created from it, as if every pair had a connection. Delivery is asynchronous and
// first-in first-out across the whole hub (or manual: nothing moves until flush()), payloads are
// copied at send time, the same per-channel size bounds apply, and links can be cut and restored
// (a cut drops what is in flight on it and fails outstanding requests, as a broken connection
// would). A filter sees every message and may drop it, for byzantine and lossy-network tests.
// As with libp2p (wire v3), messages carry no signature: the sender is known by construction, as a
// Noise connection proves it there; signer() is for the PBFT core's own signatures.
import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { PeerUnreachableError, RemoteError, remoteErrorBytes, RequestRejectedError, RequestTimeoutError } from './errors.ts';
import { CHANNELS, REQUEST_TIMEOUT_MS_MAX, resolveLimits, type TransportLimits } from './limits.ts';
import { isValidatorId } from './members.ts';
import { newStats, type TransportStats } from './transport-stats.ts';
import type { Channel, MessageSigner, PeerInfo, PeerTransport } from './types.ts';

/** One message crossing the hub, as the filter sees it. */
export interface InFlight {
  from: string;
  to: string;
  channel: Channel;
  kind: 'message' | 'request' | 'response' | 'error';
  payload: Uint8Array;
}

export interface MemoryHubOptions {
  limits?: Partial<TransportLimits>;
  /** 'async' (default): delivered on the next turn of the event loop. 'manual': only by flush(). */
  delivery?: 'async' | 'manual';
}

export interface MemoryPeerOptions {
  /** Default: the id is vpN. */
  validator?: boolean;
  /** What connected() reports as its address. Default "memory:<id>". */
  address?: string;
}

interface Envelope extends InFlight {
  /** Delivers it (the filter and the link state have already been checked). */
  deliver(): void;
}

const linkKey = (a: string, b: string): string => (a < b ? `${a}\0${b}` : `${b}\0${a}`);

export class MemoryHub {
  readonly limits: TransportLimits;
  /** Return false to drop a message (every kind: messages, requests, responses). */
  filter: ((message: InFlight) => boolean) | undefined;
  readonly #manual: boolean;
  readonly #peers = new Map<string, MemoryTransport>();
  readonly #cut = new Set<string>();
  readonly #keys = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();
  #queue: Envelope[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #delivered = 0;
  #dropped = 0;

  constructor(options: MemoryHubOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.#manual = options.delivery === 'manual';
  }

  /** A transport for peer `id` on this hub (not started). */
  create(id: string, options: MemoryPeerOptions = {}): MemoryTransport {
    if (this.#peers.has(id)) throw new Error(`The hub already has a peer "${id}"`);
    const transport = new MemoryTransport(this, id, options.validator ?? isValidatorId(id), options.address ?? `memory:${id}`);
    this.#peers.set(id, transport);
    return transport;
  }

  /**
   * An Ed25519 signer for peer `id` that verifies every other hub peer's signatures (keys are
   * made on first use), for code that needs MessageSigner alongside the transport.
   */
  signer(id: string): MessageSigner {
    const keys = (peer: string) => {
      let pair = this.#keys.get(peer);
      if (!pair) {
        pair = generateKeyPairSync('ed25519');
        this.#keys.set(peer, pair);
      }
      return pair;
    };
    return {
      sign: (data) => sign(null, data, keys(id).privateKey),
      verify: (peerId, data, signature) => {
        if (!this.#peers.has(peerId) || signature.byteLength !== 64) return false;
        try {
          return verify(null, data, keys(peerId).publicKey, signature);
        } catch {
          return false;
        }
      },
    };
  }

  /** Breaks the link between a and b (both ways). */
  cut(a: string, b: string): void {
    this.#cut.add(linkKey(a, b));
    this.#peers.get(a)?.linkLost(b);
    this.#peers.get(b)?.linkLost(a);
  }

  restore(a: string, b: string): void {
    this.#cut.delete(linkKey(a, b));
  }

  /** Cuts every link of one peer. */
  isolate(id: string): void {
    for (const other of this.#peers.keys()) if (other !== id) this.cut(id, other);
  }

  /** Restores every link. */
  heal(): void {
    this.#cut.clear();
  }

  /** Whether a and b can talk now (both running, link not cut). */
  linked(a: string, b: string): boolean {
    return a !== b && !this.#cut.has(linkKey(a, b)) && this.#peers.get(a)?.running === true && this.#peers.get(b)?.running === true;
  }

  /** Messages waiting for delivery. */
  pending(): number {
    return this.#queue.length;
  }

  /** Delivers up to `max` waiting messages (manual mode, or to hurry async mode); returns how many moved. */
  flush(max = Number.POSITIVE_INFINITY): number {
    let moved = 0;
    while (moved < max && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, Math.min(this.#queue.length, max - moved));
      for (const envelope of batch) {
        moved++;
        if (!this.linked(envelope.from, envelope.to)) {
          this.#dropped++;
          continue;
        }
        this.#delivered++;
        envelope.deliver();
      }
    }
    return moved;
  }

  /** Totals since the hub was made: delivered, and dropped by a cut link, a stopped peer or the filter. */
  counts(): { delivered: number; dropped: number } {
    return { delivered: this.#delivered, dropped: this.#dropped };
  }

  peer(id: string): MemoryTransport | undefined {
    return this.#peers.get(id);
  }

  peers(): MemoryTransport[] {
    return [...this.#peers.values()];
  }

  /** Queues a message; false when it is dropped at once (link down or filtered). */
  post(envelope: Envelope): boolean {
    if (!this.linked(envelope.from, envelope.to) || (this.filter && !this.filter(envelope))) {
      this.#dropped++;
      return false;
    }
    this.#queue.push(envelope);
    if (!this.#manual && !this.#scheduled) {
      this.#scheduled = setImmediate(() => {
        this.#scheduled = undefined;
        this.flush();
      });
    }
    return true;
  }
}

interface Pending {
  to: string;
  timer: NodeJS.Timeout;
  resolve(payload: Uint8Array): void;
  reject(error: Error): void;
}

export class MemoryTransport implements PeerTransport {
  readonly selfId: string;
  readonly validator: boolean;
  readonly address: string;
  readonly #hub: MemoryHub;
  readonly #stats = newStats();
  readonly #messageHandlers = new Map<Channel, (from: string, payload: Uint8Array) => void>();
  readonly #requestHandlers = new Map<Channel, (from: string, payload: Uint8Array) => Promise<Uint8Array>>();
  readonly #pending = new Map<number, Pending>();
  readonly #answering = new Map<string, number>();
  #nextRequestId = 1;
  #running = false;

  constructor(hub: MemoryHub, id: string, validator: boolean, address: string) {
    this.#hub = hub;
    this.selfId = id;
    this.validator = validator;
    this.address = address;
  }

  get running(): boolean {
    return this.#running;
  }

  stats(): TransportStats {
    return structuredClone(this.#stats);
  }

  async start(): Promise<void> {
    this.#running = true;
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const [id, pending] of this.#pending) this.#settle(id, pending, new PeerUnreachableError('the transport stopped'));
    for (const peer of this.#hub.peers()) if (peer !== this) peer.linkLost(this.selfId);
  }

  connected(): PeerInfo[] {
    return this.#hub
      .peers()
      .filter((peer) => this.#hub.linked(this.selfId, peer.selfId))
      .map((peer) => ({ id: peer.selfId, address: peer.address, validator: peer.validator, pkiID: `memory:${peer.selfId}` }));
  }

  send(to: string, channel: Channel, payload: Uint8Array): void {
    if (!this.#checkSend(to, channel, payload)) return;
    const bytes = copy(payload);
    this.#post(to, channel, 'message', bytes, (target) => target.#onMessage(this.selfId, channel, bytes));
  }

  broadcast(channel: Channel, payload: Uint8Array): void {
    if (!this.#checkSend(undefined, channel, payload)) return;
    const bytes = copy(payload);
    for (const peer of this.connected()) {
      if (!peer.validator) continue;
      this.#post(peer.id, channel, 'message', bytes, (target) => target.#onMessage(this.selfId, channel, bytes));
    }
  }

  onMessage(channel: Channel, handler: (from: string, payload: Uint8Array) => void): void {
    this.#messageHandlers.set(channel, handler);
  }

  onRequest(channel: Channel, handler: (from: string, payload: Uint8Array) => Promise<Uint8Array>): void {
    this.#requestHandlers.set(channel, handler);
  }

  request(to: string, channel: Channel, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (!this.#running) return Promise.reject(new RequestRejectedError('the transport is not running'));
    if (!CHANNELS.includes(channel)) return Promise.reject(new RequestRejectedError(`unknown channel "${String(channel)}"`));
    if (!(payload instanceof Uint8Array)) return Promise.reject(new RequestRejectedError('the payload must be a Uint8Array'));
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return Promise.reject(new RequestRejectedError(`the timeout must be a positive number of milliseconds, got ${timeoutMs}`));
    if (to === this.selfId) return Promise.reject(new RequestRejectedError('a peer cannot send a request to itself'));
    if (!this.#hub.peer(to)) return Promise.reject(new PeerUnreachableError(`"${to}" is not a member of the network`));
    const bound = this.#hub.limits.payloadBytesMax[channel];
    if (payload.byteLength > bound) return Promise.reject(new RequestRejectedError(`the request is ${payload.byteLength} bytes; ${channel} requests are bounded to ${bound}`));
    if (!this.#hub.linked(this.selfId, to)) return Promise.reject(new PeerUnreachableError(`not connected to ${to}`));
    const outstanding = [...this.#pending.values()].filter((pending) => pending.to === to).length;
    if (outstanding >= this.#hub.limits.outstandingRequestsPerPeerMax) {
      return Promise.reject(new RequestRejectedError(`${outstanding} requests to ${to} are already outstanding`));
    }
    const id = this.#nextRequestId++;
    const bytes = copy(payload);
    this.#stats.requestsSent++;
    const promise = new Promise<Uint8Array>((resolve, reject) => {
      const timeout = Math.min(timeoutMs, REQUEST_TIMEOUT_MS_MAX);
      const timer = setTimeout(() => {
        const pending = this.#pending.get(id);
        if (pending) this.#settle(id, pending, new RequestTimeoutError(`${to} did not answer a ${channel} request within ${timeout} ms`));
      }, timeout);
      this.#pending.set(id, { to, timer, resolve, reject });
    });
    this.#post(to, channel, 'request', bytes, (target) => target.#onRequest(this, channel, id, bytes));
    return promise;
  }

  /** The hub tells a peer that its link to `other` broke: outstanding requests to it fail. */
  linkLost(other: string): void {
    for (const [id, pending] of this.#pending) {
      if (pending.to === other) this.#settle(id, pending, new PeerUnreachableError(`the connection to ${other} closed before it answered`));
    }
  }

  #checkSend(to: string | undefined, channel: Channel, payload: Uint8Array): boolean {
    const dropped = this.#stats.dropped;
    if (!this.#running) dropped.notRunning++;
    else if (!CHANNELS.includes(channel) || !(payload instanceof Uint8Array)) dropped.malformed++;
    else if (payload.byteLength > this.#hub.limits.payloadBytesMax[channel]) dropped.oversizedOutbound++;
    else if (to !== undefined && (to === this.selfId || !this.#hub.peer(to))) dropped.unknownPeer++;
    else if (to !== undefined && !this.#hub.linked(this.selfId, to)) dropped.unreachable++;
    else return true;
    return false;
  }

  #post(to: string, channel: Channel, kind: InFlight['kind'], payload: Uint8Array, deliver: (target: MemoryTransport) => void): void {
    const target = this.#hub.peer(to);
    if (!target) return;
    if (this.#hub.post({ from: this.selfId, to, channel, kind, payload, deliver: () => deliver(target) })) this.#stats.framesSent++;
  }

  #onMessage(from: string, channel: Channel, payload: Uint8Array): void {
    this.#stats.framesReceived++;
    const handler = this.#messageHandlers.get(channel);
    if (!handler) {
      this.#stats.dropped.noHandler++;
      return;
    }
    try {
      handler(from, payload);
    } catch {
      this.#stats.handlerErrors++;
    }
  }

  #onRequest(from: MemoryTransport, channel: Channel, id: number, payload: Uint8Array): void {
    this.#stats.framesReceived++;
    const key = `${from.selfId}\0${channel}`;
    const busy = this.#answering.get(key) ?? 0;
    const handler = this.#requestHandlers.get(channel);
    const reply = (outcome: Uint8Array | string): void => {
      if (!this.#running) return;
      const isError = typeof outcome === 'string';
      const bytes = isError ? remoteErrorBytes(outcome) : copy(outcome);
      this.#post(from.selfId, channel, isError ? 'error' : 'response', bytes, (target) => target.#onAnswer(this.selfId, id, isError, bytes));
    };
    if (busy >= this.#hub.limits.concurrentInboundRequestsMax) {
      this.#stats.requestsRefused++;
      reply(`busy: ${busy} of your ${channel} requests are already being answered`);
      return;
    }
    if (!handler) {
      this.#stats.requestsRefused++;
      reply(`no handler for ${channel} requests`);
      return;
    }
    this.#answering.set(key, busy + 1);
    Promise.resolve()
      .then(() => handler(from.selfId, payload))
      .then((response) => {
        if (!(response instanceof Uint8Array)) throw new Error('the request handler returned something other than bytes');
        const bound = this.#hub.limits.payloadBytesMax[channel];
        if (response.byteLength > bound) throw new Error(`the response is ${response.byteLength} bytes; ${channel} responses are bounded to ${bound}`);
        this.#stats.requestsAnswered++;
        reply(response);
      })
      .catch((error: unknown) => {
        this.#stats.requestsFailed++;
        reply(error instanceof Error ? error.message : String(error));
      })
      .finally(() => {
        const left = (this.#answering.get(key) ?? 1) - 1;
        if (left > 0) this.#answering.set(key, left);
        else this.#answering.delete(key);
      });
  }

  #onAnswer(from: string, id: number, isError: boolean, bytes: Uint8Array): void {
    this.#stats.framesReceived++;
    const pending = this.#pending.get(id);
    if (!pending || pending.to !== from) {
      this.#stats.dropped.unexpectedResponse++;
      return;
    }
    this.#settle(id, pending, isError ? new RemoteError(from, Buffer.from(bytes).toString('utf8')) : bytes);
  }

  #settle(id: number, pending: Pending, outcome: Uint8Array | Error): void {
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }
}

function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
