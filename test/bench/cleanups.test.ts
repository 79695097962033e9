// An interrupted standalone bench: its pending cleanups run to the end and it exits 130, even when
// the work it interrupted fails meanwhile (its network went away under it), and a cleanup that is
// released is not run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../integration/harness.ts';

const CLEANUPS = pathToFileURL(join(REPO_ROOT, 'host', 'bench', 'cleanups.ts')).href;

// The bench: two cleanups (one released before the signal), work that fails 50 ms after the
// signal, and a cleanup that takes 300 ms, so the failure comes while it runs.
const SCRIPT = `
import { cleanUpOnInterrupt, cleanupUntilDone } from ${JSON.stringify(CLEANUPS)};
cleanUpOnInterrupt((line) => console.log(line));
cleanupUntilDone(async () => { await new Promise((r) => setTimeout(r, 300)); console.log('cleaned up'); });
const release = cleanupUntilDone(async () => console.log('released cleanup ran'));
release();
let fail;
process.once('SIGINT', () => setTimeout(() => fail(new Error('vp0 exited during start-up')), 50));
setInterval(() => {}, 1000); // the bench's own I/O keeps it alive
console.log('ready');
await new Promise((_, reject) => (fail = reject));
`;

test('SIGINT: pending cleanups finish, a failure of the interrupted work is reported, not fatal; exit 130', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  while (!stdout.includes('ready')) await once(child.stdout, 'data');
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 130, `${stdout}\n${stderr}`);
  assert.deepEqual(stdout.trim().split('\n'), [
    'ready',
    'SIGINT: stopping the networks this bench started (again to exit at once)…',
    '(the interrupted run stopped with: vp0 exited during start-up)',
    'cleaned up',
  ]);
});
