// A block's state changes in the one form the world state, the state hash, the delta and the
// write batch all need: composite key (string and UTF-8), value before and after. Built from an
// executor's WriteSet or from a delta (another peer's, or our own inverted for a rollback), and
// validated on the way: nothing invalid reaches the trie or the disk.
import { compositeKey } from '../protocol/keys.ts';
import { sameBytes } from './bytes.ts';
import { encodeUtf8 } from './key-spaces.ts';
import { LedgerRejectedError } from './ledger-errors.ts';
import { stateDeltaProblem } from './state-delta.ts';
import type { StateDelta, WriteSet } from './types.ts';
import { chaincodeNameProblem, stateEntryProblem, type WorldState } from './world-state.ts';

export interface StateChange {
  chaincodeName: string;
  key: string;
  /** UTF-8 of the composite key (chaincode 0x00 key): the trie's and LevelDB's key. */
  compositeBytes: Uint8Array;
  previous: Uint8Array | null;
  value: Uint8Array | null;
}

/** The changes of a WriteSet against the current state. Values are copied: the caller's buffers may be reused. */
export function changesFromWrites(state: WorldState, writes: WriteSet): StateChange[] {
  if (!(writes instanceof Map)) throw new LedgerRejectedError('writes is not a Map');
  const changes: StateChange[] = [];
  for (const [chaincodeName, keys] of writes) {
    const nameProblem = chaincodeNameProblem(chaincodeName);
    if (nameProblem !== undefined) throw new LedgerRejectedError(`write to ${JSON.stringify(chaincodeName)}: ${nameProblem}`);
    if (!(keys instanceof Map)) throw new LedgerRejectedError(`writes of ${chaincodeName} are not a Map`);
    for (const [key, value] of keys) {
      const problem = typeof key === 'string' ? stateEntryProblem(key, value) : 'state key is not a string';
      if (problem !== undefined) throw new LedgerRejectedError(`write to ${chaincodeName}/${JSON.stringify(String(key).slice(0, 80))}: ${problem}`);
      changes.push({
        chaincodeName,
        key,
        compositeBytes: encodeUtf8(compositeKey(chaincodeName, key)),
        previous: state.get(chaincodeName, key) ?? null,
        value: value === null ? null : value.slice(),
      });
    }
  }
  return changes;
}

/** The changes of a delta, whose previous values must be the current state. */
export function changesFromDelta(state: WorldState, delta: StateDelta, what: string): StateChange[] {
  if (!(delta instanceof Map)) throw new LedgerRejectedError(`${what} is not a Map`);
  for (const keys of delta.values()) if (!(keys instanceof Map)) throw new LedgerRejectedError(`${what} is malformed`);
  const problem = stateDeltaProblem(delta);
  if (problem !== undefined) throw new LedgerRejectedError(`${what}: ${problem}`);
  const changes: StateChange[] = [];
  for (const [chaincodeName, keys] of delta) {
    for (const [key, { previous, value }] of keys) {
      const current = state.get(chaincodeName, key) ?? null;
      const matches = current === null ? previous === null : previous !== null && sameBytes(current, previous);
      if (!matches) throw new LedgerRejectedError(`${what}: previous value of ${chaincodeName}/${JSON.stringify(key.slice(0, 80))} is not the current state`);
      changes.push({ chaincodeName, key, compositeBytes: encodeUtf8(compositeKey(chaincodeName, key)), previous: current, value: value === null ? null : value.slice() });
    }
  }
  return changes;
}

export function deltaOf(changes: StateChange[]): StateDelta {
  const delta: StateDelta = new Map();
  for (const { chaincodeName, key, previous, value } of changes) {
    let keys = delta.get(chaincodeName);
    if (keys === undefined) {
      keys = new Map();
      delta.set(chaincodeName, keys);
    }
    keys.set(key, { previous, value });
  }
  return delta;
}
