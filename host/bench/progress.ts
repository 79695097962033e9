// The progress line of `weft bench` while a run goes: redrawn in place on a terminal, plain
// lines every few seconds otherwise (a log file, CI).
import type { DriveProgress } from './driver.ts';
import { count, ms } from './report.ts';

/** Seconds between plain progress lines when stderr is not a terminal. */
export const PLAIN_PROGRESS_EVERY_S = 5;

export function formatProgress(label: string, phase: string, p: DriveProgress, durationS: number | undefined): string {
  const clock = durationS === undefined || p.phase === 'draining' ? `${p.elapsedS.toFixed(0)} s` : `${Math.min(p.elapsedS, durationS).toFixed(0)}/${durationS} s`;
  const stage = p.phase === 'draining' ? `${phase}, draining` : phase;
  return (
    `${label} [${stage}] ${clock}  committed ${count(p.committed)} (${count(p.recentPerSecond)} tx/s, median ${ms(p.recentMedianMs)} ms)` +
    `  in flight ${count(p.inFlight)}  refused ${count(p.refused)}  rejected ${count(p.rejected)}`
  );
}

export class ProgressPrinter {
  readonly #tty: boolean;
  readonly #write: (text: string) => void;
  readonly #line: (line: string) => void;
  #lastPlainAt = Number.NEGATIVE_INFINITY;
  #drawn = false;

  /** tty: redraw one line with write(); otherwise line() every PLAIN_PROGRESS_EVERY_S seconds. */
  constructor(options: { tty: boolean; write: (text: string) => void; line: (line: string) => void }) {
    this.#tty = options.tty;
    this.#write = options.write;
    this.#line = options.line;
  }

  update(text: string, elapsedS: number): void {
    if (this.#tty) {
      this.#write(`\r\x1b[2K${text}`);
      this.#drawn = true;
      return;
    }
    if (elapsedS - this.#lastPlainAt >= PLAIN_PROGRESS_EVERY_S) {
      this.#lastPlainAt = elapsedS;
      this.#line(text);
    }
  }

  /** Ends the current progress (the next update starts afresh). */
  done(): void {
    if (this.#tty && this.#drawn) this.#write('\n');
    this.#drawn = false;
    this.#lastPlainAt = Number.NEGATIVE_INFINITY;
  }
}
