// Cuts a byte stream into length-prefixed frames, holding at most one frame (bounded by
// maxFrameBytes) in memory. A frame announced bigger than the bound is skipped byte by byte as it
// arrives, never buffered, and reported, so one oversized message costs its bandwidth but
// neither memory nor the messages behind it.
import { LENGTH_PREFIX_BYTES } from './frame.ts';

export interface FrameSink {
  frame(frame: Uint8Array): void;
  oversized(announcedBytes: number): void;
}

export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #sink: FrameSink;
  /** Bytes received but not yet consumed. */
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Length of the frame being read, or -1 while reading a length prefix. */
  #expected = -1;
  /** Bytes still to discard of an oversized frame. */
  #skipping = 0;

  constructor(maxFrameBytes: number, sink: FrameSink) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#sink = sink;
  }

  /** Bytes held now (for tests and stats). */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array): void {
    let data = chunk;
    while (data.byteLength > 0) {
      if (this.#skipping > 0) {
        const skip = Math.min(this.#skipping, data.byteLength);
        this.#skipping -= skip;
        data = data.subarray(skip);
        continue;
      }
      const want = this.#expected < 0 ? LENGTH_PREFIX_BYTES : this.#expected;
      const take = Math.min(want - this.#buffered, data.byteLength);
      this.#chunks.push(data.subarray(0, take));
      this.#buffered += take;
      data = data.subarray(take);
      if (this.#buffered < want) return;
      const whole = this.#take();
      if (this.#expected < 0) {
        const length = new DataView(whole.buffer, whole.byteOffset, LENGTH_PREFIX_BYTES).getUint32(0);
        if (length > this.#maxFrameBytes) {
          this.#skipping = length;
          this.#sink.oversized(length);
        } else if (length === 0) {
          this.#sink.frame(new Uint8Array(0));
        } else {
          this.#expected = length;
        }
      } else {
        this.#expected = -1;
        this.#sink.frame(whole);
      }
    }
  }

  #take(): Uint8Array {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#buffered = 0;
    if (chunks.length === 1) return chunks[0] as Uint8Array;
    return Buffer.concat(chunks);
  }
}
