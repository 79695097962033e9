// Crash safety: a child process commits blocks in a loop (with state rollbacks and snapshot
// reinstalls in between) and is SIGKILLed at random moments, several rounds on one directory.
// After each kill the ledger must reopen with a whole chain, every acknowledged block, the
// state of exactly its head block (replayed independently), persist entries of that block, and
// the kept deltas — the previous head or the new one, never a mix.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { Ledger } from '../../host/ledger/ledger.ts';
import { CRASH_DELTA_HISTORY, blockTransactions, replay } from './fixtures/crash-workload.ts';
import { hex, tempDir, text } from './helpers.ts';

const COMMIT_LOOP = new URL('./fixtures/commit-loop.ts', import.meta.url).pathname;
const ROUNDS = 6;
const KILL_AFTER_MS_MIN = 80;
const KILL_AFTER_MS_MAX = 900;

/** Runs the child, kills it after `killAfterMs`, resolves with the last block it acknowledged. */
function runAndKill(dir: string, killAfterMs: number): Promise<{ lastAcknowledged: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COMMIT_LOOP, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited by itself (code ${code}): ${errors}`));
      const committed = [...output.matchAll(/^committed (\d+)$/gm)].map((m) => Number(m[1]));
      resolve({ lastAcknowledged: committed.at(-1) ?? 0, output });
    });
  });
}

test('kill -9 at random moments leaves the previous head or the new one, never a mix', async (t) => {
  const dir = await tempDir(t);
  let acknowledged = 0;
  const kills: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const killAfterMs = KILL_AFTER_MS_MIN + Math.floor(Math.random() * (KILL_AFTER_MS_MAX - KILL_AFTER_MS_MIN));
    kills.push(killAfterMs);
    const context = `round ${round}, kills after ${kills.join('/')} ms`;
    const run = await runAndKill(dir, killAfterMs);
    acknowledged = Math.max(acknowledged, run.lastAcknowledged);

    const ledger = await Ledger.open(dir, { deltaHistorySize: CRASH_DELTA_HISTORY });
    try {
      // A kill between a rollback and its roll-forward leaves the state one block behind: legal.
      const status = ledger.stateStatus();
      assert.ok(status.blockNumber >= status.height - 2, `${context}: state at ${status.blockNumber}, height ${status.height}`);
      while (ledger.stateStatus().behind) await ledger.rollStateForward();

      const head = ledger.height() - 1;
      assert.ok(head >= acknowledged, `${context}: acknowledged block ${acknowledged} lost (head ${head})`);
      assert.deepEqual(await ledger.verifyChain(0, head), { valid: true }, context);
      const headBlock = (await ledger.getBlock(head))!;
      assert.equal(hex(ledger.stateHash()), hex(headBlock.stateHash), context);

      const expected = replay(head);
      for (const namespace of ['alpha', 'beta']) {
        const actual = new Map<string, string>();
        const iterator = ledger.rangeState(namespace, '', '');
        for (let step = iterator.next(); !step.done; step = iterator.next()) actual.set(step.value[0], text(step.value[1])!);
        assert.deepEqual(actual, expected.get(namespace), `${context}: state of ${namespace} after block ${head}`);
      }
      if (head > 0) {
        assert.equal(text(await ledger.getPersist('consensus.lastBlock')), String(head), `${context}: persist entry committed with block ${head}`);
        assert.equal(text(headBlock.consensusMetadata), String(head), context);
        for (const tx of blockTransactions(head)) assert.equal((await ledger.getTransaction(tx.txid))?.blockNumber, head, `${context}: ${tx.txid}`);
      }
      for (let n = Math.max(1, head - CRASH_DELTA_HISTORY + 1); n <= head; n++) {
        assert.ok(await ledger.getStateDelta(n), `${context}: delta of block ${n} kept`);
      }
      if (head - CRASH_DELTA_HISTORY >= 1) assert.equal(await ledger.getStateDelta(head - CRASH_DELTA_HISTORY), undefined, `${context}: old delta pruned`);
    } finally {
      await ledger.close();
    }
  }
  t.diagnostic(`kills after ${kills.join('/')} ms; ${acknowledged} blocks acknowledged`);
  assert.ok(acknowledged >= 10, `the child made progress (acknowledged ${acknowledged} blocks over ${ROUNDS} rounds)`);
});
