// Progress of a long operation in the terminal (building chaincode, starting a network, a bench
// run). On an interactive terminal the current state is one line redrawn in place ("compiling
// 2 of 7: map, passthru (4.1 s)") and finished steps scroll above it; when the output is a pipe,
// a file or CI, every step is a plain line and the current state is printed only now and then,
// so logs stay readable and still show that something is happening.

/** Milliseconds between two prints of the current state in plain mode. */
export const PLAIN_STATUS_EVERY_MS = 5_000;
/** Milliseconds between two redraws on a terminal (a redraw per event could flood it). */
const REDRAW_EVERY_MS = 100;

export interface Progress {
  /** A finished step: a line of its own. */
  step(text: string): void;
  /** The current state: redrawn in place on a terminal; in plain mode, printed every PLAIN_STATUS_EVERY_MS at most. */
  status(text: string): void;
  /** Removes the redrawn line (call before printing other output, and at the end). */
  clear(): void;
}

export interface ProgressOptions {
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Force plain lines (default: plain unless the stream is a TTY outside CI with a capable TERM). */
  plain?: boolean;
  /** Milliseconds clock (tests). */
  now?: () => number;
}

/** Whether a stream is an interactive terminal we may redraw on. */
export function isInteractive(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.CI && env.TERM !== 'dumb';
}

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const plain = options.plain ?? !isInteractive(stream);
  const now = options.now ?? (() => performance.now());
  let shown = false;
  let lastStatusAt = -Infinity;

  const fit = (text: string): string => {
    const width = stream.columns || 80;
    // One line only: a wrapped line cannot be redrawn in place.
    const single = text.replace(/\s*\n\s*/g, ' ');
    return single.length < width ? single : `${single.slice(0, Math.max(0, width - 2))}…`;
  };

  const clear = (): void => {
    if (!shown) return;
    stream.write('\r\x1b[2K');
    shown = false;
  };

  return {
    step(text) {
      clear();
      stream.write(`${text}\n`);
    },
    status(text) {
      const at = now();
      if (plain) {
        if (at - lastStatusAt < PLAIN_STATUS_EVERY_MS) return;
        stream.write(`${text}\n`);
      } else {
        // Redrawn at most every REDRAW_EVERY_MS, and at once after a step took the line away.
        if (shown && at - lastStatusAt < REDRAW_EVERY_MS) return;
        stream.write(`\r\x1b[2K${fit(text)}`);
        shown = true;
      }
      lastStatusAt = at;
    },
    clear,
  };
}

/** Seconds since `start` (performance.now() milliseconds), as "4.1 s". */
export function elapsed(start: number, now: number = performance.now()): string {
  return `${((now - start) / 1000).toFixed(1)} s`;
}
