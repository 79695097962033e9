// Which record a YCSB operation touches: uniform, or YCSB's "zipfian" request distribution (a
// scrambled Zipfian: popular items spread over the key space by a hash, as YCSB's
// ScrambledZipfianGenerator), and YCSB's key names ("user" + FNV-1a-64 of the record number).
// Deterministic from the SeededRandom they draw from.
import type { SeededRandom } from './prng.ts';

export type KeyDistribution = 'uniform' | 'zipfian';
export const KEY_DISTRIBUTIONS: readonly KeyDistribution[] = ['uniform', 'zipfian'];

/** YCSB's Zipfian constant (theta). */
const ZIPFIAN_THETA = 0.99;
/** The item count YCSB's scrambled Zipfian draws from before hashing, and its precomputed zeta. */
const SCRAMBLED_ITEMS = 10_000_000_000;
const SCRAMBLED_ZETAN = 26.46902820178302;

const FNV_OFFSET_BASIS_64 = 0xcbf29ce484222325n;
const FNV_PRIME_64 = 1099511628211n;
const MASK_64 = (1n << 64n) - 1n;

/** YCSB's FNVhash64 of a non-negative integer: FNV-1a over its 8 little-endian bytes, then |·| as a signed 64-bit value. */
export function fnvHash64(value: number): bigint {
  let rest = BigInt(value);
  let hash = FNV_OFFSET_BASIS_64;
  for (let i = 0; i < 8; i++) {
    hash ^= rest & 0xffn;
    hash = (hash * FNV_PRIME_64) & MASK_64;
    rest >>= 8n;
  }
  // YCSB returns Math.abs of the signed value.
  return hash >= 1n << 63n ? (1n << 64n) - hash : hash;
}

/** YCSB's key name of record number n (BuildKeyName with hashed, unordered inserts). */
export function ycsbKey(recordNumber: number): string {
  return `user${fnvHash64(recordNumber)}`;
}

/** Draws record numbers in [0, records). */
export type KeyChooser = () => number;

export function uniformChooser(random: SeededRandom, records: number): KeyChooser {
  return () => random.below(records);
}

/** Gray et al.'s Zipfian over [0, items), as YCSB's ZipfianGenerator (zetan given or computed). */
function zipfian(random: SeededRandom, items: number, zetan: number): () => number {
  const theta = ZIPFIAN_THETA;
  const zeta2 = 1 + 0.5 ** theta;
  const alpha = 1 / (1 - theta);
  const eta = (1 - (2 / items) ** (1 - theta)) / (1 - zeta2 / zetan);
  return () => {
    const u = random.fraction();
    const uz = u * zetan;
    if (uz < 1) return 0;
    if (uz < 1 + 0.5 ** theta) return 1;
    return Math.min(items - 1, Math.floor(items * (eta * u - eta + 1) ** alpha));
  };
}

/** YCSB's ScrambledZipfianGenerator over [0, records): Zipfian ranks, hashed over the key space. */
export function scrambledZipfianChooser(random: SeededRandom, records: number): KeyChooser {
  const ranks = zipfian(random, SCRAMBLED_ITEMS, SCRAMBLED_ZETAN);
  const count = BigInt(records);
  return () => Number(fnvHash64(ranks()) % count);
}

export function keyChooser(distribution: KeyDistribution, random: SeededRandom, records: number): KeyChooser {
  if (!Number.isSafeInteger(records) || records < 1) throw new RangeError(`records must be a positive integer, got ${records}`);
  return distribution === 'uniform' ? uniformChooser(random, records) : scrambledZipfianChooser(random, records);
}
