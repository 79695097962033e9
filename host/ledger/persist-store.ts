// The persist key space (Fabric's persistCF): peer-local state that is not part of the ledger,
// such as PBFT's consensus.* entries and discovery. Every write is synced before it resolves.
// Not serialised with block commits: the keys are disjoint, and consensus must be able to
// persist while a long state install holds the commit queue.
import { persistKey, persistKeyName, persistPrefixRange } from './key-spaces.ts';
import { PERSIST_KEY_BYTES_MAX } from './ledger-limits.ts';
import { LedgerRejectedError } from './ledger-errors.ts';
import { forEachEntry, type BatchOp, type LedgerDb } from './level-db.ts';

export function persistKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key === '') return 'persist key is empty';
  if (!key.isWellFormed()) return 'persist key is not well-formed Unicode';
  if (Buffer.byteLength(key, 'utf8') > PERSIST_KEY_BYTES_MAX) return `persist key exceeds ${PERSIST_KEY_BYTES_MAX} bytes`;
  return undefined;
}

function checkKey(key: string): void {
  const problem = persistKeyProblem(key);
  if (problem !== undefined) throw new LedgerRejectedError(problem);
}

function checkValue(value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) throw new LedgerRejectedError('persist value is not bytes');
}

/** Batch operations for persist writes (value) and deletes (null); validated. */
export function persistOps(changes: Map<string, Uint8Array | null>): BatchOp[] {
  const ops: BatchOp[] = [];
  for (const [key, value] of changes) {
    checkKey(key);
    if (value === null) {
      ops.push({ type: 'del', key: persistKey(key) });
    } else {
      checkValue(value);
      ops.push({ type: 'put', key: persistKey(key), value });
    }
  }
  return ops;
}

export async function readPersist(db: LedgerDb, key: string): Promise<Uint8Array | undefined> {
  checkKey(key);
  return db.get(persistKey(key));
}

/** Every persist entry whose key starts with `prefix` ("" for all). */
export async function readPersistPrefix(db: LedgerDb, prefix: string): Promise<Map<string, Uint8Array>> {
  if (prefix !== '' && !prefix.isWellFormed()) throw new LedgerRejectedError('persist prefix is not well-formed Unicode');
  const entries = new Map<string, Uint8Array>();
  await forEachEntry(db, persistPrefixRange(prefix), (key, value) => entries.set(persistKeyName(key), value));
  return entries;
}
