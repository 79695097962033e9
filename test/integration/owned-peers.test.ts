// Peers tied to the process that started them (benches, tests, `network up --attach`) stop by
// themselves when it dies without stopping them; the same network resumed later is tied to nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeBasePort, networkDown, networkStatus, networkUp } from '../../host/launcher/network-launcher.ts';
import { OWNER_PID_ENV } from '../../host/launcher/owner-watch.ts';
import { processExists } from '../../host/process-exists.ts';
import { eventually, REPO_ROOT } from './harness.ts';

/** WEFT_OWNER_PID in a running process's environment (Linux's /proc), or undefined. */
function ownerInEnvironment(pid: number): string | undefined {
  const entry = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').find((e) => e.startsWith(`${OWNER_PID_ENV}=`));
  return entry?.slice(OWNER_PID_ENV.length + 1);
}

test('a peer whose owner dies stops by itself; resumed without an owner, it stays up', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'weft-owned-'));
  const owner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120_000)'], { stdio: 'ignore' });
  try {
    assert.ok(owner.pid !== undefined);
    const options = { peers: 1, consensus: 'noops' as const, dataDir, basePort: await freeBasePort(1), env: {}, readyTimeoutMs: 60_000 };
    const first = await networkUp({ ...options, ownedBy: owner.pid });
    const peerPid = first.peers[0]!.pid!;
    assert.equal(ownerInEnvironment(peerPid), String(owner.pid));

    owner.kill('SIGKILL');
    await once(owner, 'exit');
    const stopped = await eventually(async () => !processExists(peerPid), (gone) => gone, 20_000);
    assert.equal(stopped, true, 'the peer stops once its owner is gone');
    const log = await readFile(join(dataDir, 'vp0', 'peer.log'), 'utf8');
    assert.match(log, new RegExp(`Stopping: process ${owner.pid}, which started this peer, is gone`));

    const resumed = await networkUp(options);
    const resumedPid = resumed.peers[0]!.pid!;
    assert.notEqual(resumedPid, peerPid);
    assert.equal(ownerInEnvironment(resumedPid), undefined, 'the owner is not kept in the layout');
  } finally {
    owner.kill('SIGKILL');
    await networkDown(dataDir).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('weft bench whose output reader goes away stops as on Ctrl-C: its network is stopped, exit code 130', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'weft-epipe-'));
  try {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'host', 'cli', 'main.ts'), 'bench', 'donothing', 'ycsb', '--records', '100', '--peers', '1', '--consensus', 'noops', '--duration', '1', '--warmup', '0', '--data', dataDir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Read the first workload's figures, then close the pipe as `| head` would.
    await once(child.stdout, 'data');
    child.stdout.destroy();
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 130, stderr);
    assert.match(stderr, /Interrupted: stopping the load and the network/);
    const peers = await networkStatus(dataDir);
    assert.deepEqual(peers.map((p) => p.running), [false], 'the peer the bench started is stopped');
  } finally {
    await networkDown(dataDir).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
});
