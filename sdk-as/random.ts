// A deterministic pseudo-random generator for chaincode. There is no host randomness (every peer
// must compute the same result): the stream is SHA-256 in counter mode over a seed taken from the
// transaction, block i = SHA-256(seed || u64le(i)), seed = txid || 0 || chaincode id || 0 || domain.
// Anyone who knows the transaction can predict it: it is for fair tie-breaking and sampling,
// never for secrets.
import { HashAlgorithm } from "./codes";
import { digest } from "./crypto";
import { ByteWriter } from "./bytes";
import { ChaincodeStub } from "./stub";

const BLOCK_BYTES = 32;

export class Prng {
  private readonly seed: Uint8Array;
  private counter: u64 = 0;
  private block: Uint8Array = new Uint8Array(0);
  private offset: i32 = BLOCK_BYTES;

  /** A generator over an explicit seed (tests, or a seed agreed on in state). */
  constructor(seed: Uint8Array) {
    this.seed = seed;
  }

  /**
   * The generator of this transaction and chaincode. Use distinct `domain`s for independent
   * streams; the same (transaction, chaincode, domain) always gives the same stream.
   */
  static forTransaction(stub: ChaincodeStub, domain: string = ""): Prng {
    const w = new ByteWriter(128);
    w.string(stub.getTxID()).byte(0).string(stub.getChaincodeID()).byte(0).string(domain);
    return new Prng(w.finish());
  }

  private refill(): void {
    const input = new ByteWriter(this.seed.length + 8);
    input.bytes(this.seed).u64le(this.counter);
    this.counter++;
    this.block = digest(HashAlgorithm.SHA256, input.finish()).unwrap();
    if (this.block.length < BLOCK_BYTES) abort("hash returned a short SHA-256 digest");
    this.offset = 0;
  }

  /** 64 uniformly random bits. */
  nextU64(): u64 {
    if (this.offset + 8 > BLOCK_BYTES) this.refill();
    const v = load<u64>(this.block.dataStart + <usize>this.offset);
    this.offset += 8;
    return v;
  }

  /** 32 uniformly random bits. */
  nextU32(): u32 {
    return <u32>(this.nextU64() >> 32);
  }

  /** A uniform integer in [0, bound); bound must be > 0. Unbiased (rejection sampling). */
  nextBelow(bound: u64): u64 {
    if (bound == 0) abort("Prng.nextBelow: bound must be > 0");
    // reject the top partial copy of [0, bound) in the u64 range
    const threshold = (0 - bound) % bound;
    while (true) {
      const v = this.nextU64();
      if (v >= threshold) return v % bound;
    }
    return 0;
  }

  /** A uniform integer in [min, max] (inclusive). */
  nextInRange(min: i64, max: i64): i64 {
    if (max < min) abort("Prng.nextInRange: max < min");
    const span = <u64>(max - min) + 1;
    if (span == 0) return <i64>this.nextU64(); // the whole i64 range
    return min + <i64>this.nextBelow(span);
  }

  /** `n` random bytes. */
  nextBytes(n: i32): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (this.offset >= BLOCK_BYTES) this.refill();
      unchecked((out[i] = unchecked(this.block[this.offset++])));
    }
    return out;
  }

  /** Shuffles `items` in place (Fisher-Yates). */
  shuffle<T>(items: Array<T>): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = <i32>this.nextBelow(<u64>(i + 1));
      const tmp = unchecked(items[i]);
      unchecked((items[i] = unchecked(items[j])));
      unchecked((items[j] = tmp));
    }
  }
}
