// The ledger's contract with the peer: committed world state (synchronous reads from memory),
// the block chain, indexes, state deltas and the peer's persist space, all in one LevelDB
// under Fabric's five key spaces. Implemented by host/ledger/ledger.ts.
import type {
  Block,
  BlockchainInfo,
  ChaincodeEvent,
  Timestamp,
  Transaction,
  TransactionResult,
} from '../protocol/messages.ts';

/** Writes of one block: chaincode name → key → new value, or null for a delete. */
export type WriteSet = Map<string, Map<string, Uint8Array | null>>;

/** Everything that goes into one block; committed in one atomic write batch. */
export interface BlockInput {
  /** Successful transactions only, in execution order. */
  transactions: Transaction[];
  /** The state changes of those transactions, merged. */
  writes: WriteSet;
  /** Consensus metadata (PBFT: the sequence number). Empty under noops. */
  consensusMetadata: Uint8Array;
  /** One entry per executed transaction (failed ones included, Fabric's quirk); empty `{}`-like events for none. */
  chaincodeEvents: ChaincodeEvent[];
  /** Results of failed transactions, so a rejection stays on record. */
  transactionResults: TransactionResult[];
  /** Wall-clock time of the commit on this peer (NonHashData: not hashed). */
  commitTimestamp: Timestamp;
  /** Writes to the persist key space committed atomically with the block (e.g. consensus state). */
  persist?: Map<string, Uint8Array | null>;
  /**
   * Block.timestamp. It is hashed, so it must be the same on every peer (e.g. chosen by the
   * ordering); left unset when absent, never taken from this peer's clock.
   */
  blockTimestamp?: Timestamp;
}

export interface CommittedBlock {
  blockNumber: number;
  block: Block;
  blockHash: Uint8Array;
}

/** A block's state delta: per chaincode and key, the value before and after (null = absent). */
export type StateDelta = Map<string, Map<string, { previous: Uint8Array | null; value: Uint8Array | null }>>;

export interface TransactionLocation {
  transaction: Transaction;
  blockNumber: number;
  index: number;
}

export interface LedgerApi {
  /** Height counts the genesis block: a fresh ledger has height 1. */
  height(): number;
  blockchainInfo(): BlockchainInfo;
  /** Hash of the world state after the last committed block. */
  stateHash(): Uint8Array;

  /** Committed value of a key in a chaincode's namespace. */
  getState(chaincodeName: string, key: string): Uint8Array | undefined;
  /** Committed keys of a namespace in UTF-8 byte order, start and end inclusive, "" unbounded. */
  rangeState(chaincodeName: string, startKey: string, endKey: string): Iterator<[string, Uint8Array]>;
  /** Committed keys of a namespace starting with prefix, in byte order. */
  prefixState(chaincodeName: string, prefix: string): Iterator<[string, Uint8Array]>;

  getBlock(blockNumber: number): Promise<Block | undefined>;
  getBlockHash(blockNumber: number): Promise<Uint8Array | undefined>;
  getBlockNumberByHash(blockHash: Uint8Array): Promise<number | undefined>;
  getTransaction(txid: string): Promise<TransactionLocation | undefined>;
  /**
   * Which of these txids are in committed blocks: one index read for all of them (a block's
   * replay check), where getTransaction would read once per transaction and fetch its block.
   */
  committedTxids(txids: readonly string[]): Promise<Set<string>>;

  /** Appends one block; durable (synced) before the promise resolves. Commits are serialised. */
  commitBlock(input: BlockInput): Promise<CommittedBlock>;

  getStateDelta(blockNumber: number): Promise<StateDelta | undefined>;

  getPersist(key: string): Promise<Uint8Array | undefined>;
  putPersist(key: string, value: Uint8Array): Promise<void>;
  deletePersist(key: string): Promise<void>;

  close(): Promise<void>;
}

// ---- beyond LedgerApi: what Ledger offers consensus, state transfer and tests ----

export interface LedgerOptions {
  /** State deltas kept for the most recent this-many blocks (Fabric: ledger.state.deltaHistorySize, 500). */
  deltaHistorySize: number;
}

/** The head of the chain, with what consensus needs of it. */
export interface LedgerHead {
  height: number;
  blockHash: Uint8Array;
  previousBlockHash: Uint8Array;
  /** The head block's stateHash. */
  stateHash: Uint8Array;
  consensusMetadata: Uint8Array;
}

/** Where the world state stands relative to the chain. */
export interface StateStatus {
  /** The block whose state the world state is. */
  blockNumber: number;
  height: number;
  /** True while blockNumber < height - 1: commits are refused and queries would read stale state. */
  behind: boolean;
}

export interface BlockRecord {
  blockNumber: number;
  block: Block;
  blockHash: Uint8Array;
  /** Present when asked for and still kept (the last deltaHistorySize blocks). */
  delta?: StateDelta | undefined;
}

export type VerifyChainResult = { valid: true } | { valid: false; blockNumber: number; reason: string };
