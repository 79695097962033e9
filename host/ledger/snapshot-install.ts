// Writing a received state snapshot beside the live state: entries are validated (names, sizes,
// strictly increasing order, a total byte bound), written under a new state generation in
// unsynced batches, and hashed; the caller switches generations only if the hash matches.
// On any failure the new generation is cleared again, so the live state is never touched.
import { compareKeys, compositeKey } from '../protocol/keys.ts';
import { put, sameBytes, shortHex } from './bytes.ts';
import { encodeUtf8, stateGenerationRange, stateKey } from './key-spaces.ts';
import { LedgerRejectedError } from './ledger-errors.ts';
import { SNAPSHOT_INSTALL_BATCH_ENTRIES } from './ledger-limits.ts';
import type { BatchOp, LedgerDb } from './level-db.ts';
import type { StateSnapshotChunk } from './snapshot.ts';
import { StateHashTrie } from './state-hash.ts';
import { WorldState, chaincodeNameProblem, stateEntryProblem } from './world-state.ts';

export interface SnapshotTarget {
  generation: number;
  blockNumber: number;
  stateHash: Uint8Array;
  bytesMax: number;
}

/** Writes the snapshot as state generation `target.generation`; returns the state and its trie if it hashes right. */
export async function writeSnapshotGeneration(
  db: LedgerDb,
  target: SnapshotTarget,
  chunks: AsyncIterable<StateSnapshotChunk> | Iterable<StateSnapshotChunk>,
): Promise<{ state: WorldState; trie: StateHashTrie }> {
  const reject = (message: string): never => {
    throw new LedgerRejectedError(`snapshot of block ${target.blockNumber}: ${message}`);
  };
  const keys: string[] = [];
  const values: Uint8Array[] = [];
  const trie = new StateHashTrie();
  let ops: BatchOp[] = [];
  let bytes = 0;
  let last: string | undefined;
  try {
    await db.clear(stateGenerationRange(target.generation));
    for await (const chunk of chunks) {
      if (!chunk || !Array.isArray(chunk.entries)) reject('a chunk has no entry list');
      for (const entry of chunk.entries) {
        const nameProblem = chaincodeNameProblem(entry?.chaincodeName);
        if (nameProblem !== undefined) reject(nameProblem);
        const value = entry.value instanceof Uint8Array ? entry.value : null;
        const entryProblem = typeof entry.key === 'string' ? stateEntryProblem(entry.key, value) : 'state key is not a string';
        if (entryProblem !== undefined) reject(entryProblem);
        if (value === null) reject('entry has no value');
        const composite = compositeKey(entry.chaincodeName, entry.key);
        if (last !== undefined && compareKeys(composite, last) <= 0) reject('entries are not in strictly increasing key order');
        last = composite;
        const compositeBytes = encodeUtf8(composite);
        bytes += compositeBytes.length + value!.length;
        if (bytes > target.bytesMax) reject(`more than ${target.bytesMax} bytes of state`);
        const copy = value!.slice();
        keys.push(composite);
        values.push(copy);
        trie.addForBuild(compositeBytes, copy);
        ops.push(put(stateKey(target.generation, compositeBytes), copy));
        if (ops.length >= SNAPSHOT_INSTALL_BATCH_ENTRIES) {
          await db.batch(ops);
          ops = [];
        }
      }
    }
    trie.finishBuild();
    const actual = trie.rootHash();
    if (!sameBytes(actual, target.stateHash)) reject(`state hash ${shortHex(actual)} does not match the block's stateHash ${shortHex(target.stateHash)}`);
    if (ops.length > 0) await db.batch(ops);
  } catch (error) {
    await db.clear(stateGenerationRange(target.generation)).catch(() => undefined);
    throw error;
  }
  return { state: WorldState.fromSorted(keys, values), trie };
}
