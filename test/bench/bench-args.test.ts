// A standalone bench answers --help and refuses an argument it does not know, before it starts
// any work (a bench can take minutes and start a network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../integration/harness.ts';

function runBench(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bench', file), ...args], { cwd: REPO_ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

test('--help prints the usage and exits 0; an unknown argument or a flag without its value exits 1, naming it', async () => {
  const help = await runBench('security-network.bench.ts', ['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: node bench\/security-network\.bench\.ts \[--quick\] \[--reuse <value>\]\n\nCommitted tx\/s of a local 4-peer PBFT network/);
  const unknown = await runBench('blockbench.bench.ts', ['--quick', '--duration', '5']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stdout, '', 'nothing ran');
  assert.equal(unknown.stderr, 'bench/blockbench.bench.ts: unknown argument "--duration"; see node bench/blockbench.bench.ts --help\n');
  const missing = await runBench('security-network.bench.ts', ['--reuse']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--reuse needs a value/);
});
