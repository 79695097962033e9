// A member that stops is redialled until it comes back on the same port, with the identity it
// keeps on disk; messages and requests flow again without anyone restarting the others. Also:
// stop() releases everything (no timers, sockets or servers left behind).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreatePeerIdentity } from '../../network/transport/identity.ts';
import { Libp2pTransport } from '../../network/transport/libp2p-transport.ts';
import { FAST, fullMesh, makePeers, memberList, startNetwork, waitFor } from './helpers.ts';

test('a restarted member is reconnected by the others and talks again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'weft-reconnect-'));
  const [vp0, vp1] = await makePeers(['vp0', 'vp1']);
  if (!vp0 || !vp1) throw new Error('no peers');
  // vp2 keeps its key in a data directory, as a real peer does.
  const vp2Identity = await loadOrCreatePeerIdentity(dir);
  const members = [...memberList([vp0, vp1]), { id: 'vp2', peerId: vp2Identity.peerId }];
  const make = (id: string, privateKey: typeof vp0.key, extra: { listenAddress?: string; rootNodes?: string } = {}) =>
    new Libp2pTransport({ selfId: id, privateKey, members, listenAddress: '127.0.0.1:0', ...FAST, ...extra });

  const t0 = make('vp0', vp0.key);
  await t0.start();
  const root = t0.listenAddresses()[0] as string;
  const t1 = make('vp1', vp1.key, { rootNodes: root });
  let t2 = make('vp2', vp2Identity.privateKey, { rootNodes: root });
  await Promise.all([t1.start(), t2.start()]);
  await waitFor('the mesh', () => fullMesh([t0, t1, t2]));
  const vp2Address = t2.listenAddresses()[0] as string;

  const received: string[] = [];
  await t2.stop();
  await waitFor('vp0 and vp1 to see vp2 gone', () => [t0, t1].every((t) => !t.connected().some((p) => p.id === 'vp2')));
  t0.send('vp2', 'consensus', new Uint8Array([1]));
  assert.equal(t0.stats().dropped.unreachable, 1);

  // Same data directory, same port, and no rootnode: the others must find it again by themselves.
  const reloaded = await loadOrCreatePeerIdentity(dir);
  assert.equal(reloaded.created, false);
  assert.equal(reloaded.peerId, vp2Identity.peerId);
  t2 = make('vp2', reloaded.privateKey, { listenAddress: vp2Address });
  t2.onMessage('consensus', (from, payload) => received.push(`${from}:${payload[0]}`));
  t2.onRequest('sync', async (from) => new TextEncoder().encode(`hi ${from}`));
  await t2.start();
  assert.equal(t2.listenAddresses()[0], vp2Address);
  await waitFor('the mesh again', () => fullMesh([t0, t1, t2]));
  assert.ok(t0.stats().dials + t1.stats().dials >= 1);

  t0.send('vp2', 'consensus', new Uint8Array([2]));
  assert.equal(Buffer.from(await t1.request('vp2', 'sync', new Uint8Array(0), 5_000)).toString(), 'hi vp1');
  await waitFor('the message', () => received.length === 1);
  assert.deepEqual(received, ['vp0:2']);

  await Promise.all([t0.stop(), t1.stop(), t2.stop()]);
  await rm(dir, { recursive: true, force: true });
});

test('requests outstanding to a member that goes away fail at once, not at their timeout', async () => {
  const [t0, t1] = (await startNetwork(await makePeers(['vp0', 'vp1']))) as [Libp2pTransport, Libp2pTransport];
  await waitFor('the connection', () => fullMesh([t0, t1]));
  let asked = false;
  t1.onRequest('sync', () => {
    asked = true;
    return new Promise<Uint8Array>(() => {});
  });
  const pending = t0.request('vp1', 'sync', new Uint8Array(1), 60_000);
  await waitFor('the request to arrive', () => asked);
  const failed = assert.rejects(pending, { name: 'PeerUnreachableError', message: 'the connection to vp1 closed before it answered' });
  await t1.stop();
  await failed;
  await t0.stop();
});

