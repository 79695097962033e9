// State deltas: per block, every key it wrote with the value before and after (null = absent).
// Kept for the last deltaHistorySize blocks to roll state back and forward and to let lagging
// peers catch up without a full snapshot (Fabric's stateDeltaCF). The encoding is canonical
// (namespaces and keys in UTF-8 byte order), so equal deltas encode to equal bytes, and decoding
// treats its input as hostile: bounded, well-formed, strictly ordered, no duplicates.
//
//   u8 version(1) u32 namespaceCount { string name u32 keyCount { string key opt previous opt value }* }*
//   string = u32 length ‖ UTF-8, opt = u8 0 | u8 1 ‖ u32 length ‖ bytes
import { compareKeys } from '../protocol/keys.ts';
import { CHAINCODE_NAME_BYTES_MAX, STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX } from '../protocol/limits.ts';
import { ByteReader, ByteWriter, DecodeError } from './byte-codec.ts';
import { STATE_DELTA_BYTES_MAX, STATE_DELTA_KEYS_MAX } from './ledger-limits.ts';
import type { StateDelta } from './types.ts';
import { chaincodeNameProblem, stateEntryProblem } from './world-state.ts';

const STATE_DELTA_VERSION = 1;
/** Smallest encoded namespace (empty name, no keys) and key entry (empty key, two absent values). */
const NAMESPACE_BYTES_MIN = 8;
const KEY_ENTRY_BYTES_MIN = 6;

export function encodeStateDelta(delta: StateDelta): Uint8Array {
  const writer = new ByteWriter();
  writer.u8(STATE_DELTA_VERSION);
  const namespaces = [...delta.keys()].sort(compareKeys);
  writer.u32(namespaces.length);
  for (const namespace of namespaces) {
    const keys = delta.get(namespace)!;
    writer.string(namespace);
    const sorted = [...keys.keys()].sort(compareKeys);
    writer.u32(sorted.length);
    for (const key of sorted) {
      const change = keys.get(key)!;
      writer.string(key);
      writer.optionalBytes(change.previous);
      writer.optionalBytes(change.value);
    }
  }
  return writer.finish();
}

export function decodeStateDelta(bytes: Uint8Array): StateDelta {
  if (bytes.length > STATE_DELTA_BYTES_MAX) throw new DecodeError(`state delta: ${bytes.length} bytes exceed ${STATE_DELTA_BYTES_MAX}`);
  const reader = new ByteReader(bytes, 'state delta');
  const version = reader.u8();
  if (version !== STATE_DELTA_VERSION) reader.fail(`unknown version ${version}`);
  const delta: StateDelta = new Map();
  const namespaceCount = reader.count(NAMESPACE_BYTES_MIN, STATE_DELTA_KEYS_MAX, 'namespace');
  let keysTotal = 0;
  let previousNamespace: string | undefined;
  for (let n = 0; n < namespaceCount; n++) {
    const namespace = reader.string(CHAINCODE_NAME_BYTES_MAX, 'chaincode name');
    const nameProblem = chaincodeNameProblem(namespace);
    if (nameProblem !== undefined) reader.fail(nameProblem);
    if (previousNamespace !== undefined && compareKeys(previousNamespace, namespace) >= 0) reader.fail('namespaces not in strictly increasing order');
    previousNamespace = namespace;
    const keyCount = reader.count(KEY_ENTRY_BYTES_MIN, STATE_DELTA_KEYS_MAX, 'key');
    keysTotal += keyCount;
    if (keysTotal > STATE_DELTA_KEYS_MAX) reader.fail(`more than ${STATE_DELTA_KEYS_MAX} keys`);
    const keys = new Map<string, { previous: Uint8Array | null; value: Uint8Array | null }>();
    let previousKey: string | undefined;
    for (let k = 0; k < keyCount; k++) {
      const key = reader.string(STATE_KEY_BYTES_MAX, 'state key');
      if (previousKey !== undefined && compareKeys(previousKey, key) >= 0) reader.fail(`keys of ${namespace} not in strictly increasing order`);
      previousKey = key;
      const previous = reader.optionalBytes(STATE_VALUE_BYTES_MAX, 'previous value');
      const value = reader.optionalBytes(STATE_VALUE_BYTES_MAX, 'value');
      const problem = stateEntryProblem(key, value);
      if (problem !== undefined) reader.fail(problem);
      keys.set(key, { previous, value });
    }
    delta.set(namespace, keys);
  }
  reader.end();
  return delta;
}

/** The delta that undoes `delta`. */
export function invertStateDelta(delta: StateDelta): StateDelta {
  const inverted: StateDelta = new Map();
  for (const [namespace, keys] of delta) {
    const out = new Map<string, { previous: Uint8Array | null; value: Uint8Array | null }>();
    for (const [key, { previous, value }] of keys) out.set(key, { previous: value, value: previous });
    inverted.set(namespace, out);
  }
  return inverted;
}

/** Why a delta (e.g. from another peer) cannot be applied as given, or undefined. */
export function stateDeltaProblem(delta: StateDelta): string | undefined {
  let keysTotal = 0;
  for (const [namespace, keys] of delta) {
    const nameProblem = chaincodeNameProblem(namespace);
    if (nameProblem !== undefined) return nameProblem;
    keysTotal += keys.size;
    if (keysTotal > STATE_DELTA_KEYS_MAX) return `state delta has more than ${STATE_DELTA_KEYS_MAX} keys`;
    for (const [key, { previous, value }] of keys) {
      const problem = stateEntryProblem(key, value) ?? (previous === null ? undefined : stateEntryProblem(key, previous));
      if (problem !== undefined) return `${namespace}/${JSON.stringify(key.slice(0, 80))}: ${problem}`;
    }
  }
  return undefined;
}
