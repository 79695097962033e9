// The simulated network: every packet gets a delivery tick drawn from the path's delay, and may
// be lost or duplicated; partitions block directed paths (asymmetric when only one direction is
// blocked). Packets wait in a binary heap ordered by (delivery tick, send order), so delivery is
// a deterministic function of the seed.
import type { Prng } from './prng.ts';

export interface NetworkFaults {
  delayMinTicks: number;
  delayMaxTicks: number;
  /** Per mille. */
  lossPermille: number;
  duplicatePermille: number;
}

export interface Packet {
  from: number;
  to: number;
  bytes: Uint8Array;
  deliverAt: number;
  order: number;
}

export const NO_FAULTS: NetworkFaults = { delayMinTicks: 1, delayMaxTicks: 1, lossPermille: 0, duplicatePermille: 0 };

/** Packets in flight; beyond, the oldest path's sends are dropped (a full queue). */
const IN_FLIGHT_MAX = 200_000;

export class SimNetwork {
  faults: NetworkFaults;
  readonly #prng: Prng;
  readonly #heap: Packet[] = [];
  readonly #blocked = new Set<string>();
  #order = 0;
  sent = 0;
  delivered = 0;
  lost = 0;
  /** Extra drop rule for scripted scenarios: return true to drop. */
  filter: ((packet: Packet) => boolean) | null = null;

  constructor(prng: Prng, faults: NetworkFaults) {
    this.#prng = prng;
    this.faults = faults;
  }

  get inFlight(): number {
    return this.#heap.length;
  }

  send(from: number, to: number, bytes: Uint8Array, now: number): void {
    this.sent++;
    if (this.#blocked.has(`${from}>${to}`) || this.#heap.length >= IN_FLIGHT_MAX || this.#prng.chance(this.faults.lossPermille, 1000)) {
      this.lost++;
      return;
    }
    const copies = this.#prng.chance(this.faults.duplicatePermille, 1000) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const deliverAt = now + this.#prng.range(this.faults.delayMinTicks, this.faults.delayMaxTicks);
      this.#push({ from, to, bytes, deliverAt, order: this.#order++ });
    }
  }

  /** Packets due at or before `now`, in delivery order. */
  due(now: number): Packet[] {
    const out: Packet[] = [];
    while (this.#heap.length > 0 && (this.#heap[0] as Packet).deliverAt <= now) {
      const packet = this.#pop();
      if (this.#blocked.has(`${packet.from}>${packet.to}`) || (this.filter !== null && this.filter(packet))) {
        this.lost++;
        continue;
      }
      this.delivered++;
      out.push(packet);
    }
    return out;
  }

  /** Blocks every path between the groups (both directions unless oneWay). */
  partition(groups: number[][], oneWay = false): void {
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) if (!oneWay || groups.indexOf(a) < groups.indexOf(b)) this.#blocked.add(`${x}>${y}`);
      }
    }
  }

  block(from: number, to: number): void {
    this.#blocked.add(`${from}>${to}`);
  }

  heal(): void {
    this.#blocked.clear();
  }

  get partitioned(): boolean {
    return this.#blocked.size > 0;
  }

  #push(packet: Packet): void {
    const heap = this.#heap;
    heap.push(packet);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Packet, heap[parent] as Packet)) break;
      [heap[i], heap[parent]] = [heap[parent] as Packet, heap[i] as Packet];
      i = parent;
    }
  }

  #pop(): Packet {
    const heap = this.#heap;
    const top = heap[0] as Packet;
    const last = heap.pop() as Packet;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l] as Packet, heap[m] as Packet)) m = l;
        if (r < heap.length && before(heap[r] as Packet, heap[m] as Packet)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Packet, heap[i] as Packet];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Packet, b: Packet): boolean {
  return a.deliverAt < b.deliverAt || (a.deliverAt === b.deliverAt && a.order < b.order);
}
