// A replica's ledger in the simulator: a deterministic toy state machine. Each executed batch
// becomes a block; the "state hash" chains every transaction executed so far, the block hash
// chains blocks, so checkpoint ids are real (equal iff the histories are equal). It remembers
// which transaction ids it executed, to catch a transaction executed twice.
import { createHash } from 'node:crypto';
import { checkpointIdOf } from '../../network/pbft/codec.ts';
import type { HeadState } from '../../network/pbft/replica.ts';

export interface ToyBlock {
  height: number;
  blockHash: Uint8Array;
  stateHash: Uint8Array;
  metadata: Uint8Array;
  txIds: string[];
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const GENESIS: ToyBlock = { height: 1, blockHash: sha256(new TextEncoder().encode('genesis')), stateHash: new Uint8Array(32), metadata: new Uint8Array(0), txIds: [] };

/** A simulated transaction: its id, then padding. */
export function txPayload(id: string, padding = 0): Uint8Array {
  return new TextEncoder().encode(`${id}|${'x'.repeat(padding)}`);
}

export function txIdOf(payload: Uint8Array): string {
  const text = new TextDecoder().decode(payload);
  const bar = text.indexOf('|');
  return bar < 0 ? text : text.slice(0, bar);
}

export class ToyLedger {
  #blocks: ToyBlock[] = [GENESIS];
  #executed = new Map<string, number>();

  get height(): number {
    return this.#blocks.length;
  }

  head(): ToyBlock {
    return this.#blocks[this.#blocks.length - 1] as ToyBlock;
  }

  headState(): HeadState {
    const head = this.head();
    return { checkpointId: checkpointIdOf(head), consensusMetadata: head.metadata };
  }

  blockAt(height: number): ToyBlock | undefined {
    return this.#blocks[height - 1];
  }

  hasExecuted(txId: string): boolean {
    return this.#executed.has(txId);
  }

  executedIds(): IterableIterator<string> {
    return this.#executed.keys();
  }

  /** Executes a batch as one block; returns ids it had executed before (which must never happen). */
  execute(transactions: Uint8Array[], metadata: Uint8Array): { block: ToyBlock; repeated: string[] } {
    const previous = this.head();
    const height = previous.height + 1;
    let stateHash = previous.stateHash;
    const txIds: string[] = [];
    const repeated: string[] = [];
    for (const tx of transactions) {
      stateHash = sha256(stateHash, tx);
      const id = txIdOf(tx);
      if (this.#executed.has(id)) repeated.push(id);
      this.#executed.set(id, height);
      txIds.push(id);
    }
    const heightBytes = new Uint8Array(4);
    new DataView(heightBytes.buffer).setUint32(0, height);
    const blockHash = sha256(previous.blockHash, heightBytes, stateHash, metadata);
    const block: ToyBlock = { height, blockHash, stateHash, metadata, txIds };
    this.#blocks.push(block);
    return { block, repeated };
  }

  /** State transfer: this ledger becomes the donor's first `height` blocks. */
  copyFrom(donor: ToyLedger, height: number): void {
    this.#blocks = donor.#blocks.slice(0, height);
    this.#executed = new Map();
    for (const block of this.#blocks) for (const id of block.txIds) this.#executed.set(id, block.height);
  }
}
