// The contract between the peer and a consensus plugin (Fabric's consensus.Consenter / Stack):
// the peer hands in client transactions; the plugin orders them and hands back batches to
// execute, one at a time, in the same order on every peer. noops and pbft both implement it.

/** A batch the plugin has ordered; the peer executes it and commits it as one block. */
export interface OrderedBatch {
  /** Encoded Transactions, in order. */
  transactions: Uint8Array[];
  /** Consensus metadata to store in the block (PBFT: the encoded sequence number). Empty for noops. */
  consensusMetadata: Uint8Array;
}

/** What executing and committing a batch produced; PBFT uses it as its checkpoint id. */
export interface ExecutedBatch {
  height: number;
  blockHash: Uint8Array;
  stateHash: Uint8Array;
}

/** The peer, as the plugin sees it. */
export interface ConsensusStack {
  /** Executes and commits a batch; resolves once the block is durable. Called one batch at a time. */
  execute(batch: OrderedBatch): Promise<ExecutedBatch>;
  /** Ledger height and head, for checkpoints and catch-up. */
  head(): ExecutedBatch;
}

export interface ConsensusStatus {
  plugin: 'noops' | 'pbft';
  [detail: string]: unknown;
}

export interface ConsensusPlugin {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Accepts a client transaction for ordering. Resolves when accepted (not when committed);
   * rejects with a clear Error if it cannot be accepted (malformed, oversized, queue full, stopping).
   */
  submit(transaction: Uint8Array): Promise<void>;
  status(): ConsensusStatus;
}
