// A small seeded pseudo-random generator for the benchmark's workload generators: the same seed
// gives the same operations on every machine and Node version (Math.random cannot be seeded).
// sfc32 (Chris Doty-Humphrey's small fast counting generator), its state filled from the seed by
// splitmix32. Not for secrets.

/** splitmix32 step: a well-mixed 32-bit value from a counter. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    // Both halves of the seed take part, so seeds above 2^32 differ too.
    const low = seed >>> 0;
    const high = Math.floor(seed / 2 ** 32) >>> 0;
    this.#a = splitmix32(low);
    this.#b = splitmix32(this.#a ^ high);
    this.#c = splitmix32(this.#b + 1);
    for (let i = 0; i < 12; i++) this.nextU32(); // let the first outputs mix
  }

  /** A uniform integer in [0, 2^32). */
  nextU32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in [0, n), n from 1 to 2^32, without modulo bias. */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`below(n) needs 1 <= n <= 2^32, got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** A uniform integer in [min, max], both inclusive (as BLOCKBENCH's UniformGenerator). */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** A uniform number in [0, 1) with 32 bits of randomness. */
  fraction(): number {
    return this.nextU32() / 2 ** 32;
  }
}