test('stop() leaves no timers, sockets or servers behind', async () => {
  const count = (list: string[]) => list.reduce((m, r) => m.set(r, (m.get(r) ?? 0) + 1), new Map<string, number>());
  const before = count(process.getActiveResourcesInfo());
  const peers = await makePeers(['vp0', 'vp1']);
  const members = memberList(peers);
  const [p0, p1] = peers as [(typeof peers)[0] & {}, (typeof peers)[0] & {}];
  const t0 = new Libp2pTransport({ selfId: 'vp0', privateKey: p0.key, members, listenAddress: '127.0.0.1:0', ...FAST });
  await t0.start();
  // vp1 also dials a rootnode nobody listens on, so a backoff timer is pending when it stops.
  const t1 = new Libp2pTransport({ selfId: 'vp1', privateKey: p1.key, members, listenAddress: '127.0.0.1:0', rootNodes: `${t0.listenAddresses()[0]},127.0.0.1:1`, ...FAST });
  await t1.start();
  await waitFor('the connection', () => fullMesh([t0, t1]));
  t1.onRequest('sync', async () => new Uint8Array(0));
  await t0.request('vp1', 'sync', new Uint8Array(0), 5_000);
  await Promise.all([t0.stop(), t1.stop()]);
  // Sockets finish closing on the next turns of the event loop.
  await waitFor('resources to be released', () => {
    const now = count(process.getActiveResourcesInfo());
    return [...now].every(([kind, n]) => n <= (before.get(kind) ?? 0));
  }, 5_000);
  assert.equal(t0.connected().length + t1.connected().length, 0);
});

test('listening on an address in use fails with a clear error and leaves nothing running', async () => {
  const [vp0, vp1] = await makePeers(['vp0', 'vp1']);
  if (!vp0 || !vp1) throw new Error('no peers');
  const members = memberList([vp0, vp1]);
  const first = new Libp2pTransport({ selfId: 'vp0', privateKey: vp0.key, members, listenAddress: '127.0.0.1:0' });
  await first.start();
  const taken = first.listenAddresses()[0] as string;
  const second = new Libp2pTransport({ selfId: 'vp1', privateKey: vp1.key, members, listenAddress: taken });
  await assert.rejects(second.start(), { message: `Cannot listen on ${taken} (peer.listenAddress): the address is in use` });
  assert.deepEqual(second.connected(), []);
  second.send('vp0', 'consensus', new Uint8Array(1));
  assert.equal(second.stats().dropped.notRunning, 1);
  await second.stop();
  await first.stop();
});

test('a transport stopped and started again in place rejoins and its handlers still work', async () => {
  const peers = await makePeers(['vp0', 'vp1']);
  const [p0, p1] = peers as [(typeof peers)[0] & {}, (typeof peers)[0] & {}];
  const members = memberList(peers);
  const t0 = new Libp2pTransport({ selfId: 'vp0', privateKey: p0.key, members, listenAddress: '127.0.0.1:0', ...FAST });
  await t0.start();
  const t1 = new Libp2pTransport({ selfId: 'vp1', privateKey: p1.key, members, listenAddress: '127.0.0.1:0', rootNodes: t0.listenAddresses()[0], ...FAST });
  t1.onRequest('sync', async () => new TextEncoder().encode('still here'));
  await Promise.all([t1.start(), t1.start()]);
  await waitFor('the connection', () => fullMesh([t0, t1]));
  await t1.stop();
  await waitFor('vp0 to see vp1 gone', () => t0.connected().length === 0);
  await t1.start();
  await waitFor('the connection again', () => fullMesh([t0, t1]));
  assert.equal(Buffer.from(await t0.request('vp1', 'sync', new Uint8Array(0), 5_000)).toString(), 'still here');
  await Promise.all([t0.stop(), t1.stop()]);
});
