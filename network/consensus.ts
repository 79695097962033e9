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

/** The ledger head after executing and committing a batch; PBFT uses it as its checkpoint id. */
export interface ExecutedBatch {
  height: number;
  blockHash: Uint8Array;
  stateHash: Uint8Array;
  /** The head block's consensus metadata (PBFT recovers its last executed seqNo from it on restart). */
  consensusMetadata: Uint8Array;
}

/** The peer, as the plugin sees it. */
export interface ConsensusStack {
  /** Executes and commits a batch; resolves once the block is durable. Called one batch at a time. */
  execute(batch: OrderedBatch): Promise<ExecutedBatch>;
  /** Ledger height and head, for checkpoints and catch-up. */
  head(): ExecutedBatch;
}

/** Durable key-value space of the plugin (the ledger's persist key space, keys prefixed "consensus."). */
export interface ConsensusStorage {
  /** Every stored entry whose key starts with prefix. */
  load(prefix: string): Promise<Map<string, Uint8Array>>;
  /** Applies puts (value) and deletes (null) atomically; durable (synced) before it resolves. */
  write(changes: Map<string, Uint8Array | null>): Promise<void>;
}

/** Where a lagging replica must bring its ledger: a block height and that head block's hash. */
export interface SyncTarget {
  height: number;
  blockHash: Uint8Array;
}

/** The peer as the PBFT plugin sees it: execution plus storage and state transfer. */
export interface PbftStack extends ConsensusStack {
  storage: ConsensusStorage;
  /**
   * Brings the ledger to the target by fetching blocks and state from the given peers (vpN ids),
   * verifying the hash chain and the state hash. Resolves with the new head; rejects if no peer
   * could provide it (the plugin retries later).
   */
  syncTo(target: SyncTarget, peers: string[]): Promise<ExecutedBatch>;
  /** While false (state transfer pending), queries are refused with Fabric's text. */
  setStateValid(valid: boolean): void;
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
