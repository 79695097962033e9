// The event hub (Fabric v0.6's events/producer, reference §2), over WebSocket instead of gRPC:
// consumers connect to peer.validator.events.address, register interests (BLOCK, CHAINCODE with
// an exact chaincode id and event name or "" for all, REJECTION) and receive the matching events
// as JSON text frames in Fabric's Event shape. A register/unregister is echoed back as the
// acknowledgement, as Fabric's producer does.
//
// A slow consumer must never slow the peer's commits: each consumer has a bounded queue
// (peer.validator.events.buffersize). When it is full the event is dropped if timeout < 0;
// otherwise the consumer is given `timeout` ms to drain and is disconnected if it has not
// (Fabric blocked its producer instead; a peer must not wait for a client).
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { blockJson, chaincodeEventJson, transactionJson, type Json } from '../rest/fabric-json.ts';
import type { PeerEvents, RejectionEvent } from '../peer/events.ts';
import type { CommittedBlock } from '../ledger/types.ts';
import type { ChaincodeEvent } from '../protocol/messages.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { parseInterests, type Interest, EventType } from './interests.ts';

/** Consumers connected at once; beyond it new connections are refused. */
export const EVENT_CONSUMERS_MAX = 256;
/** Bytes of one message from a consumer (a register with its interests). */
export const EVENT_CONSUMER_MESSAGE_BYTES_MAX = 65_536;
/** Close code for a consumer that did not drain its queue in time (RFC 6455: try again later). */
const CLOSE_TOO_SLOW = 1013;
const CLOSE_POLICY = 1008;

export interface EventHubOptions {
  /** Events queued per consumer before the overflow rule applies (Fabric: 100). */
  bufferSize: number;
  /** Milliseconds a full consumer gets to drain: < 0 drops events instead (Fabric: 10). */
  timeoutMs: number;
  log?: Logger;
}

interface Consumer {
  socket: WebSocket;
  blocks: boolean;
  rejections: boolean;
  /** chaincode id → event names ("" = all of that chaincode's events). */
  chaincodes: Map<string, Set<string>>;
  /** Frames waiting for the socket to drain. */
  queued: number;
  overflowSince: number | undefined;
  dropped: number;
}

export interface EventHubStats {
  consumers: number;
  sent: number;
  dropped: number;
  disconnectedTooSlow: number;
}

export class EventHub {
  readonly #events: PeerEvents;
  readonly #options: EventHubOptions;
  readonly #log: Logger;
  readonly #consumers = new Set<Consumer>();
  #server: WebSocketServer | undefined;
  #stats: EventHubStats = { consumers: 0, sent: 0, dropped: 0, disconnectedTooSlow: 0 };
  readonly #onBlock = (committed: CommittedBlock): void => this.#publishBlock(committed);
  readonly #onChaincodeEvent = (event: ChaincodeEvent): void => this.#publishChaincodeEvent(event);
  readonly #onRejection = (rejection: RejectionEvent): void => this.#publishRejection(rejection);

  constructor(events: PeerEvents, options: EventHubOptions) {
    if (!Number.isInteger(options.bufferSize) || options.bufferSize < 1) throw new Error('peer.validator.events.buffersize must be a positive integer');
    this.#events = events;
    this.#options = options;
    this.#log = options.log ?? silentLogger;
  }

