// Shared pieces of the ledger tests: temporary directories, block inputs, iterator collection.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Ledger } from '../../host/ledger/ledger.ts';
import type { BlockInput, WriteSet } from '../../host/ledger/types.ts';
import { TransactionType, emptyTransaction, type Transaction } from '../../host/protocol/messages.ts';

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** A fresh directory removed when the test ends. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-ledger-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a ledger in a fresh directory, closed when the test ends. */
export async function openTempLedger(t: TestContext, deltaHistorySize = 500): Promise<{ ledger: Ledger; dir: string }> {
  const dir = await tempDir(t);
  const ledger = await Ledger.open(dir, { deltaHistorySize });
  t.after(() => ledger.close());
  return { ledger, dir };
}

export function invoke(txid: string): Transaction {
  return { ...emptyTransaction(), type: TransactionType.CHAINCODE_INVOKE, txid, payload: utf8(`payload of ${txid}`), timestamp: { seconds: 1_700_000_000, nanos: 0 } };
}

/** writes('cc', { a: '1', b: null }) → a WriteSet (null deletes). */
export function writes(chaincodeName: string, entries: Record<string, string | null>): WriteSet {
  const keys = new Map<string, Uint8Array | null>();
  for (const [key, value] of Object.entries(entries)) keys.set(key, value === null ? null : utf8(value));
  return new Map([[chaincodeName, keys]]);
}

export function blockInput(fields: Partial<BlockInput> = {}): BlockInput {
  return {
    transactions: [],
    writes: new Map(),
    consensusMetadata: new Uint8Array(0),
    chaincodeEvents: [],
    transactionResults: [],
    commitTimestamp: { seconds: 1_700_000_000, nanos: 0 },
    ...fields,
  };
}

export function collect(iterator: Iterator<[string, Uint8Array]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let step = iterator.next(); !step.done; step = iterator.next()) out.push([step.value[0], text(step.value[1])!]);
  return out;
}

export function keysOf(iterator: Iterator<[string, Uint8Array]>): string[] {
  return collect(iterator).map(([key]) => key);
}

/** Every key/value of a namespace, as strings. */
export function stateOf(ledger: Ledger, chaincodeName: string): Record<string, string> {
  return Object.fromEntries(collect(ledger.rangeState(chaincodeName, '', '')));
}
