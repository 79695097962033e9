// The ledger: blocks chained by hash, the world state (in memory, stored in LevelDB), its Merkle
// state hash, state deltas, indexes and the peer's persist space, in one LevelDB laid out as
// Fabric's five key spaces (key-spaces.ts). Every change of the chain or the state is one
// synced write batch, so a crash at any moment leaves the previous head or the new one, and
// changes are serialised through one queue.
//
// The world state normally belongs to the head block. State transfer and rollback can leave it
// at an earlier block ("behind": blocks appended without state, or state rolled back by deltas);
// stateStatus() tells, commits are refused until it is back at the head, and every way forward
// (deltas, a snapshot, markStateConsistent) is checked against the stateHash of a block.
import { compareKeys, compositeKey } from '../protocol/keys.ts';
import { BLOCK_TRANSACTIONS_MAX } from '../protocol/limits.ts';
import type { Block, BlockchainInfo, Timestamp } from '../protocol/messages.ts';
import { decodeBlock, encodeBlock, fetchedBlockProblem, storedBlockHash } from './block-store.ts';
import { blockIndexOps, blockNumberByHash, transactionLocation } from './indexes.ts';
import {
  BLOCK_COUNT_KEY,
  FORMAT_VERSION_KEY,
  LEDGER_FORMAT_VERSION,
  STATE_BLOCK_NUMBER_KEY,
  STATE_DATA_RANGE,
  STATE_GENERATION_KEY,
  blockKey,
  compositeKeyOfStateKey,
  decodeUtf8,
  encodeUtf8,
  readU32,
  readU64,
  stateDeltaKey,
  stateDeltasBelow,
  stateGenerationRange,
  stateKey,
  u32,
  u64,
} from './key-spaces.ts';
import { LedgerClosedError, LedgerCorruptError, LedgerRejectedError } from './ledger-errors.ts';
import {
  BLOCK_CACHE_ENTRIES,
  BLOCK_RANGE_MAX,
  SNAPSHOT_BYTES_MAX_DEFAULT,
  SNAPSHOT_CHUNK_BYTES_DEFAULT,
  SNAPSHOT_CHUNK_BYTES_MAX,
  SNAPSHOT_INSTALL_BATCH_ENTRIES,
} from './ledger-limits.ts';
import { forEachEntry, openLevelDb, type BatchOp, type LedgerDb } from './level-db.ts';
import { persistOps, readPersist, readPersistPrefix } from './persist-store.ts';
import { chunkState, type StateSnapshot, type StateSnapshotChunk } from './snapshot.ts';
import { decodeStateDelta, encodeStateDelta, invertStateDelta, stateDeltaProblem } from './state-delta.ts';
import { EMPTY_STATE_HASH, StateHashTrie } from './state-hash.ts';
import type { BlockInput, CommittedBlock, LedgerApi, StateDelta, TransactionLocation, WriteSet } from './types.ts';
import { WorldState, chaincodeNameProblem, splitCompositeKey, stateEntryProblem, stateTreeFromSorted } from './world-state.ts';

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

/** One key's change, as the state, the trie, the delta and the write batch all need it. */
interface StateChange {
  composite: string;
  compositeBytes: Uint8Array;
  previous: Uint8Array | null;
  value: Uint8Array | null;
}

const EMPTY = new Uint8Array(0);