  /** Starts listening; resolves with the bound address as host:port. */
  async listen(host: string, port: number): Promise<string> {
    const server = new WebSocketServer({ host, port, maxPayload: EVENT_CONSUMER_MESSAGE_BYTES_MAX, clientTracking: false });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.on('error', (error) => this.#log.error('Event hub error', { error: error.message }));
    server.on('connection', (socket, request) => this.#accept(socket, request));
    this.#server = server;
    this.#events.on('block', this.#onBlock);
    this.#events.on('chaincodeEvent', this.#onChaincodeEvent);
    this.#events.on('rejection', this.#onRejection);
    const address = server.address();
    if (address === null) throw new Error('event hub is not listening');
    if (typeof address === 'string') return address;
    return `${address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    this.#events.off('block', this.#onBlock);
    this.#events.off('chaincodeEvent', this.#onChaincodeEvent);
    this.#events.off('rejection', this.#onRejection);
    for (const consumer of this.#consumers) consumer.socket.terminate();
    this.#consumers.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  stats(): EventHubStats {
    return { ...this.#stats, consumers: this.#consumers.size };
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    if (this.#consumers.size >= EVENT_CONSUMERS_MAX) {
      socket.close(CLOSE_POLICY, `too many event consumers (at most ${EVENT_CONSUMERS_MAX})`);
      return;
    }
    const consumer: Consumer = { socket, blocks: false, rejections: false, chaincodes: new Map(), queued: 0, overflowSince: undefined, dropped: 0 };
    this.#consumers.add(consumer);
    this.#log.debug('Event consumer connected', { from: request.socket.remoteAddress });
    socket.on('message', (data, isBinary) => this.#onConsumerMessage(consumer, data, isBinary));
    socket.on('close', () => this.#consumers.delete(consumer));
    socket.on('error', () => this.#consumers.delete(consumer));
  }

  #onConsumerMessage(consumer: Consumer, data: unknown, isBinary: boolean): void {
    if (isBinary) return this.#refuse(consumer, 'event hub messages are JSON text frames');
    let message: unknown;
    try {
      message = JSON.parse(String(data));
    } catch (error) {
      return this.#refuse(consumer, `invalid JSON: ${(error as Error).message}`);
    }
    const parsed = parseInterests(message);
    if (!parsed.ok) return this.#refuse(consumer, parsed.error);
    for (const interest of parsed.interests) this.#applyInterest(consumer, interest, parsed.kind === 'register');
    // Fabric's producer echoes the Register/Unregister back as the acknowledgement.
    this.#send(consumer, { [parsed.kind]: { events: parsed.interests as unknown as Json } });
  }

  #applyInterest(consumer: Consumer, interest: Interest, add: boolean): void {
    if (interest.eventType === EventType.BLOCK) consumer.blocks = add;
    else if (interest.eventType === EventType.REJECTION) consumer.rejections = add;
    else if (interest.eventType === EventType.CHAINCODE) {
      const { chaincodeID, eventName } = interest.chaincodeRegInfo ?? { chaincodeID: '', eventName: '' };
      // Fabric skips (and logs) a chaincode interest without a chaincode id, yet still acknowledges.
      if (chaincodeID === '') return this.#log.debug('Chaincode interest without a chaincode id ignored');
      const names = consumer.chaincodes.get(chaincodeID) ?? new Set<string>();
      if (add) names.add(eventName);
      else names.delete(eventName);
      if (names.size > 0) consumer.chaincodes.set(chaincodeID, names);
      else consumer.chaincodes.delete(chaincodeID);
    }
  }

  #refuse(consumer: Consumer, reason: string): void {
    this.#send(consumer, { error: reason });
    consumer.socket.close(CLOSE_POLICY, reason.slice(0, 120));
  }

  #publishBlock(committed: CommittedBlock): void {
    let frame: string | undefined;
    for (const consumer of this.#consumers) {
      if (!consumer.blocks) continue;
      frame ??= JSON.stringify({ block: { ...blockJson(committed.block), blockNumber: committed.blockNumber } });
      this.#deliver(consumer, frame);
    }
  }

  #publishChaincodeEvent(event: ChaincodeEvent): void {
    let frame: string | undefined;
    for (const consumer of this.#consumers) {
      const names = consumer.chaincodes.get(event.chaincodeID);
      if (!names || !(names.has('') || names.has(event.eventName))) continue;
      frame ??= JSON.stringify({ chaincodeEvent: chaincodeEventJson(event) });
      this.#deliver(consumer, frame);
    }
  }

  #publishRejection(rejection: RejectionEvent): void {
    let frame: string | undefined;
    for (const consumer of this.#consumers) {
      if (!consumer.rejections) continue;
      frame ??= JSON.stringify({ rejection: { tx: transactionJson(rejection.transaction), errorMsg: rejection.error } });
      this.#deliver(consumer, frame);
    }
  }

  #send(consumer: Consumer, body: Json): void {
    this.#deliver(consumer, JSON.stringify(body));
  }

  #deliver(consumer: Consumer, frame: string): void {
    if (consumer.queued >= this.#options.bufferSize) {
      this.#overflow(consumer);
      return;
    }
    consumer.overflowSince = undefined;
    consumer.queued++;
    this.#stats.sent++;
    consumer.socket.send(frame, () => {
      consumer.queued--;
    });
  }

  #overflow(consumer: Consumer): void {
    consumer.dropped++;
    this.#stats.dropped++;
    if (this.#options.timeoutMs < 0) return;
    const now = performance.now();
    consumer.overflowSince ??= now;
    if (now - consumer.overflowSince >= this.#options.timeoutMs) {
      this.#stats.disconnectedTooSlow++;
      this.#consumers.delete(consumer);
      consumer.socket.close(CLOSE_TOO_SLOW, `consumer too slow: ${consumer.dropped} events dropped`);
    }
  }
}
