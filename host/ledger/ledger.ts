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
//
// State transfer with this API (Fabric's SyncToTarget): the serving peer answers with
// readBlocks(high, low, { withDeltas }) / getEncodedStateDelta(n) and exportStateSnapshot()
// (chunks through encodeSnapshotChunk). The lagging peer fetches blocks backwards from the
// target hash, checks their links, then either appends each with its delta
// (appendBlockWithDelta: verified against the block's stateHash), or appends them all with
// appendBlocksWithoutState, installs a snapshot of some block it now holds
// (installStateSnapshot) and rolls forward with fetched deltas (rollStateForward(delta)) to the
// head. Anything that does not verify is refused with LedgerRejectedError and changes nothing.
import { BLOCK_TRANSACTIONS_MAX } from '../protocol/limits.ts';
import type { Block, BlockchainInfo } from '../protocol/messages.ts';
import { decodeBlock, encodeBlock, fetchedBlockProblem, storedBlockHash, storedPreviousBlockHash } from './block-store.ts';
import { del, put, sameBytes, shortHex } from './bytes.ts';
import { blockIndexOps, blockNumberByHash, transactionLocation, transactionLocations } from './indexes.ts';
import { BLOCK_COUNT_KEY, STATE_BLOCK_NUMBER_KEY, STATE_GENERATION_KEY, blockKey, stateDeltaKey, stateGenerationRange, stateKey, u32, u64 } from './key-spaces.ts';
import { LedgerClosedError, LedgerCorruptError, LedgerRejectedError } from './ledger-errors.ts';
import { BLOCK_CACHE_ENTRIES, BLOCK_RANGE_MAX, SNAPSHOT_BYTES_MAX_DEFAULT, SNAPSHOT_CHUNK_BYTES_DEFAULT, SNAPSHOT_CHUNK_BYTES_MAX } from './ledger-limits.ts';
import { loadLedger, type LoadedLedger } from './ledger-load.ts';
import { openLevelDb, type BatchOp, type LedgerDb } from './level-db.ts';
import { persistOps, readPersist, readPersistPrefix } from './persist-store.ts';
import { chunkState, type StateSnapshot, type StateSnapshotChunk } from './snapshot.ts';
import { writeSnapshotGeneration } from './snapshot-install.ts';
import { changesFromDelta, changesFromWrites, deltaOf, type StateChange } from './state-changes.ts';
import { decodeStateDelta, encodeStateDelta, invertStateDelta } from './state-delta.ts';
import type { StateHashTrie } from './state-hash.ts';
import type {
  BlockInput,
  BlockRecord,
  CommittedBlock,
  LedgerApi,
  LedgerHead,
  LedgerOptions,
  StateDelta,
  StateStatus,
  TransactionLocation,
  VerifyChainResult,
} from './types.ts';
import type { WorldState } from './world-state.ts';

export type { BlockRecord, LedgerHead, LedgerOptions, StateStatus, VerifyChainResult } from './types.ts';

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

  private constructor(db: LedgerDb, dir: string, deltaHistorySize: number, fields: LoadedLedger) {
    this.#db = db;
    this.#dir = dir;
    this.#deltaHistorySize = deltaHistorySize;
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
      return new Ledger(db, dir, deltaHistorySize, await loadLedger(db, dir, deltaHistorySize));
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
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

  async committedTxids(txids: readonly string[]): Promise<Set<string>> {
    this.#assertOpen();
    const wellFormed = txids.filter((txid) => typeof txid === 'string' && txid !== '' && txid.isWellFormed());
    const committed = new Set<string>();
    for (const [txid, location] of await transactionLocations(this.#db, wellFormed)) {
      if (location.blockNumber < this.#height) committed.add(txid);
    }
    return committed;
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
      const previousHash = storedPreviousBlockHash(upper);
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
    const changes = changesFromWrites(this.#state, input.writes);
    const persist = input.persist === undefined ? [] : persistOps(input.persist);

    const stateHash = this.#applyToTrie(changes);
    const blockNumber = this.#height;
    let block: Block;
    let encoded;
    try {
      block = {
        version: 0,
        timestamp: input.blockTimestamp ?? null,
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
      const changes = changesFromDelta(this.#state, delta, `delta of block ${blockNumber}`);
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
      await this.#moveState(from - 1, changesFromDelta(this.#state, invertStateDelta(delta), `inverted delta of block ${from}`), []);
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
      const changes = changesFromDelta(this.#state, use, `delta of block ${to}`);
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
    if (this.#generation === 0xffff_ffff) throw new LedgerRejectedError('state generation counter exhausted');
    const stateHash = (await this.getBlock(blockNumber))!.stateHash;
    const generation = this.#generation + 1;
    const { state, trie } = await writeSnapshotGeneration(this.#db, { generation, blockNumber, stateHash, bytesMax }, chunks);
    // The switch: one small synced batch. The unsynced batches of the new generation precede it
    // in LevelDB's log, so once it is durable they are too.
    await this.#write([put(STATE_GENERATION_KEY, u32(generation)), put(STATE_BLOCK_NUMBER_KEY, u64(blockNumber))], []);
    const oldGeneration = this.#generation;
    this.#generation = generation;
    this.#state = state;
    this.#trie = trie;
    this.#stateHash = stateHash;
    this.#stateBlockNumber = blockNumber;
    // Garbage now; if clearing fails, the next open clears it.
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
    for (const change of changes) this.#state.set(change.chaincodeName, change.key, change.value);
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
