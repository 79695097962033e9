// The one LevelDB a ledger lives in: opening it with clear errors (another process holds the
// directory, the files are damaged) and the batch operation type the key spaces produce.
import { Level } from 'level';
import { LedgerCorruptError, LedgerLockedError } from './ledger-errors.ts';

export type LedgerDb = Level<Uint8Array, Uint8Array>;

export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

interface LevelError extends Error {
  code?: string;
  cause?: unknown;
}

/**
 * LevelDB's memtable (default 4 MB) and table file (default 2 MB) sizes, raised: a peer under load
 * writes 1–2 MB per second (blocks, state, deltas, indexes, PBFT's persisted batches), so with the
 * defaults it flushed a small level-0 file every few seconds and compacted them as often. With
 * 32 MB, Smallbank on four peers committed 2,976 and 2,883 tx/s against 2,795 and 2,700 (peers'
 * CPU 615–639 against 656–675 µs per transaction), for at most ~80 MB more memory per peer (an
 * active and a flushing memtable) and a longer log to replay after a crash.
 *
 * The size is drawn per open between 24 and 40 MB. Replicas write the same bytes at the same
 * pace, so with equal memtables their flushes and compactions start together, and on machines
 * shared by several peers they take the cores at once: every ~7 s all four replicas of a test
 * network slowed to a fifth of their pace for about a second (YCSB at 3,000 tx/s: p95 latency
 * 521–904 ms, max 1.1–1.7 s). Drawn sizes spread them out: p95 353 and 428 ms, max 759 and 796 ms.
 */
const WRITE_BUFFER_BYTES_MIN = 24 * 1024 * 1024;
const WRITE_BUFFER_BYTES_SPREAD = 16 * 1024 * 1024;
const TABLE_FILE_BYTES = 8 * 1024 * 1024;

export async function openLevelDb(dir: string): Promise<LedgerDb> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view', writeBufferSize: WRITE_BUFFER_BYTES_MIN + Math.floor(Math.random() * WRITE_BUFFER_BYTES_SPREAD), maxFileSize: TABLE_FILE_BYTES });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as LevelError).cause as LevelError | undefined;
    const detail = cause?.message ?? (error as Error).message;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new LedgerLockedError(`ledger directory ${dir} is locked by another process (is another peer running on this data directory?): ${detail}`, { cause: error });
    }
    if (cause?.code === 'LEVEL_CORRUPTION') {
      throw new LedgerCorruptError(`ledger directory ${dir} is corrupt: ${detail}`, { cause: error });
    }
    throw new Error(`cannot open ledger directory ${dir}: ${detail}`, { cause: error });
  }
  return db;
}

/** Reads every entry in [gte, lt) in order, a page at a time; the next page is read while `visit` runs. */
export async function forEachEntry(
  db: LedgerDb,
  range: { gte: Uint8Array; lt: Uint8Array },
  visit: (key: Uint8Array, value: Uint8Array) => void,
  pageSize = 1_000,
): Promise<void> {
  const iterator = db.iterator(range);
  try {
    let next = iterator.nextv(pageSize);
    for (;;) {
      const page = await next;
      if (page.length === 0) return;
      next = iterator.nextv(pageSize);
      try {
        for (const [key, value] of page) visit(key, value);
      } catch (error) {
        await next.catch(() => undefined);
        throw error;
      }
    }
  } finally {
    await iterator.close();
  }
}
