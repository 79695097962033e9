// The event hub (Fabric v0.6's events/producer, reference §2), over WebSocket instead of gRPC:
// consumers connect to peer.validator.events.address, register interests (BLOCK, CHAINCODE with
// an exact chaincode id and event name or "" for all, REJECTION, and weft's FILTERED_BLOCK) and
// receive the matching events as JSON text frames in Fabric's Event shape. A register/unregister
// is echoed back as the acknowledgement, as Fabric's producer does; an unregister removes exactly
// the interests it names.
//
// A slow consumer must never slow the peer's commits: each consumer has a bounded queue
// (peer.validator.events.buffersize), and peer.validator.events.timeout picks one of Fabric's
// three overflow behaviours — < 0 drop, 0 disconnect, > 0 wait that long then drop — as
// outbound-queue.ts explains.
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { blockJson, chaincodeEventJson, filteredBlockJson, transactionJson, type Json } from '../rest/fabric-json.ts';
import type { PeerEvents, RejectionEvent } from '../peer/events.ts';
import type { CommittedBlock } from '../ledger/types.ts';
import type { ChaincodeEvent } from '../protocol/messages.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { parseInterests, type Interest, EventType } from './interests.ts';
import { OutboundQueue, checkBufferSize, overflowRule, type OverflowRule, type QueueCounters } from './outbound-queue.ts';

/** Consumers connected at once; beyond it new connections are refused. */
export const EVENT_CONSUMERS_MAX = 256;
/** Bytes of one message from a consumer (a register with its interests). */
export const EVENT_CONSUMER_MESSAGE_BYTES_MAX = 65_536;
/** Close code for a consumer that did not drain its queue in time (RFC 6455: try again later). */
const CLOSE_TOO_SLOW = 1013;
const CLOSE_POLICY = 1008;
/** Milliseconds a disconnected consumer gets to answer the close before its socket is destroyed. */
const CLOSE_GRACE_MS = 1_000;

export interface EventHubOptions {
  /** Events queued per consumer before the overflow rule applies (Fabric: 100). */
  bufferSize: number;
  /** Overflow behaviour (Fabric: 10): < 0 drop, 0 disconnect, > 0 wait up to that many ms, then drop. */
  timeoutMs: number;
  log?: Logger;
}

interface Consumer {
  socket: WebSocket;
  blocks: boolean;
  filteredBlocks: boolean;
  rejections: boolean;
  /** chaincode id → event names ("" = all of that chaincode's events). */
  chaincodes: Map<string, Set<string>>;
  queue: OutboundQueue;
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
  readonly #rule: OverflowRule;
  readonly #counters: QueueCounters = { sent: 0, dropped: 0, disconnectedTooSlow: 0 };
  readonly #onBlock = (committed: CommittedBlock): void => this.#publishBlock(committed);
  readonly #onChaincodeEvent = (event: ChaincodeEvent): void => this.#publishChaincodeEvent(event);
  readonly #onRejection = (rejection: RejectionEvent): void => this.#publishRejection(rejection);

  constructor(events: PeerEvents, options: EventHubOptions) {
    this.#rule = overflowRule(options.timeoutMs);
    checkBufferSize(options.bufferSize);
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
    return { ...this.#counters, consumers: this.#consumers.size };
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    if (this.#consumers.size >= EVENT_CONSUMERS_MAX) {
      socket.close(CLOSE_POLICY, `too many event consumers (at most ${EVENT_CONSUMERS_MAX})`);
      return;
    }
    const queue = new OutboundQueue({
      bufferSize: this.#options.bufferSize,
      rule: this.#rule,
      counters: this.#counters,
      send: (frame, written) => socket.send(frame, written),
      disconnect: (reason) => {
        this.#consumers.delete(consumer);
        this.#log.info('Event consumer disconnected', { from: request.socket.remoteAddress, reason });
        socket.close(CLOSE_TOO_SLOW, reason);
        // A consumer that does not read does not answer the close handshake either.
        setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
      },
    });
    const consumer: Consumer = { socket, blocks: false, filteredBlocks: false, rejections: false, chaincodes: new Map(), queue };
    this.#consumers.add(consumer);
    this.#log.debug('Event consumer connected', { from: request.socket.remoteAddress });
    const forget = (): void => {
      this.#consumers.delete(consumer);
      queue.close();
    };
    socket.on('message', (data, isBinary) => this.#onConsumerMessage(consumer, data, isBinary));
    socket.on('close', forget);
    socket.on('error', forget);
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
    else if (interest.eventType === EventType.FILTERED_BLOCK) consumer.filteredBlocks = add;
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
    // Each frame is built once, and only if some consumer asked for it.
    let frame: string | undefined;
    let filtered: string | undefined;
    for (const consumer of this.#consumers) {
      if (consumer.blocks) {
        frame ??= JSON.stringify({ block: { ...blockJson(committed.block), blockNumber: committed.blockNumber } });
        this.#deliver(consumer, frame);
      }
      if (consumer.filteredBlocks) {
        filtered ??= JSON.stringify({ filteredBlock: filteredBlockJson(committed.block, committed.blockNumber) });
        this.#deliver(consumer, filtered);
      }
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
    consumer.queue.offer(frame);
  }
}
