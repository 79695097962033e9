// One libp2p stream to one member on one channel, in either direction: a bounded outbound queue
// feeding the stream as fast as the muxer's flow control allows, and a frame decoder on the
// inbound side. Outbound links exist before their stream does (opening is asynchronous); frames
// wait in the queue meanwhile. A link that closes never reopens: the transport makes a new one.
import type { Stream } from '@libp2p/interface';
import { FrameDecoder } from './frame-decoder.ts';

export type LinkCloseReason = 'closed' | 'open-failed' | 'stopped';

export interface LinkEvents {
  /** A whole frame (without its length prefix) arrived. */
  frame(link: StreamLink, frame: Uint8Array): void;
  /** The remote announced a frame bigger than the bound; it is being skipped. */
  oversized(link: StreamLink, announcedBytes: number): void;
  /** The link closed; `unsent` frames were still queued (now dropped). */
  closed(link: StreamLink, reason: LinkCloseReason, unsent: number): void;
}

export interface LinkOptions {
  /** Member id of the remote peer. */
  peer: string;
  channel: string;
  direction: 'inbound' | 'outbound';
  /** Largest frame accepted from the remote (length prefix excluded). */
  maxFrameBytes: number;
  queueBytesMax: number;
  queueFramesMax: number;
  events: LinkEvents;
}

export class StreamLink {
  readonly peer: string;
  readonly channel: string;
  readonly direction: 'inbound' | 'outbound';
  readonly #events: LinkEvents;
  readonly #decoder: FrameDecoder;
  readonly #queueBytesMax: number;
  readonly #queueFramesMax: number;
  #stream: Stream | undefined;
  #queue: Uint8Array[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  #closed = false;

  constructor(options: LinkOptions) {
    this.peer = options.peer;
    this.channel = options.channel;
    this.direction = options.direction;
    this.#events = options.events;
    this.#queueBytesMax = options.queueBytesMax;
    this.#queueFramesMax = options.queueFramesMax;
    this.#decoder = new FrameDecoder(options.maxFrameBytes, {
      frame: (frame) => {
        if (!this.#closed) this.#events.frame(this, frame);
      },
      oversized: (bytes) => this.#events.oversized(this, bytes),
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Frames and bytes waiting to be handed to the stream. */
  get queued(): { frames: number; bytes: number } {
    return { frames: this.#queue.length - this.#queueHead, bytes: this.#queuedBytes };
  }

  /** Connects the link to its (now open) stream: starts reading and writing. */
  attach(stream: Stream): void {
    if (this.#closed) {
      stream.abort(new Error('link closed before its stream opened'));
      return;
    }
    this.#stream = stream;
    stream.addEventListener('message', (event) => {
      const data = event.data;
      if (data instanceof Uint8Array) this.#decoder.push(data);
      else for (const chunk of data) this.#decoder.push(chunk);
    });
    stream.addEventListener('drain', () => this.#pump());
    stream.addEventListener('close', () => this.#finish('closed'));
    // The remote stops writing only when it is going away; treat it as closed so requests fail fast.
    stream.addEventListener('remoteCloseWrite', () => this.#finish('closed'));
    this.#pump();
  }

  /** Queues a length-prefixed frame. False (and nothing queued) when the link is closed or full. */
  enqueue(frame: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#queue.length - this.#queueHead >= this.#queueFramesMax) return false;
    // An empty queue always takes one frame, however big: the payload bound already applies.
    if (this.#queuedBytes > 0 && this.#queuedBytes + frame.byteLength > this.#queueBytesMax) return false;
    this.#queue.push(frame);
    this.#queuedBytes += frame.byteLength;
    if (this.#stream) this.#pump();
    return true;
  }

  /** The stream could not be opened. */
  fail(): void {
    this.#finish('open-failed');
  }

  /** Closes the link now, dropping what is queued. */
  close(reason: LinkCloseReason = 'stopped'): void {
    this.#finish(reason);
  }

  #pump(): void {
    const stream = this.#stream;
    if (!stream || this.#closed) return;
    try {
      while (this.#queueHead < this.#queue.length && !stream.writableNeedsDrain) {
        if (stream.writeStatus !== 'writable') {
          this.#finish('closed');
          return;
        }
        const frame = this.#queue[this.#queueHead] as Uint8Array;
        this.#queue[this.#queueHead++] = EMPTY;
        this.#queuedBytes -= frame.byteLength;
        stream.send(frame);
      }
    } catch {
      this.#finish('closed');
      return;
    }
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1_024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #finish(reason: LinkCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    const unsent = this.#queue.length - this.#queueHead;
    this.#queue = [];
    this.#queueHead = 0;
    this.#queuedBytes = 0;
    const stream = this.#stream;
    if (stream && stream.status === 'open') stream.abort(new Error(`weft transport: link ${reason}`));
    this.#events.closed(this, reason, unsent);
  }
}

const EMPTY = new Uint8Array(0);
