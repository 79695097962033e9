// The in-process transport the peer and PBFT tests use: the same contract as libp2p's (delivery,
// broadcast to validators, requests with remote errors and timeouts, size bounds), plus cutting
// and restoring links, a filter, and manual delivery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryHub } from '../../network/transport/memory-transport.ts';
import type { Channel } from '../../network/transport/types.ts';

function network(hub: MemoryHub, ids: string[]) {
  const log: string[] = [];
  const transports = ids.map((id) => {
    const transport = hub.create(id);
    for (const channel of ['consensus', 'transaction', 'sync'] as Channel[]) {
      transport.onMessage(channel, (from, payload) => log.push(`${from}>${id}:${channel}:${Buffer.from(payload).toString()}`));
    }
    return transport;
  });
  return { log, transports };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('messages arrive asynchronously, in order, copied; broadcast reaches validators only', async () => {
  const hub = new MemoryHub();
  const { log, transports } = network(hub, ['vp0', 'vp1', 'vp2', 'nvp0']);
  const [vp0, vp1, , nvp0] = transports;
  await Promise.all(transports.map((t) => t.start()));
  assert.deepEqual(vp0?.connected(), [
    { id: 'vp1', address: 'memory:vp1', validator: true, pkiID: 'memory:vp1' },
    { id: 'vp2', address: 'memory:vp2', validator: true, pkiID: 'memory:vp2' },
    { id: 'nvp0', address: 'memory:nvp0', validator: false, pkiID: 'memory:nvp0' },
  ]);
  const payload = Buffer.from('a');
  vp0?.send('vp1', 'consensus', payload);
  payload[0] = 'z'.charCodeAt(0);
  vp0?.send('vp1', 'consensus', Buffer.from('b'));
  assert.deepEqual(log, [], 'nothing is delivered synchronously');
  vp1?.broadcast('transaction', Buffer.from('tx'));
  nvp0?.broadcast('consensus', Buffer.from('n'));
  await settle();
  assert.deepEqual(log, [
    'vp0>vp1:consensus:a',
    'vp0>vp1:consensus:b',
    'vp1>vp0:transaction:tx',
    'vp1>vp2:transaction:tx',
    'nvp0>vp0:consensus:n',
    'nvp0>vp1:consensus:n',
    'nvp0>vp2:consensus:n',
  ]);
});

test('cut links drop messages (also those in flight) and fail outstanding requests; restore heals', async () => {
  const hub = new MemoryHub();
  const { log, transports } = network(hub, ['vp0', 'vp1', 'vp2']);
  const [vp0, vp1] = transports;
  await Promise.all(transports.map((t) => t.start()));
  vp1?.onRequest('sync', () => new Promise<Uint8Array>(() => {}));
  const pending = vp0?.request('vp1', 'sync', new Uint8Array(1), 60_000);
  vp0?.send('vp1', 'consensus', Buffer.from('in flight'));
  hub.cut('vp0', 'vp1');
  await assert.rejects(pending as Promise<Uint8Array>, { name: 'PeerUnreachableError', message: 'the connection to vp1 closed before it answered' });
  vp0?.send('vp1', 'consensus', Buffer.from('after cut'));
  vp0?.send('vp2', 'consensus', Buffer.from('still linked'));
  await settle();
  assert.deepEqual(log, ['vp0>vp2:consensus:still linked']);
  assert.deepEqual(vp0?.connected().map((p) => p.id), ['vp2']);
  assert.equal(vp0?.stats().dropped.unreachable, 1);
  await assert.rejects(vp0?.request('vp1', 'sync', new Uint8Array(1), 100) as Promise<Uint8Array>, { name: 'PeerUnreachableError', message: 'not connected to vp1' });
  hub.restore('vp0', 'vp1');
  vp0?.send('vp1', 'consensus', Buffer.from('healed'));
  await settle();
  assert.deepEqual(log, ['vp0>vp2:consensus:still linked', 'vp0>vp1:consensus:healed']);

  hub.isolate('vp2');
  assert.deepEqual(vp0?.connected().map((p) => p.id), ['vp1']);
  hub.heal();
  assert.deepEqual(vp0?.connected().map((p) => p.id), ['vp1', 'vp2']);
});

test('requests: answers, remote errors, no handler, busy, timeouts, bounds', async () => {
  const hub = new MemoryHub({ limits: { payloadBytesMax: { consensus: 16, transaction: 16, sync: 16 }, concurrentInboundRequestsMax: 1 } });
  const { transports } = network(hub, ['vp0', 'vp1']);
  const [vp0, vp1] = transports as [NonNullable<(typeof transports)[0]>, NonNullable<(typeof transports)[0]>];
  await Promise.all(transports.map((t) => t.start()));
  vp1.onRequest('sync', async (from, payload) => {
    if (payload[0] === 1) throw new Error('no such block');
    if (payload[0] === 2) return new Uint8Array(17);
    if (payload[0] === 3) return new Promise<Uint8Array>(() => {});
    return Buffer.from(`hi ${from}`);
  });
  assert.equal(Buffer.from(await vp0.request('vp1', 'sync', new Uint8Array([0]), 1_000)).toString(), 'hi vp0');
  await assert.rejects(vp0.request('vp1', 'sync', new Uint8Array([1]), 1_000), { name: 'RemoteError', message: 'vp1 answered with an error: no such block' });
  await assert.rejects(vp0.request('vp1', 'sync', new Uint8Array([2]), 1_000), {
    name: 'RemoteError',
    message: 'vp1 answered with an error: the response is 17 bytes; sync responses are bounded to 16',
  });
  await assert.rejects(vp0.request('vp1', 'consensus', new Uint8Array([0]), 1_000), { name: 'RemoteError', message: 'vp1 answered with an error: no handler for consensus requests' });
  const stuck = vp0.request('vp1', 'sync', new Uint8Array([3]), 30);
  await assert.rejects(vp0.request('vp1', 'sync', new Uint8Array([0]), 1_000), {
    name: 'RemoteError',
    message: 'vp1 answered with an error: busy: 1 of your sync requests are already being answered',
  });
  await assert.rejects(stuck, { name: 'RequestTimeoutError', message: 'vp1 did not answer a sync request within 30 ms' });
  await assert.rejects(vp0.request('vp1', 'sync', new Uint8Array(17), 1_000), { name: 'RequestRejectedError', message: 'the request is 17 bytes; sync requests are bounded to 16' });
  await assert.rejects(vp0.request('vp7', 'sync', new Uint8Array(1), 1_000), { name: 'PeerUnreachableError', message: '"vp7" is not a member of the network' });
  vp0.send('vp1', 'consensus', new Uint8Array(17));
  assert.equal(vp0.stats().dropped.oversizedOutbound, 1);
});

test('manual delivery and the filter let a test decide what moves when', async () => {
  const hub = new MemoryHub({ delivery: 'manual' });
  const { log, transports } = network(hub, ['vp0', 'vp1', 'vp2']);
  await Promise.all(transports.map((t) => t.start()));
  hub.filter = (message) => !(message.from === 'vp0' && message.to === 'vp2');
  transports[0]?.broadcast('consensus', Buffer.from('pre-prepare'));
  transports[1]?.send('vp2', 'consensus', Buffer.from('prepare'));
  await settle();
  assert.deepEqual(log, []);
  assert.equal(hub.pending(), 2);
  assert.equal(hub.flush(1), 1);
  assert.deepEqual(log, ['vp0>vp1:consensus:pre-prepare']);
  assert.equal(hub.flush(), 1);
  assert.deepEqual(log, ['vp0>vp1:consensus:pre-prepare', 'vp1>vp2:consensus:prepare']);
  assert.deepEqual(hub.counts(), { delivered: 2, dropped: 1 });
});

test('a stopped peer is unreachable; restarting it rejoins; the hub signer verifies across peers', async () => {
  const hub = new MemoryHub();
  const { log, transports } = network(hub, ['vp0', 'vp1']);
  const [vp0, vp1] = transports;
  await Promise.all(transports.map((t) => t.start()));
  await vp1?.stop();
  assert.deepEqual(vp0?.connected(), []);
  vp0?.send('vp1', 'consensus', Buffer.from('lost'));
  await vp1?.start();
  vp0?.send('vp1', 'consensus', Buffer.from('back'));
  await settle();
  assert.deepEqual(log, ['vp0>vp1:consensus:back']);
  const signature = hub.signer('vp0').sign(Buffer.from('view-change'));
  assert.equal(hub.signer('vp1').verify('vp0', Buffer.from('view-change'), signature), true);
  assert.equal(hub.signer('vp1').verify('vp1', Buffer.from('view-change'), signature), false);
  assert.equal(hub.signer('vp1').verify('vp0', Buffer.from('view-changE'), signature), false);
  assert.equal(hub.signer('vp1').verify('vp9', Buffer.from('view-change'), signature), false);
});
