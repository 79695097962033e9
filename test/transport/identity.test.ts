// The peer's key file: created once with mode 0600, the same identity on every load, refused when
// others can read it or when it is not a key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityError, loadOrCreatePeerIdentity, loadPeerIdentity, peerKeyPath } from '../../network/transport/identity.ts';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-identity-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the key is created on first use with mode 0600 and loaded unchanged afterwards', () =>
  withDir(async (dir) => {
    const first = await loadOrCreatePeerIdentity(dir);
    assert.equal(first.created, true);
    assert.equal(first.keyFile, join(dir, 'crypto', 'peer.key'));
    assert.equal(peerKeyPath(dir), first.keyFile);
    assert.match(first.peerId, /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/);
    assert.equal((await stat(first.keyFile)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'crypto'))).mode & 0o777, 0o700);
    const bytes = await readFile(first.keyFile);

    const second = await loadOrCreatePeerIdentity(dir);
    assert.equal(second.created, false);
    assert.equal(second.peerId, first.peerId);
    assert.deepEqual(second.privateKey.raw, first.privateKey.raw);
    assert.deepEqual(await readFile(first.keyFile), bytes);
  }));

test('two processes starting at once end up with one key', () =>
  withDir(async (dir) => {
    const [a, b, c] = await Promise.all([loadOrCreatePeerIdentity(dir), loadOrCreatePeerIdentity(dir), loadOrCreatePeerIdentity(dir)]);
    assert.equal(b.peerId, a.peerId);
    assert.equal(c.peerId, a.peerId);
    assert.equal([a, b, c].filter((identity) => identity.created).length, 1);
  }));

test('a key file others can read, a missing one and a corrupt one are refused with a clear error', () =>
  withDir(async (dir) => {
    const { keyFile } = await loadOrCreatePeerIdentity(dir);
    await chmod(keyFile, 0o644);
    await assert.rejects(loadOrCreatePeerIdentity(dir), {
      name: 'IdentityError',
      message: `${keyFile} is readable by others (mode 644); run: chmod 600 ${keyFile}`,
    });
    await writeFile(keyFile, 'not a key', { mode: 0o600 });
    await chmod(keyFile, 0o600);
    await assert.rejects(loadPeerIdentity(keyFile), (error: unknown) => {
      assert.ok(error instanceof IdentityError);
      assert.match(error.message, new RegExp(`^${keyFile} is not a libp2p private key \\(.+\\); move it away to create a new identity$`));
      return true;
    });
    const missing = join(dir, 'elsewhere', 'peer.key');
    await assert.rejects(loadPeerIdentity(missing), {
      message: `No peer key at ${missing}; start the peer once (or run "weft node id") to create it`,
    });
  }));
