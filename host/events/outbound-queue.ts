// One event consumer's outbound queue, and what happens when it is full: Fabric v0.6's three
// peer.validator.events.timeout behaviours, kept without ever making the peer wait for a client.
// Fabric's producer blocked the committing peer on a full consumer; weft's publishing is a
// bounded, synchronous amount of work whatever the consumers do.
//
//   timeout < 0   drop        (as Fabric) an event that finds the queue full is dropped; the
//                             consumer stays connected and sees a gap.
//   timeout = 0   disconnect  Fabric blocks until there is room, so no event is ever lost. weft
//                             keeps "never lose one silently": the consumer is disconnected at
//                             once (close code 1013), knows it missed events, and can reconnect
//                             and read the blocks it missed from the ledger (REST /chain/blocks).
//   timeout > 0   wait        Fabric blocks up to `timeout` ms, then drops. In weft the event
//                             waits up to `timeout` ms, in a second list as long as the queue,
//                             for the queue to drain; it goes out in order if it does, and is
//                             dropped when its time is up (or when the waiting list is full).
//
// "Queued" counts frames handed to the socket whose write has not completed: a consumer that stops
// reading fills the kernel's buffers first, then this queue.

/** Events per consumer queue at most (peer.validator.events.buffersize is bounded by it). */
export const EVENT_BUFFER_MAX = 100_000;

export type OverflowRule = { kind: 'drop' } | { kind: 'disconnect' } | { kind: 'wait'; ms: number };

/** Throws the config error for a buffer size out of bounds. */
export function checkBufferSize(bufferSize: number): void {
  if (!Number.isInteger(bufferSize) || bufferSize < 1 || bufferSize > EVENT_BUFFER_MAX) {
    throw new Error(`peer.validator.events.buffersize must be an integer from 1 to ${EVENT_BUFFER_MAX}, got ${bufferSize}`);
  }
}

/** The overflow rule of a peer.validator.events.timeout value. */
export function overflowRule(timeoutMs: number): OverflowRule {
  if (!Number.isFinite(timeoutMs)) throw new Error(`peer.validator.events.timeout must be a number of milliseconds, got ${timeoutMs}`);
  if (timeoutMs < 0) return { kind: 'drop' };
  if (timeoutMs === 0) return { kind: 'disconnect' };
  return { kind: 'wait', ms: timeoutMs };
}

/** Counters shared by every queue of one hub. */
export interface QueueCounters {
  sent: number;
  dropped: number;
  disconnectedTooSlow: number;
}

export interface OutboundQueueOptions {
  bufferSize: number;
  rule: OverflowRule;
  /** Writes a frame; `written` is called once the socket has taken it. */
  send(frame: string, written: () => void): void;
  /** Ends the connection of a consumer that overflowed under the disconnect rule. */
  disconnect(reason: string): void;
  counters: QueueCounters;
  /** Milliseconds clock (tests give their own). */
  now?: () => number;
}

interface Waiting {
  frame: string;
  since: number;
}

export class OutboundQueue {
  readonly #o: OutboundQueueOptions;
  readonly #now: () => number;
  #inFlight = 0;
  /** Frames waiting for room (wait rule only), oldest first from #head. */
  #waiting: Waiting[] = [];
  #head = 0;
  #dropped = 0;
  #closed = false;

  constructor(options: OutboundQueueOptions) {
    checkBufferSize(options.bufferSize);
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Frames written to the socket and not yet taken by it. */
  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Events this consumer lost. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues a frame for the consumer, applying the overflow rule when the queue is full. */
  offer(frame: string): 'sent' | 'waiting' | 'dropped' | 'disconnected' {
    if (this.#closed) return 'dropped';
    const rule = this.#o.rule;
    if (rule.kind === 'wait') this.#expire(rule.ms);
    if (this.#inFlight < this.#o.bufferSize && this.waiting === 0) {
      this.#write(frame);
      return 'sent';
    }
    if (rule.kind === 'disconnect') {
      this.#drop(1);
      this.#o.counters.disconnectedTooSlow++;
      this.close();
      this.#o.disconnect(`consumer too slow: its queue of ${this.#o.bufferSize} events was full`);
      return 'disconnected';
    }
    if (rule.kind === 'wait' && this.waiting < this.#o.bufferSize) {
      this.#waiting.push({ frame, since: this.#now() });
      return 'waiting';
    }
    this.#drop(1);
    return 'dropped';
  }

  /** Stops the queue: waiting frames are let go, later offers are ignored. */
  close(): void {
    this.#closed = true;
    this.#waiting = [];
    this.#head = 0;
  }

  #write(frame: string): void {
    this.#inFlight++;
    this.#o.counters.sent++;
    let done = false;
    this.#o.send(frame, () => {
      if (done) return;
      done = true;
      this.#inFlight--;
      this.#pump();
    });
  }

  /** Room again: waiting frames still within their time go out, in order. */
  #pump(): void {
    if (this.#closed || this.waiting === 0) return;
    const rule = this.#o.rule;
    if (rule.kind === 'wait') this.#expire(rule.ms);
    while (this.#inFlight < this.#o.bufferSize && this.waiting > 0) {
      const next = this.#waiting[this.#head]!;
      this.#head++;
      this.#write(next.frame);
    }
    this.#compact();
  }

  /** Drops waiting frames whose time is up; they are oldest first, so they are at the head. */
  #expire(ms: number): void {
    const now = this.#now();
    let expired = 0;
    while (this.waiting > 0 && now - this.#waiting[this.#head]!.since >= ms) {
      this.#head++;
      expired++;
    }
    if (expired > 0) this.#drop(expired);
    this.#compact();
  }

  #compact(): void {
    if (this.#head === 0) return;
    if (this.waiting === 0) {
      this.#waiting = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
  }

  #drop(count: number): void {
    this.#dropped += count;
    this.#o.counters.dropped += count;
  }
}
