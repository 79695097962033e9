// What must hold on correct replicas whatever the faults (safety), and what must eventually
// happen once faults heal (liveness). Byzantine replicas are never judged.
import type { ExecuteBatch } from '../../network/pbft/ready.ts';
import type { ToyBlock } from './toy-ledger.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').slice(0, 16);

export class SafetyChecker {
  readonly violations: string[] = [];
  readonly #digestAt = new Map<number, { digest: string; replica: number }>();
  readonly #blockAt = new Map<number, { hash: string; replica: number }>();
  readonly #checkpointAt = new Map<number, { id: string; replica: number }>();
  executions = 0;

  /** Agreement: no two correct replicas execute different batches at one seqNo, or commit different blocks at one height; no request twice. */
  executed(replica: number, batch: ExecuteBatch, block: ToyBlock, repeated: readonly string[]): void {
    this.executions++;
    for (const id of repeated) this.violations.push(`at-most-once: replica ${replica} executed ${id} a second time (seqNo ${batch.seqNo})`);
    const seen = this.#digestAt.get(batch.seqNo);
    if (seen === undefined) this.#digestAt.set(batch.seqNo, { digest: batch.digest, replica });
    else if (seen.digest !== batch.digest) {
      this.violations.push(`agreement: seqNo ${batch.seqNo} executed as ${batch.digest} by replica ${replica} but as ${seen.digest} by replica ${seen.replica}`);
    }
    const hash = hex(block.blockHash);
    const other = this.#blockAt.get(block.height);
    if (other === undefined) this.#blockAt.set(block.height, { hash, replica });
    else if (other.hash !== hash) {
      this.violations.push(`ledger: block ${block.height} is ${hash} at replica ${replica} but ${other.hash} at replica ${other.replica}`);
    }
  }

  /** Equal state at every checkpoint: the checkpoint id carries height, block hash and state hash. */
  checkpoint(replica: number, seqNo: number, id: string): void {
    const seen = this.#checkpointAt.get(seqNo);
    if (seen === undefined) this.#checkpointAt.set(seqNo, { id, replica });
    else if (seen.id !== id) this.violations.push(`checkpoint: seqNo ${seqNo} is ${id} at replica ${replica} but ${seen.id} at replica ${seen.replica}`);
  }
}

/** Requests accepted by correct replicas; those whose origin never crashed afterwards must execute everywhere correct. */
export class LivenessTracker {
  readonly #accepted = new Map<string, { origin: number; at: number; required: boolean }>();

  accepted(id: string, origin: number, at: number, originCorrect: boolean): void {
    this.#accepted.set(id, { origin, at, required: originCorrect });
  }

  /** A crash may lose what the origin had not yet broadcast. */
  originCrashed(origin: number): void {
    for (const entry of this.#accepted.values()) if (entry.origin === origin) entry.required = false;
  }

  get count(): number {
    return this.#accepted.size;
  }

  required(): string[] {
    return [...this.#accepted].filter(([, e]) => e.required).map(([id]) => id);
  }
}
