// Opening: a clear error when another process holds the directory, when LevelDB's files are
// damaged, when the directory holds something other than a weft ledger, and when the stored
// state or chain does not match its own hashes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Level } from 'level';
import { Ledger } from '../../host/ledger/ledger.ts';
import { LedgerCorruptError, LedgerLockedError } from '../../host/ledger/ledger-errors.ts';
import { BLOCK_COUNT_KEY, FORMAT_VERSION_KEY, LEDGER_FORMAT_VERSION, stateKey, u64 } from '../../host/ledger/key-spaces.ts';
import { blockInput, tempDir, utf8, writes } from './helpers.ts';

const HOLD_OPEN = new URL('./fixtures/hold-open.ts', import.meta.url).pathname;

async function withRawDb(dir: string, change: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await change(db);
  await db.close();
}

async function ledgerWithOneBlock(dir: string): Promise<void> {
  const ledger = await Ledger.open(dir, { deltaHistorySize: 10 });
  await ledger.commitBlock(blockInput({ writes: writes('cc', { a: '1' }) }));
  await ledger.close();
}

test('a directory held by another process is refused with LedgerLockedError', async (t) => {
  const dir = await tempDir(t);
  const child = spawn(process.execPath, [HOLD_OPEN, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'open');
  await assert.rejects(
    Ledger.open(dir, { deltaHistorySize: 10 }),
    (error: Error) =>
      error instanceof LedgerLockedError &&
      error.message.startsWith(`ledger directory ${dir} is locked by another process (is another peer running on this data directory?)`),
  );
  child.stdin.end();
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0);
  const ledger = await Ledger.open(dir, { deltaHistorySize: 10 });
  assert.equal(ledger.height(), 1);
  await ledger.close();
});

test('a second Ledger on the same directory in the same process is refused too', async (t) => {
  const dir = await tempDir(t);
  const ledger = await Ledger.open(dir, { deltaHistorySize: 10 });
  t.after(() => ledger.close());
  await assert.rejects(Ledger.open(dir, { deltaHistorySize: 10 }), LedgerLockedError);
});

test('a ledger of another format version (an older weft) is refused with what to do, and left as it was', async (t) => {
  const dir = await tempDir(t);
  await ledgerWithOneBlock(dir);
  const older = new Uint8Array(4);
  new DataView(older.buffer).setUint32(0, LEDGER_FORMAT_VERSION - 1);
  await withRawDb(dir, (db) => db.put(FORMAT_VERSION_KEY, older));
  await assert.rejects(
    Ledger.open(dir, { deltaHistorySize: 10 }),
    (error: Error) =>
      error instanceof LedgerCorruptError &&
      error.message ===
        `ledger directory ${dir} has ledger format ${LEDGER_FORMAT_VERSION - 1}, and this weft reads format ${LEDGER_FORMAT_VERSION}: ` +
          'open it with the weft that wrote it, or start this one on an empty data directory (a peer then catches up from the network)',
  );
  await withRawDb(dir, async (db) => assert.deepEqual([...((await db.get(FORMAT_VERSION_KEY)) ?? [])], [...older]));
});

test('damaged LevelDB files are refused with LedgerCorruptError', async (t) => {
  const dir = await tempDir(t);
  await ledgerWithOneBlock(dir);
  const manifest = (await readdir(dir)).find((name) => name.startsWith('MANIFEST-'));
  assert.ok(manifest);
  await writeFile(join(dir, manifest), 'garbage');
  await assert.rejects(
    Ledger.open(dir, { deltaHistorySize: 10 }),
    (error: Error) => error instanceof LedgerCorruptError && error.message.startsWith(`ledger directory ${dir} is corrupt: Corruption:`),
  );
});

test('a LevelDB that is not a weft ledger is refused, not overwritten', async (t) => {
  const dir = await tempDir(t);
  await withRawDb(dir, (db) => db.put(utf8('someone else'), utf8('data')));
  await assert.rejects(Ledger.open(dir, { deltaHistorySize: 10 }), {
    name: 'LedgerCorruptError',
    message: `ledger directory ${dir} is corrupt: it has data but no block count (not a weft ledger, or damaged)`,
  });
});

test('a stored state that does not match its block\'s stateHash is refused', async (t) => {
  const dir = await tempDir(t);
  await ledgerWithOneBlock(dir);
  await withRawDb(dir, (db) => db.put(stateKey(0, utf8('cc\u0000a')), utf8('2')));
  await assert.rejects(
    Ledger.open(dir, { deltaHistorySize: 10 }),
    (error: Error) =>
      error instanceof LedgerCorruptError && /is corrupt: state hash [0-9a-f]{16}… of the stored state does not match block 1's stateHash [0-9a-f]{16}…$/.test(error.message),
  );
});

test('a block count beyond the stored blocks is refused', async (t) => {
  const dir = await tempDir(t);
  await ledgerWithOneBlock(dir);
  await withRawDb(dir, (db) => db.put(BLOCK_COUNT_KEY, u64(5)));
  await assert.rejects(Ledger.open(dir, { deltaHistorySize: 10 }), {
    name: 'LedgerCorruptError',
    message: `ledger directory ${dir} is corrupt: head block 4 is missing`,
  });
});
