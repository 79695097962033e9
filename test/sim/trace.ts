// The simulator's trace: one line per event, kept in a ring so a failure can print the tail.
// Columns (docs/testing.md): tick, replica (r0…, or "--" for the world), event, detail.

export class Trace {
  readonly #lines: string[] = [];
  readonly #max: number;
  #total = 0;
  /** Also print every line as it happens (vopr --verbose). */
  echo = false;

  constructor(max = 400) {
    this.#max = max;
  }

  add(tick: number, replica: number | null, event: string, detail = ''): void {
    const line = `${String(tick).padStart(6)} ${replica === null ? '--' : `r${replica}`.padEnd(3)} ${event.padEnd(14)} ${detail}`;
    this.#total++;
    if (this.echo) console.log(line);
    this.#lines.push(line);
    if (this.#lines.length > this.#max) this.#lines.shift();
  }

  tail(count: number): string[] {
    return this.#lines.slice(-count);
  }

  get total(): number {
    return this.#total;
  }
}
