// A standalone bench answers --help and refuses an argument it does not know, before it starts
// any work (a bench can take minutes and start a network); Ctrl-C undoes what it started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processExists } from '../../host/process-exists.ts';
import { eventually, REPO_ROOT, runScript } from '../integration/harness.ts';

const runBench = (file: string, args: string[]) => runScript(join(REPO_ROOT, 'bench', file), args);

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

test('Ctrl-C during a standalone bench stops the network it started and removes its directory, exit 130', { skip: process.platform === 'win32' && 'signals' }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'weft-interrupt-'));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bench', 'peer.bench.ts'), '--quick'], { cwd: REPO_ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    // Wait for the bench's network: its directory under TMPDIR and a running peer in its layout.
    const runningPeer = async (): Promise<number | undefined> => {
      const dir = (await readdir(tmp)).find((name) => name.startsWith('weft-bench-'));
      if (dir === undefined) return undefined;
      const layout = await readFile(join(tmp, dir, 'network.json'), 'utf8').then((text) => JSON.parse(text) as { peers: Array<{ pid?: number }> }, () => undefined);
      const pid = layout?.peers[0]?.pid;
      return pid !== undefined && processExists(pid) ? pid : undefined;
    };
    const peerPid = await eventually(runningPeer, (pid) => pid !== undefined, 60_000, 200).catch(() => undefined);
    assert.ok(peerPid !== undefined, `the bench never started its peer: ${stderr}`);
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 130, stderr);
    assert.match(stderr, /SIGINT: stopping the networks this bench started/);
    assert.equal(processExists(peerPid), false, 'the peer is stopped');
    assert.deepEqual((await readdir(tmp)).filter((name) => name.startsWith('weft-bench-')), [], 'its directory is removed');
  } finally {
    child.kill('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  }
});
