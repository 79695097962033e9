// Byzantine replicas in the simulator. A byzantine replica runs the real core, but everything it
// sends passes through this rewriter, which lies in the ways a faulty replica can: silence,
// selective sends, an equivocating primary (two different valid batches for one seqNo), wrong
// digests, replays of stale messages, forged sender ids, garbage bytes, and view-changes or
// new-views whose contents do not match their signatures. It cannot forge another replica's
// signature (the simulated signer keeps keys apart). Checkers never judge byzantine replicas.
import { encodeRequestBatch } from '../../network/pbft/codec.ts';
import type { PbftMessage } from '../../network/pbft/messages.ts';
import type { Prng } from './prng.ts';

export const BEHAVIOURS = ['silent', 'selective', 'equivocate', 'wrong-digest', 'stale', 'forge', 'garbage', 'tamper', 'fabric-flag'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

export type Emission = { to: number; message: PbftMessage } | { to: number; bytes: Uint8Array };

const HISTORY_MAX = 64;

export class ByzantineRewriter {
  readonly behaviours: ReadonlySet<Behaviour>;
  readonly #id: number;
  readonly #n: number;
  readonly #prng: Prng;
  readonly #digest: (bytes: Uint8Array) => string;
  readonly #victims: Set<number>;
  readonly #history: PbftMessage[] = [];

  constructor(id: number, n: number, behaviours: Behaviour[], prng: Prng, digest: (bytes: Uint8Array) => string) {
    this.#id = id;
    this.#n = n;
    this.behaviours = new Set(behaviours);
    this.#prng = prng;
    this.#digest = digest;
    const others = [...Array(n).keys()].filter((r) => r !== id);
    this.#victims = new Set(prng.shuffle(others).slice(0, Math.max(1, Math.floor(others.length / 2))));
  }

  rewrite(to: number, message: PbftMessage): Emission[] {
    const b = this.behaviours;
    if (b.has('silent')) return [];
    if (b.has('selective') && this.#victims.has(to)) return [];
    let out: PbftMessage = message;
    if (b.has('equivocate') && this.#victims.has(to)) out = this.#equivocate(out);
    if (b.has('wrong-digest') && this.#prng.chance(1, 3)) out = this.#wrongDigest(out);
    if (b.has('tamper') && this.#prng.chance(1, 2)) out = this.#tamper(out);
    if (b.has('forge') && this.#prng.chance(1, 4) && 'replicaId' in out) {
      out = { ...out, replicaId: (this.#id + 1 + this.#prng.int(this.#n - 1)) % this.#n } as PbftMessage;
    }
    const emissions: Emission[] = [{ to, message: out }];
    if (b.has('stale') && this.#history.length > 0 && this.#prng.chance(1, 4)) emissions.push({ to, message: this.#prng.pick(this.#history) });
    if (b.has('garbage') && this.#prng.chance(1, 8)) {
      const bytes = new Uint8Array(this.#prng.range(0, 64));
      for (let i = 0; i < bytes.length; i++) bytes[i] = this.#prng.int(256);
      if (bytes.length > 1 && this.#prng.chance(1, 2)) bytes[0] = 1; // a plausible version byte
      emissions.push({ to, bytes });
    }
    this.#history.push(message);
    if (this.#history.length > HISTORY_MAX) this.#history.shift();
    return emissions;
  }

  /** A different, internally valid pre-prepare (or vote) for the same view and seqNo. */
  #equivocate(message: PbftMessage): PbftMessage {
    if (message.type === 'pre-prepare' && message.batch !== null) {
      if (message.batch.requests.length > 1) {
        const batch = { requests: [...message.batch.requests].reverse() };
        return { ...message, batch, digest: this.#digest(encodeRequestBatch(batch)) };
      }
      return { ...message, batch: null, digest: '' };
    }
    if (message.type === 'prepare' || message.type === 'commit') return { ...message, digest: this.#randomDigest() };
    return message;
  }

  #wrongDigest(message: PbftMessage): PbftMessage {
    switch (message.type) {
      case 'prepare':
      case 'commit':
        return { ...message, digest: this.#randomDigest() };
      case 'pre-prepare':
        return message.batch === null ? message : { ...message, digest: this.#randomDigest() };
      case 'checkpoint':
        return { ...message, id: this.#randomDigest() };
      default:
        return message;
    }
  }

  /** Changes signed content without re-signing, or a new-view's assignments. */
  #tamper(message: PbftMessage): PbftMessage {
    if (message.type === 'view-change') return { ...message, pset: message.pset.slice(1), qset: [] };
    if (message.type === 'new-view') {
      const choice = this.#prng.int(3);
      if (choice === 0 && message.xset.length > 0) {
        return { ...message, xset: message.xset.map((x, i) => (i === 0 ? { seqNo: x.seqNo, digest: x.digest === '' ? this.#randomDigest() : '' } : x)) };
      }
      // Too few view-changes, or one twice.
      const first = message.vset[0];
      if (choice === 1 || first === undefined) return { ...message, vset: message.vset.slice(1) };
      return { ...message, vset: [...message.vset.slice(1), first, first] };
    }
    return message;
  }

  #randomDigest(): string {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.#prng.int(256);
    return this.#digest(bytes);
  }
}
