// Opening a ledger's LevelDB: the genesis block on first open, then the head, the state's
// generation and block, the world state into memory and its state hash rebuilt and checked
// against the stateHash of the block it belongs to. Anything that does not fit is reported as
// LedgerCorruptError rather than repaired silently.
import type { Block, Timestamp } from '../protocol/messages.ts';
import { decodeBlock, encodeBlock, storedBlockHash } from './block-store.ts';
import { put, sameBytes, shortHex } from './bytes.ts';
import { blockIndexOps } from './indexes.ts';
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
  readU32,
  readU64,
  stateDeltasBelow,
  stateGenerationRange,
  u32,
  u64,
} from './key-spaces.ts';
import { LedgerCorruptError } from './ledger-errors.ts';
import { forEachEntry, type LedgerDb } from './level-db.ts';
import { EMPTY_STATE_HASH, StateHashTrie } from './state-hash.ts';
import type { LedgerHead } from './types.ts';
import { WorldState } from './world-state.ts';

const EMPTY = new Uint8Array(0);

export interface LoadedLedger {
  height: number;
  head: LedgerHead;
  state: WorldState;
  trie: StateHashTrie;
  stateBlockNumber: number;
  generation: number;
}

function timestampNow(): Timestamp {
  const ms = Date.now();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** Block 0, as Fabric: no transactions, no previous hash; its state is the empty state. */
export function genesisBlock(): Block {
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

async function writeGenesis(db: LedgerDb): Promise<void> {
  const encoded = encodeBlock(genesisBlock());
  await db.batch(
    [
      put(FORMAT_VERSION_KEY, u32(LEDGER_FORMAT_VERSION)),
      put(blockKey(0), encoded.stored),
      ...blockIndexOps(0, encoded.blockHash, []),
      put(STATE_GENERATION_KEY, u32(0)),
      put(STATE_BLOCK_NUMBER_KEY, u64(0)),
      put(BLOCK_COUNT_KEY, u64(1)),
    ],
    { sync: true },
  );
}

export async function loadLedger(db: LedgerDb, dir: string, deltaHistorySize: number): Promise<LoadedLedger> {
  const corrupt = (message: string, cause?: unknown): never => {
    throw new LedgerCorruptError(`ledger directory ${dir} is corrupt: ${message}`, cause === undefined ? undefined : { cause });
  };
  let countBytes = await db.get(BLOCK_COUNT_KEY);
  if (countBytes === undefined) {
    const any = await db.keys({ limit: 1 }).all();
    if (any.length > 0) corrupt('it has data but no block count (not a weft ledger, or damaged)');
    await writeGenesis(db);
    countBytes = u64(1);
  }
  const version = await db.get(FORMAT_VERSION_KEY);
  if (version === undefined || version.length !== 4) return corrupt('no ledger format version');
  if (readU32(version) !== LEDGER_FORMAT_VERSION) {
    // Not damage: another weft wrote it. Say so, and what to do.
    throw new LedgerCorruptError(
      `ledger directory ${dir} has ledger format ${readU32(version)}, and this weft reads format ${LEDGER_FORMAT_VERSION}: ` +
        'open it with the weft that wrote it, or start this one on an empty data directory (a peer then catches up from the network)',
    );
  }
  if (countBytes.length !== 8) corrupt('block count is not 8 bytes');
  const height = readU64(countBytes);
  if (height < 1) corrupt('block count is 0');

  const headBytes = await db.get(blockKey(height - 1));
  if (headBytes === undefined) return corrupt(`head block ${height - 1} is missing`);
  let headBlock: Block;
  try {
    headBlock = decodeBlock(headBytes);
  } catch (error) {
    return corrupt(`head block ${height - 1} does not decode`, error);
  }
  const head: LedgerHead = {
    height,
    blockHash: storedBlockHash(headBytes),
    previousBlockHash: headBlock.previousBlockHash,
    stateHash: headBlock.stateHash,
    consensusMetadata: headBlock.consensusMetadata,
  };

  const generationBytes = await db.get(STATE_GENERATION_KEY);
  const stateBlockBytes = await db.get(STATE_BLOCK_NUMBER_KEY);
  if (generationBytes?.length !== 4 || stateBlockBytes?.length !== 8) return corrupt('state metadata is missing');
  const generation = readU32(generationBytes);
  const stateBlockNumber = readU64(stateBlockBytes);
  if (stateBlockNumber > height - 1) corrupt(`state belongs to block ${stateBlockNumber}, beyond the head ${height - 1}`);

  // Entries of other generations are what an interrupted snapshot install (or the clean-up
  // after a finished one) left behind.
  const live = stateGenerationRange(generation);
  await db.clear({ gte: STATE_DATA_RANGE.gte, lt: live.gte });
  await db.clear({ gte: live.lt, lt: STATE_DATA_RANGE.lt });

  const keys: string[] = [];
  const values: Uint8Array[] = [];
  const trie = new StateHashTrie();
  let state: WorldState;
  try {
    await forEachEntry(db, live, (key, value) => {
      const compositeBytes = compositeKeyOfStateKey(key);
      keys.push(decodeUtf8(compositeBytes));
      values.push(value);
      trie.addForBuild(compositeBytes, value);
    });
    trie.finishBuild();
    state = WorldState.fromSorted(keys, values);
  } catch (error) {
    return corrupt(`state entries do not load: ${(error as Error).message}`, error);
  }
  const stateBlockStored = stateBlockNumber === height - 1 ? headBytes : await db.get(blockKey(stateBlockNumber));
  if (stateBlockStored === undefined) return corrupt(`block ${stateBlockNumber} of the state is missing`);
  const expected = decodeBlock(stateBlockStored).stateHash;
  const actual = trie.rootHash();
  if (!sameBytes(actual, expected)) {
    corrupt(`state hash ${shortHex(actual)} of the stored state does not match block ${stateBlockNumber}'s stateHash ${shortHex(expected)}`);
  }

  // Deltas beyond the window (left by a run with a larger deltaHistorySize).
  if (height > deltaHistorySize) await db.clear(stateDeltasBelow(height - deltaHistorySize));

  return { height, head, state, trie, stateBlockNumber, generation };
}