function timestampNow(): Timestamp {
  const ms = Date.now();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function shortHex(bytes: Uint8Array): string {
  return bytes.length === 0 ? '(empty)' : `${Buffer.from(bytes).toString('hex').slice(0, 16)}…`;
}

function put(key: Uint8Array, value: Uint8Array): BatchOp {
  return { type: 'put', key, value };
}

function del(key: Uint8Array): BatchOp {
  return { type: 'del', key };
}

function genesisBlock(): Block {
  return {
    version: 0,
    timestamp: null,
    transactions: [],
    stateHash: EMPTY_STATE_HASH,
    previousBlockHash: EMPTY,
    consensusMetadata: EMPTY,
    nonHashData: { localLedgerCommitTimestamp: timestampNow(), chaincodeEvents: [], transactionResults: [] },
  };
}

export class Ledger implements LedgerApi {
  readonly #db: LedgerDb;
  readonly #dir: string;
  readonly #deltaHistorySize: number;

  #height: number;
  #head: LedgerHead;
  #state: WorldState;
  #trie: StateHashTrie;
  /** Hash of the world state (the trie's root), cached between changes. */
  #stateHash: Uint8Array;
  #stateBlockNumber: number;
  #generation: number;

  #queue: Promise<unknown> = Promise.resolve();
  readonly #pendingPersists = new Set<Promise<unknown>>();
  readonly #blockCache = new Map<number, Block>();
  #closed = false;
  /** Set when a disk write failed: memory and disk may disagree, so only reopening is safe. */
  #failure: Error | undefined;

  private constructor(fields: {
    db: LedgerDb;
    dir: string;
    deltaHistorySize: number;
    height: number;
    head: LedgerHead;
    state: WorldState;
    trie: StateHashTrie;
    stateBlockNumber: number;
    generation: number;
  }) {
    this.#db = fields.db;
    this.#dir = fields.dir;
    this.#deltaHistorySize = fields.deltaHistorySize;
    this.#height = fields.height;
    this.#head = fields.head;
    this.#state = fields.state;
    this.#trie = fields.trie;
    this.#stateHash = fields.trie.rootHash();
    this.#stateBlockNumber = fields.stateBlockNumber;
    this.#generation = fields.generation;
  }

  /**
   * Opens (creating with a genesis block if empty) the ledger in `dir`, loads the world state into
   * memory, rebuilds the state hash and checks it against the stateHash of the state's block.
   * Throws LedgerLockedError if another process has the directory, LedgerCorruptError if the data
   * is damaged or not a weft ledger.
   */
  static async open(dir: string, options: LedgerOptions): Promise<Ledger> {
    const deltaHistorySize = options.deltaHistorySize;
    if (!Number.isSafeInteger(deltaHistorySize) || deltaHistorySize < 0) {
      throw new RangeError(`deltaHistorySize must be a non-negative integer, got ${String(deltaHistorySize)}`);
    }
    const db = await openLevelDb(dir);
    try {
      return await Ledger.#load(db, dir, deltaHistorySize);
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  }

  static async #load(db: LedgerDb, dir: string, deltaHistorySize: number): Promise<Ledger> {
    const corrupt = (message: string, cause?: unknown): never => {
      throw new LedgerCorruptError(`ledger directory ${dir} is corrupt: ${message}`, cause === undefined ? undefined : { cause });
    };
    let countBytes = await db.get(BLOCK_COUNT_KEY);
    if (countBytes === undefined) {
      const any = await db.keys({ limit: 1 }).all();
      if (any.length > 0) corrupt('it has data but no block count (not a weft ledger, or damaged)');
      await Ledger.#writeGenesis(db);
      countBytes = u64(1);
    }
    const version = await db.get(FORMAT_VERSION_KEY);
    if (version === undefined || version.length !== 4) corrupt('no ledger format version');
    if (readU32(version!) !== LEDGER_FORMAT_VERSION) {
      corrupt(`ledger format version ${readU32(version!)}, this weft reads version ${LEDGER_FORMAT_VERSION}`);
    }
    if (countBytes.length !== 8) corrupt('block count is not 8 bytes');
    const height = readU64(countBytes);
    if (height < 1) corrupt('block count is 0');

    const headBytes = await db.get(blockKey(height - 1));
    if (headBytes === undefined) corrupt(`head block ${height - 1} is missing`);
    let headBlock: Block;
    try {
      headBlock = decodeBlock(headBytes!);
    } catch (error) {
      return corrupt(`head block ${height - 1} does not decode`, error);
    }
    const head: LedgerHead = {
      height,
      blockHash: storedBlockHash(headBytes!),
      previousBlockHash: headBlock.previousBlockHash,
      stateHash: headBlock.stateHash,
      consensusMetadata: headBlock.consensusMetadata,
    };

    const generationBytes = await db.get(STATE_GENERATION_KEY);
    const stateBlockBytes = await db.get(STATE_BLOCK_NUMBER_KEY);
    if (generationBytes?.length !== 4 || stateBlockBytes?.length !== 8) corrupt('state metadata is missing');
    const generation = readU32(generationBytes!);
    const stateBlockNumber = readU64(stateBlockBytes!);
    if (stateBlockNumber > height - 1) corrupt(`state belongs to block ${stateBlockNumber}, beyond the head ${height - 1}`);

    // Entries of other generations are what an interrupted snapshot install (or the clean-up
    // after a finished one) left behind.
    const live = stateGenerationRange(generation);
    await db.clear({ gte: STATE_DATA_RANGE.gte, lt: live.gte });
    await db.clear({ gte: live.lt, lt: STATE_DATA_RANGE.lt });

    const keys: string[] = [];
    const values: Uint8Array[] = [];
    const trie = new StateHashTrie();
    let tree;
    try {
      await forEachEntry(db, live, (key, value) => {
        const compositeBytes = compositeKeyOfStateKey(key);
        keys.push(decodeUtf8(compositeBytes));
        values.push(value);
        trie.addForBuild(compositeBytes, value);
      });
      trie.finishBuild();
      tree = stateTreeFromSorted(keys, values);
    } catch (error) {
      return corrupt(`state entries do not load: ${(error as Error).message}`, error);
    }
    const stateBlockBytesStored = stateBlockNumber === height - 1 ? headBytes : await db.get(blockKey(stateBlockNumber));
    if (stateBlockBytesStored === undefined) corrupt(`block ${stateBlockNumber} of the state is missing`);
    const expected = decodeBlock(stateBlockBytesStored!).stateHash;
    const actual = trie.rootHash();
    if (!sameBytes(actual, expected)) {
      corrupt(`state hash ${shortHex(actual)} of the stored state does not match block ${stateBlockNumber}'s stateHash ${shortHex(expected)}`);
    }

    // Deltas beyond the window (left by a run with a larger deltaHistorySize).
    if (height > deltaHistorySize) await db.clear(stateDeltasBelow(height - deltaHistorySize));

    return new Ledger({
      db,
      dir,
      deltaHistorySize,
      height,
      head,
      state: new WorldState(tree),
      trie,
      stateBlockNumber,
      generation,
    });
  }

  static async #writeGenesis(db: LedgerDb): Promise<void> {
    const encoded = encodeBlock(genesisBlock());
    await db.batch(
      [
        put(FORMAT_VERSION_KEY, u32(LEDGER_FORMAT_VERSION)),
        put(blockKey(0), encoded.stored),
        ...blockIndexOps(0, encoded.blockHash, []),
        put(STATE_GENERATION_KEY, u32(0)),
        put(STATE_BLOCK_NUMBER_KEY, u64(0)),
        // Written last in the batch only for reading clarity: the batch is atomic either way.
        put(BLOCK_COUNT_KEY, u64(1)),
      ],
      { sync: true },
    );
  }

  // ---------------------------------------------------------------- reads

  height(): number {
    return this.#height;
  }

  head(): LedgerHead {
    return this.#head;
  }

  blockchainInfo(): BlockchainInfo {
    return { height: this.#height, currentBlockHash: this.#head.blockHash, previousBlockHash: this.#head.previousBlockHash };
  }

  stateHash(): Uint8Array {
    return this.#stateHash;
  }

  stateStatus(): StateStatus {
    return { blockNumber: this.#stateBlockNumber, height: this.#height, behind: this.#stateBlockNumber < this.#height - 1 };
  }

  /** Number of keys in the world state. */
  stateSize(): number {
    return this.#state.size;
  }

  getState(chaincodeName: string, key: string): Uint8Array | undefined {
    return this.#state.get(chaincodeName, key);
  }

  rangeState(chaincodeName: string, startKey: string, endKey: string): Iterator<[string, Uint8Array]> {
    return this.#state.range(chaincodeName, startKey, endKey);
  }

  prefixState(chaincodeName: string, prefix: string): Iterator<[string, Uint8Array]> {
    return this.#state.prefix(chaincodeName, prefix);
  }

  /** The decoded block (shared with a small cache: read it, do not change it). */
  async getBlock(blockNumber: number): Promise<Block | undefined> {
    this.#assertOpen();
    if (!this.#isBlockNumber(blockNumber)) return undefined;
    const cached = this.#blockCache.get(blockNumber);
    if (cached !== undefined) return cached;
    const bytes = await this.#db.get(blockKey(blockNumber));
    if (bytes === undefined) throw new LedgerCorruptError(`block ${blockNumber} is missing below the height ${this.#height}`);
    const block = decodeBlock(bytes);
    this.#cacheBlock(blockNumber, block);
    return block;
  }

  async getBlockHash(blockNumber: number): Promise<Uint8Array | undefined> {
    this.#assertOpen();
    if (!this.#isBlockNumber(blockNumber)) return undefined;
    if (blockNumber === this.#height - 1) return this.#head.blockHash;
    const bytes = await this.#db.get(blockKey(blockNumber));
    if (bytes === undefined) throw new LedgerCorruptError(`block ${blockNumber} is missing below the height ${this.#height}`);
    return storedBlockHash(bytes);
  }

  async getBlockNumberByHash(blockHash: Uint8Array): Promise<number | undefined> {
    if (!(blockHash instanceof Uint8Array) || blockHash.length === 0) return undefined;
    this.#assertOpen();
    const blockNumber = await blockNumberByHash(this.#db, blockHash);
    return blockNumber !== undefined && blockNumber < this.#height ? blockNumber : undefined;
  }

  async getTransaction(txid: string): Promise<TransactionLocation | undefined> {
    if (typeof txid !== 'string' || txid === '' || !txid.isWellFormed()) return undefined;
    this.#assertOpen();
    const location = await transactionLocation(this.#db, txid);
    if (location === undefined || location.blockNumber >= this.#height) return undefined;
    const block = await this.getBlock(location.blockNumber);
    const transaction = block?.transactions[location.index];
    if (transaction === undefined || transaction.txid !== txid) {
      throw new LedgerCorruptError(`transaction index for ${txid} points at block ${location.blockNumber} index ${location.index}, which holds another transaction`);
    }
    return { transaction, blockNumber: location.blockNumber, index: location.index };
  }

  async getStateDelta(blockNumber: number): Promise<StateDelta | undefined> {
    const bytes = await this.getEncodedStateDelta(blockNumber);
    return bytes === undefined ? undefined : decodeStateDelta(bytes);
  }

  /** The stored delta of a block as bytes (encodeStateDelta's format), ready to send to a peer. */
  async getEncodedStateDelta(blockNumber: number): Promise<Uint8Array | undefined> {
    if (!this.#isBlockNumber(blockNumber)) return undefined;
    this.#assertOpen();
    return this.#db.get(stateDeltaKey(blockNumber));
  }

  /**
   * Blocks `from` through `to` inclusive, in that direction (from > to reads backwards, as state
   * transfer fetches them), at most BLOCK_RANGE_MAX; with their deltas if asked and still kept.
   */
  async readBlocks(from: number, to: number, options: { withDeltas?: boolean } = {}): Promise<BlockRecord[]> {
    for (const n of [from, to]) {
      if (!this.#isBlockNumber(n)) throw new LedgerRejectedError(`block ${n} does not exist (height ${this.#height})`);
    }
    const count = Math.abs(to - from) + 1;
    if (count > BLOCK_RANGE_MAX) throw new LedgerRejectedError(`${count} blocks asked for, at most ${BLOCK_RANGE_MAX} per call`);
    const step = to >= from ? 1 : -1;
    const records: BlockRecord[] = [];
    for (let n = from; ; n += step) {
      const block = (await this.getBlock(n))!;
      const record: BlockRecord = { blockNumber: n, block, blockHash: (await this.getBlockHash(n))! };
      if (options.withDeltas) record.delta = await this.getStateDelta(n);
      records.push(record);
      if (n === to) break;
    }
    return records;
  }

  /**
   * Checks the hash chain from block `low` to block `high` (inclusive): each block's
   * previousBlockHash is the hash of the block before, block 0 has none, and the hash index
   * finds each block. Like Fabric's VerifyChain, reports the highest block where it breaks.
   */
  async verifyChain(low: number, high: number): Promise<VerifyChainResult> {
    if (!this.#isBlockNumber(low) || !this.#isBlockNumber(high) || low > high) {
      throw new LedgerRejectedError(`cannot verify blocks ${low}..${high} (height ${this.#height})`);
    }
    this.#assertOpen();
    let upper = (await this.#db.get(blockKey(high)))!;
    if (high === this.#height - 1 && !sameBytes(storedBlockHash(upper), this.#head.blockHash)) {
      return { valid: false, blockNumber: high, reason: 'head block does not hash to the head block hash' };
    }
    for (let n = high; ; n--) {
      const upperHash = storedBlockHash(upper);
      if ((await blockNumberByHash(this.#db, upperHash)) !== n) {
        return { valid: false, blockNumber: n, reason: `block hash index does not map ${shortHex(upperHash)} to block ${n}` };
      }
      const previousHash = decodeBlock(upper).previousBlockHash;
      if (n === 0) {
        if (previousHash.length !== 0) return { valid: false, blockNumber: 0, reason: 'genesis block has a previousBlockHash' };
        break;
      }
      if (n === low) break;
      const lower = await this.#db.get(blockKey(n - 1));
      if (lower === undefined) return { valid: false, blockNumber: n, reason: `block ${n - 1} is missing` };
      if (!sameBytes(storedBlockHash(lower), previousHash)) {
        return { valid: false, blockNumber: n, reason: `previousBlockHash of block ${n} is not the hash of block ${n - 1}` };
      }
      upper = lower;
    }
    return { valid: true };
  }

  /** The world state as a stream of chunks of about `chunkBytes`, frozen at the call. */
  exportStateSnapshot(options: { chunkBytes?: number } = {}): StateSnapshot {
    this.#assertOpen();
    const chunkBytes = options.chunkBytes ?? SNAPSHOT_CHUNK_BYTES_DEFAULT;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > SNAPSHOT_CHUNK_BYTES_MAX) {
      throw new RangeError(`chunkBytes must be between 1 and ${SNAPSHOT_CHUNK_BYTES_MAX}`);
    }
    return {
      blockNumber: this.#stateBlockNumber,
      stateHash: this.#stateHash,
      entryCount: this.#state.size,
      chunks: chunkState(this.#state.entries(), chunkBytes),
    };
  }

  // ---------------------------------------------------------------- persist space

  async getPersist(key: string): Promise<Uint8Array | undefined> {
    this.#assertOpen();
    return readPersist(this.#db, key);
  }

  /** Every persist entry whose key starts with `prefix` (ConsensusStorage.load). */
  async loadPersist(prefix: string): Promise<Map<string, Uint8Array>> {
    this.#assertOpen();
    return readPersistPrefix(this.#db, prefix);
  }

  putPersist(key: string, value: Uint8Array): Promise<void> {
    return this.writePersist(new Map([[key, value]]));
  }

  deletePersist(key: string): Promise<void> {
    return this.writePersist(new Map([[key, null]]));
  }

  /** Puts (value) and deletes (null) in one synced batch (ConsensusStorage.write). */
  async writePersist(changes: Map<string, Uint8Array | null>): Promise<void> {
    this.#assertWritable();
    const ops = persistOps(changes);
    if (ops.length === 0) return;
    const write = this.#db.batch(ops, { sync: true });
    this.#pendingPersists.add(write);
    try {
      await write;
    } finally {
      this.#pendingPersists.delete(write);
    }
  }

  // ---------------------------------------------------------------- commits

  commitBlock(input: BlockInput): Promise<CommittedBlock> {
    return this.#serial(() => this.#commitBlock(input));
  }

  async #commitBlock(input: BlockInput): Promise<CommittedBlock> {
    this.#assertWritable();
    this.#assertStateAtHead('commit a block');
    if (!Array.isArray(input.transactions) || input.transactions.length > BLOCK_TRANSACTIONS_MAX) {
      throw new LedgerRejectedError(`a block holds at most ${BLOCK_TRANSACTIONS_MAX} transactions`);
    }
    if (!(input.consensusMetadata instanceof Uint8Array)) throw new LedgerRejectedError('consensusMetadata is not bytes');
    const changes = this.#changesFromWrites(input.writes);
    const persist = input.persist === undefined ? [] : persistOps(input.persist);

    const stateHash = this.#applyToTrie(changes);
    const blockNumber = this.#height;
    let block: Block;
    let encoded;
    try {
      block = {
        version: 0,
        timestamp: null,
        transactions: input.transactions,
        stateHash,
        previousBlockHash: this.#head.blockHash,
        consensusMetadata: input.consensusMetadata,
        nonHashData: {
          localLedgerCommitTimestamp: input.commitTimestamp,
          chaincodeEvents: input.chaincodeEvents,
          transactionResults: input.transactionResults,
        },
      };
      encoded = encodeBlock(block);
    } catch (error) {
      this.#revertTrie(changes);
      throw new LedgerRejectedError(`block ${blockNumber} does not encode: ${(error as Error).message}`, { cause: error });
    }
    const ops = [
      ...this.#blockOps(blockNumber, block, encoded),
      ...this.#stateOps(changes),
      ...this.#deltaOps(blockNumber, changes, blockNumber + 1),
      put(STATE_BLOCK_NUMBER_KEY, u64(blockNumber)),
      ...persist,
    ];
    await this.#write(ops, changes);
    this.#applyToState(changes, stateHash);
    this.#stateBlockNumber = blockNumber;
    this.#advanceHead(blockNumber, block, encoded.blockHash);
    return { blockNumber, block, blockHash: encoded.blockHash };
  }

  /**
   * Appends a block fetched from another peer with its state delta (state transfer by deltas).
   * The block must link to the head (and hash to `expectedBlockHash` if given), the delta's
   * previous values must be the current state, and the state after the delta must hash to the
   * block's stateHash. Otherwise LedgerRejectedError, and nothing changed.
   */
  appendBlockWithDelta(block: Block, delta: StateDelta, expectedBlockHash?: Uint8Array): Promise<CommittedBlock> {
    return this.#serial(async () => {
      this.#assertWritable();
      this.#assertStateAtHead('append a block with its delta');
      const blockNumber = this.#height;
      const encoded = this.#checkFetchedBlock(block, blockNumber, this.#head.blockHash, expectedBlockHash);
      const changes = this.#changesFromDelta(delta, `delta of block ${blockNumber}`);
      const stateHash = this.#applyToTrie(changes);
      if (!sameBytes(stateHash, block.stateHash)) {
        this.#revertTrie(changes);
        throw new LedgerRejectedError(
          `block ${blockNumber}: state hash after its delta ${shortHex(stateHash)} does not match its stateHash ${shortHex(block.stateHash)}`,
        );
      }
      const ops = [
        ...this.#blockOps(blockNumber, block, encoded),
        ...this.#stateOps(changes),
        ...this.#deltaOps(blockNumber, changes, blockNumber + 1),
        put(STATE_BLOCK_NUMBER_KEY, u64(blockNumber)),
      ];
      await this.#write(ops, changes);
      this.#applyToState(changes, stateHash);
      this.#stateBlockNumber = blockNumber;
      this.#advanceHead(blockNumber, block, encoded.blockHash);
      return { blockNumber, block, blockHash: encoded.blockHash };
    });
  }

  /**
   * Appends blocks fetched from other peers without their state (state transfer by snapshot, or
   * blocks first and state after). Each must link to the one before, the first to the head, and
   * the last hash to `expectedLastBlockHash` if given. The state stays where it is, so the
   * ledger reports itself behind until the state is brought forward.
   */
  appendBlocksWithoutState(blocks: Block[], expectedLastBlockHash?: Uint8Array): Promise<LedgerHead> {
    return this.#serial(async () => {
      this.#assertWritable();
      if (!Array.isArray(blocks) || blocks.length === 0) throw new LedgerRejectedError('no blocks to append');
      if (blocks.length > BLOCK_RANGE_MAX) throw new LedgerRejectedError(`${blocks.length} blocks, at most ${BLOCK_RANGE_MAX} per call`);
      const ops: BatchOp[] = [];
      let previousHash = this.#head.blockHash;
      const encodedBlocks = [];
      for (let i = 0; i < blocks.length; i++) {
        const blockNumber = this.#height + i;
        const expected = i === blocks.length - 1 ? expectedLastBlockHash : undefined;
        const encoded = this.#checkFetchedBlock(blocks[i]!, blockNumber, previousHash, expected);
        ops.push(...this.#blockOps(blockNumber, blocks[i]!, encoded));
        encodedBlocks.push(encoded);
        previousHash = encoded.blockHash;
      }
      await this.#write(ops, []);
      for (let i = 0; i < blocks.length; i++) this.#advanceHead(this.#height, blocks[i]!, encodedBlocks[i]!.blockHash);
      return this.#head;
    });
  }

  /** Rolls the world state back one block by its stored delta (the chain stays). */
  rollStateBack(): Promise<StateStatus> {
    return this.#serial(async () => {
      this.#assertWritable();
      const from = this.#stateBlockNumber;
      if (from === 0) throw new LedgerRejectedError('the state is at the genesis block; nothing to roll back');
      const delta = await this.getStateDelta(from);
      if (delta === undefined) {
        throw new LedgerRejectedError(`no state delta for block ${from} (deltas are kept for the last ${this.#deltaHistorySize} blocks)`);
      }
      await this.#moveState(from - 1, this.#changesFromDelta(invertStateDelta(delta), `inverted delta of block ${from}`), []);
      return this.stateStatus();
    });
  }

  /**
   * Rolls the world state forward one block: by `delta` (fetched from a peer; verified and then
   * kept) or by the stored delta of that block.
   */
  rollStateForward(delta?: StateDelta): Promise<StateStatus> {
    return this.#serial(async () => {
      this.#assertWritable();
      const to = this.#stateBlockNumber + 1;
      if (to >= this.#height) throw new LedgerRejectedError(`the state is at the head block ${to - 1}; nothing to roll forward`);
      const use = delta ?? (await this.getStateDelta(to));
      if (use === undefined) throw new LedgerRejectedError(`no state delta for block ${to}`);
      const changes = this.#changesFromDelta(use, `delta of block ${to}`);
      const keep = delta !== undefined ? this.#deltaOps(to, changes, this.#height) : [];
      await this.#moveState(to, changes, keep);
      return this.stateStatus();
    });
  }

  /**
   * Replaces the world state with a snapshot of the state of block `blockNumber` (which the chain
   * must hold). Entries must come in strictly increasing composite-key order; the result must
   * hash to that block's stateHash. Atomic: until the final synced switch the old state stays
   * the state (also across a crash); a rejected snapshot leaves the ledger unchanged.
   */
  installStateSnapshot(
    blockNumber: number,
    chunks: AsyncIterable<StateSnapshotChunk> | Iterable<StateSnapshotChunk>,
    options: { bytesMax?: number } = {},
  ): Promise<StateStatus> {
    return this.#serial(() => this.#installStateSnapshot(blockNumber, chunks, options.bytesMax ?? SNAPSHOT_BYTES_MAX_DEFAULT));
  }

  async #installStateSnapshot(
    blockNumber: number,
    chunks: AsyncIterable<StateSnapshotChunk> | Iterable<StateSnapshotChunk>,
    bytesMax: number,
  ): Promise<StateStatus> {
    this.#assertWritable();
    if (!this.#isBlockNumber(blockNumber)) throw new LedgerRejectedError(`snapshot of block ${blockNumber}, which the chain does not hold (height ${this.#height})`);
    const target = (await this.getBlock(blockNumber))!.stateHash;
    if (this.#generation === 0xffff_ffff) throw new LedgerRejectedError('state generation counter exhausted');
    const generation = this.#generation + 1;
    const keys: string[] = [];
    const values: Uint8Array[] = [];
    const trie = new StateHashTrie();
    let ops: BatchOp[] = [];
    let bytes = 0;
    let last: string | undefined;
    const reject = (message: string): never => {
      throw new LedgerRejectedError(`snapshot of block ${blockNumber}: ${message}`);
    };
    try {
      await this.#db.clear(stateGenerationRange(generation));
      for await (const chunk of chunks) {
        if (!chunk || !Array.isArray(chunk.entries)) reject('a chunk has no entry list');
        for (const entry of chunk.entries) {
          const nameProblem = chaincodeNameProblem(entry?.chaincodeName);
          if (nameProblem !== undefined) reject(nameProblem);
          const entryProblem = stateEntryProblem(entry.key, entry.value ?? null) ?? (entry.value ? undefined : 'entry has no value');
          if (entryProblem !== undefined) reject(entryProblem);
          const composite = compositeKey(entry.chaincodeName, entry.key);
          if (last !== undefined && compareKeys(composite, last) <= 0) reject('entries are not in strictly increasing key order');
          last = composite;
          const compositeBytes = encodeUtf8(composite);
          bytes += compositeBytes.length + entry.value.length;
          if (bytes > bytesMax) reject(`more than ${bytesMax} bytes of state`);
          const value = entry.value.slice();
          keys.push(composite);
          values.push(value);
          trie.addForBuild(compositeBytes, value);
          ops.push(put(stateKey(generation, compositeBytes), value));
          if (ops.length >= SNAPSHOT_INSTALL_BATCH_ENTRIES) {
            await this.#db.batch(ops);
            ops = [];
          }
        }
      }
      trie.finishBuild();
      const actual = trie.rootHash();
      if (!sameBytes(actual, target)) reject(`state hash ${shortHex(actual)} does not match the block's stateHash ${shortHex(target)}`);
      if (ops.length > 0) await this.#db.batch(ops);
    } catch (error) {
      await this.#db.clear(stateGenerationRange(generation)).catch(() => undefined);
      throw error;
    }
    // The switch: one small synced batch. Earlier unsynced batches precede it in LevelDB's log,
    // so once it is durable they are too.
    await this.#write([put(STATE_GENERATION_KEY, u32(generation)), put(STATE_BLOCK_NUMBER_KEY, u64(blockNumber))], []);
    const oldGeneration = this.#generation;
    this.#generation = generation;
    this.#state = new WorldState(stateTreeFromSorted(keys, values));
    this.#trie = trie;
    this.#stateHash = target;
    this.#stateBlockNumber = blockNumber;
    // Garbage now; if this fails, open clears it.
    await this.#db.clear(stateGenerationRange(oldGeneration)).catch(() => undefined);
    return this.stateStatus();
  }

  /**
   * Declares the state consistent with the head block if it is: its hash must equal the head
   * block's stateHash (e.g. blocks appended without state changed nothing). Throws otherwise.
   */
  markStateConsistent(): Promise<StateStatus> {
    return this.#serial(async () => {
      this.#assertWritable();
      const headNumber = this.#height - 1;
      if (this.#stateBlockNumber === headNumber) return this.stateStatus();
      if (!sameBytes(this.#stateHash, this.#head.stateHash)) {
        throw new LedgerRejectedError(
          `state of block ${this.#stateBlockNumber} (hash ${shortHex(this.#stateHash)}) is not the head block ${headNumber}'s state (${shortHex(this.#head.stateHash)})`,
        );
      }
      await this.#write([put(STATE_BLOCK_NUMBER_KEY, u64(headNumber))], []);
      this.#stateBlockNumber = headNumber;
      return this.stateStatus();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await Promise.allSettled([...this.#pendingPersists]);
    await this.#db.close();
  }

  // ---------------------------------------------------------------- internals

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #isBlockNumber(blockNumber: number): boolean {
    return Number.isSafeInteger(blockNumber) && blockNumber >= 0 && blockNumber < this.#height;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LedgerClosedError(`ledger ${this.#dir} is closed`);
  }

  #assertWritable(): void {
    this.#assertOpen();
    if (this.#failure !== undefined) {
      throw new LedgerClosedError(`ledger ${this.#dir} is unusable after a failed disk write (${this.#failure.message}); reopen it`);
    }
  }

  #assertStateAtHead(what: string): void {
    if (this.#stateBlockNumber !== this.#height - 1) {
      throw new LedgerRejectedError(`cannot ${what}: the state is at block ${this.#stateBlockNumber}, behind the head block ${this.#height - 1}`);
    }
  }

  #changesFromWrites(writes: WriteSet): StateChange[] {
    if (!(writes instanceof Map)) throw new LedgerRejectedError('writes is not a Map');
    const changes: StateChange[] = [];
    for (const [chaincodeName, keys] of writes) {
      const nameProblem = chaincodeNameProblem(chaincodeName);
      if (nameProblem !== undefined) throw new LedgerRejectedError(`write to ${JSON.stringify(chaincodeName)}: ${nameProblem}`);
      if (!(keys instanceof Map)) throw new LedgerRejectedError(`writes of ${chaincodeName} are not a Map`);
      for (const [key, value] of keys) {
        const problem = typeof key === 'string' ? stateEntryProblem(key, value) : 'state key is not a string';
        if (problem !== undefined) throw new LedgerRejectedError(`write to ${chaincodeName}/${JSON.stringify(String(key).slice(0, 80))}: ${problem}`);
        const composite = compositeKey(chaincodeName, key);
        // Copied: the caller's buffers may be reused (e.g. views of Wasm memory).
        changes.push({
          composite,
          compositeBytes: encodeUtf8(composite),
          previous: this.#state.getComposite(composite) ?? null,
          value: value === null ? null : value.slice(),
        });
      }
    }
    return changes;
  }

  /** Changes of a delta, checking its previous values against the current state. */
  #changesFromDelta(delta: StateDelta, what: string): StateChange[] {
    if (!(delta instanceof Map)) throw new LedgerRejectedError(`${what} is not a Map`);
    for (const keys of delta.values()) if (!(keys instanceof Map)) throw new LedgerRejectedError(`${what} is malformed`);
    const problem = stateDeltaProblem(delta);
    if (problem !== undefined) throw new LedgerRejectedError(`${what}: ${problem}`);
    const changes: StateChange[] = [];
    for (const [chaincodeName, keys] of delta) {
      for (const [key, { previous, value }] of keys) {
        const composite = compositeKey(chaincodeName, key);
        const current = this.#state.getComposite(composite) ?? null;
        const matches = current === null ? previous === null : previous !== null && sameBytes(current, previous);
        if (!matches) {
          throw new LedgerRejectedError(`${what}: previous value of ${chaincodeName}/${JSON.stringify(key.slice(0, 80))} is not the current state`);
        }
        changes.push({ composite, compositeBytes: encodeUtf8(composite), previous: current, value: value === null ? null : value.slice() });
      }
    }
    return changes;
  }

  #applyToTrie(changes: StateChange[]): Uint8Array {
    for (const change of changes) this.#trie.set(change.compositeBytes, change.value, change.previous !== null);
    return this.#trie.rootHash();
  }

  #revertTrie(changes: StateChange[]): void {
    for (let i = changes.length - 1; i >= 0; i--) {
      const change = changes[i]!;
      this.#trie.set(change.compositeBytes, change.previous, change.value !== null);
    }
    this.#trie.rootHash();
  }

  #applyToState(changes: StateChange[], stateHash: Uint8Array): void {
    for (const change of changes) this.#state.setComposite(change.composite, change.value);
    this.#stateHash = stateHash;
  }

  /** Moves the state to block `to` by `changes`, checked against that block's stateHash. */
  async #moveState(to: number, changes: StateChange[], extraOps: BatchOp[]): Promise<void> {
    const target = (await this.getBlock(to))!.stateHash;
    const stateHash = this.#applyToTrie(changes);
    if (!sameBytes(stateHash, target)) {
      this.#revertTrie(changes);
      throw new LedgerRejectedError(`state hash after the delta ${shortHex(stateHash)} does not match block ${to}'s stateHash ${shortHex(target)}`);
    }
    await this.#write([...this.#stateOps(changes), ...extraOps, put(STATE_BLOCK_NUMBER_KEY, u64(to))], changes);
    this.#applyToState(changes, stateHash);
    this.#stateBlockNumber = to;
  }

  #checkFetchedBlock(block: Block, blockNumber: number, previousHash: Uint8Array, expectedHash: Uint8Array | undefined) {
    const problem = fetchedBlockProblem(block);
    if (problem !== undefined) throw new LedgerRejectedError(`block ${blockNumber}: ${problem}`);
    if (!sameBytes(block.previousBlockHash, previousHash)) {
      throw new LedgerRejectedError(`block ${blockNumber}: previousBlockHash ${shortHex(block.previousBlockHash)} is not the hash of block ${blockNumber - 1} (${shortHex(previousHash)})`);
    }
    let encoded;
    try {
      encoded = encodeBlock(block);
    } catch (error) {
      throw new LedgerRejectedError(`block ${blockNumber} does not encode: ${(error as Error).message}`, { cause: error });
    }
    if (expectedHash !== undefined && !sameBytes(encoded.blockHash, expectedHash)) {
      throw new LedgerRejectedError(`block ${blockNumber}: hash ${shortHex(encoded.blockHash)} is not the expected ${shortHex(expectedHash)}`);
    }
    return encoded;
  }

  #blockOps(blockNumber: number, block: Block, encoded: { stored: Uint8Array; blockHash: Uint8Array }): BatchOp[] {
    return [
      put(blockKey(blockNumber), encoded.stored),
      ...blockIndexOps(blockNumber, encoded.blockHash, block.transactions),
      put(BLOCK_COUNT_KEY, u64(blockNumber + 1)),
    ];
  }

  #stateOps(changes: StateChange[]): BatchOp[] {
    return changes.map((change) =>
      change.value === null
        ? del(stateKey(this.#generation, change.compositeBytes))
        : put(stateKey(this.#generation, change.compositeBytes), change.value),
    );
  }

  /**
   * The delta of block `blockNumber` if it falls in the kept window (the last deltaHistorySize
   * blocks once `newHeight` is the height); for a new block also the pruning of the delta that
   * falls out of the window.
   */
  #deltaOps(blockNumber: number, changes: StateChange[], newHeight: number): BatchOp[] {
    const windowStart = newHeight - this.#deltaHistorySize;
    const ops: BatchOp[] = [];
    if (blockNumber >= windowStart) ops.push(put(stateDeltaKey(blockNumber), encodeStateDelta(deltaOf(changes))));
    if (blockNumber === newHeight - 1 && windowStart - 1 >= 0) ops.push(del(stateDeltaKey(windowStart - 1)));
    return ops;
  }

  /** One synced batch; on failure undoes the trie changes and poisons the ledger. */
  async #write(ops: BatchOp[], changes: StateChange[]): Promise<void> {
    try {
      await this.#db.batch(ops, { sync: true });
    } catch (error) {
      this.#revertTrie(changes);
      this.#failure = error as Error;
      throw new LedgerClosedError(`ledger ${this.#dir}: disk write failed: ${(error as Error).message}`, { cause: error });
    }
  }

  #advanceHead(blockNumber: number, block: Block, blockHash: Uint8Array): void {
    this.#height = blockNumber + 1;
    this.#head = {
      height: this.#height,
      blockHash,
      previousBlockHash: block.previousBlockHash,
      stateHash: block.stateHash,
      consensusMetadata: block.consensusMetadata,
    };
    this.#cacheBlock(blockNumber, block);
  }

  #cacheBlock(blockNumber: number, block: Block): void {
    this.#blockCache.delete(blockNumber);
    this.#blockCache.set(blockNumber, block);
    if (this.#blockCache.size > BLOCK_CACHE_ENTRIES) this.#blockCache.delete(this.#blockCache.keys().next().value!);
  }
}

function deltaOf(changes: StateChange[]): StateDelta {
  const delta: StateDelta = new Map();
  for (const change of changes) {
    const { chaincodeName, key } = splitCompositeKey(change.composite);
    let keys = delta.get(chaincodeName);
    if (keys === undefined) {
      keys = new Map();
      delta.set(chaincodeName, keys);
    }
    keys.set(key, { previous: change.previous, value: change.value });
  }
  return delta;
}
