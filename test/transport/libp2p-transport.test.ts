// Four real libp2p validators (and a non-validating peer) on 127.0.0.1: they find each other from
// one rootnode, every member reaches every other on every channel, requests are answered, failed,
// refused and timed out as documented, and connected() lists exactly the members.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerUnreachableError, RemoteError, RequestRejectedError, RequestTimeoutError } from '../../network/transport/errors.ts';
import type { Libp2pTransport } from '../../network/transport/libp2p-transport.ts';
import type { Channel } from '../../network/transport/types.ts';
import { fullMesh, makePeers, startNetwork, waitFor, type TestPeer } from './helpers.ts';

const CHANNELS: Channel[] = ['consensus', 'transaction', 'sync'];

describe('a network of four validators and one non-validating peer', () => {
  let peers: TestPeer[];
  let transports: Libp2pTransport[];
  const received: string[] = [];
  const byId = (id: string) => transports.find((t) => t.selfId === id) as Libp2pTransport;

  before(async () => {
    peers = await makePeers(['vp0', 'vp1', 'vp2', 'vp3', 'nvp0']);
    // vp3 answers at most 2 requests per peer at once, and lets at most 2 of its own wait per peer;
    // nvp0 queues at most one message per peer and channel.
    transports = await startNetwork(peers, (peer) =>
      peer.id === 'vp3'
        ? { limits: { concurrentInboundRequestsMax: 2, outstandingRequestsPerPeerMax: 2 } }
        : peer.id === 'nvp0'
          ? { limits: { queueFramesMax: 1 } }
          : {},
    );
    for (const transport of transports) {
      for (const channel of CHANNELS) {
        transport.onMessage(channel, (from, payload) => received.push(`${from}>${transport.selfId}:${channel}:${Buffer.from(payload).toString()}`));
      }
    }
    await waitFor('a full mesh', () => fullMesh(transports));
  });

  after(async () => {
    await Promise.all(transports.map((t) => t.stop()));
  });

  test('a full outbound queue drops (and counts) what does not fit, and delivers what does', async () => {
    // The first send opens the stream; until it is open, messages wait in the queue (here: one).
    const nvp0 = byId('nvp0');
    received.length = 0;
    // Counted as a difference: the mesh may already have filled nvp0's one-frame queue once.
    const droppedBefore = nvp0.stats().dropped.queueFull;
    for (const text of ['first', 'second', 'third']) nvp0.send('vp0', 'sync', Buffer.from(text));
    assert.equal(nvp0.stats().dropped.queueFull - droppedBefore, 2);
    await waitFor('the queued message', () => received.length === 1);
    assert.deepEqual(received, ['nvp0>vp0:sync:first']);
  });

  test('connected() lists every other member with its listen address, role and peer id', async () => {
    const listen = new Map(transports.map((t) => [t.selfId, t.listenAddresses()[0]]));
    const expected = (self: string) =>
      peers
        .filter((peer) => peer.id !== self)
        .map((peer) => ({ id: peer.id, address: listen.get(peer.id), validator: peer.id.startsWith('vp'), pkiID: peer.peerId }));
    // Until identify has told a peer where a member that dialled in listens, it reports the
    // connection's remote address; identify follows the connection within a round trip or two.
    await waitFor('identify everywhere', () => transports.every((t) => JSON.stringify(t.connected()) === JSON.stringify(expected(t.selfId))));
    for (const transport of transports) assert.deepEqual(transport.connected(), expected(transport.selfId), transport.selfId);
  });

  test('every member reaches every other member on each channel', async () => {
    received.length = 0;
    const expected: string[] = [];
    for (const from of transports) {
      for (const to of transports) {
        if (from === to) continue;
        for (const channel of CHANNELS) {
          from.send(to.selfId, channel, Buffer.from(`hello ${channel}`));
          expected.push(`${from.selfId}>${to.selfId}:${channel}:hello ${channel}`);
        }
      }
    }
    await waitFor('60 messages', () => received.length >= expected.length);
    assert.deepEqual([...received].sort(), expected.sort());
  });

  test('messages on one link arrive in order', async () => {
    received.length = 0;
    for (let i = 0; i < 200; i++) byId('vp1').send('vp2', 'consensus', Buffer.from(String(i)));
    await waitFor('200 messages', () => received.length >= 200);
    assert.deepEqual(received, Array.from({ length: 200 }, (_, i) => `vp1>vp2:consensus:${i}`));
  });

  test('what one turn sends to a member travels as one bundle, in order, interleaved with requests', async () => {
    received.length = 0;
    const vp1 = byId('vp1');
    byId('vp0').onRequest('transaction', async (_from, payload) => payload);
    const before = vp1.stats();
    for (let i = 0; i < 50; i++) vp1.broadcast('transaction', Buffer.from(`b${i}`));
    vp1.send('vp0', 'transaction', Buffer.from('only to vp0'));
    const echoed = vp1.request('vp0', 'transaction', Buffer.from('asked'), 5_000);
    vp1.send('vp0', 'transaction', Buffer.from('after the request'));
    assert.equal(Buffer.from(await echoed).toString(), 'asked');
    await waitFor('152 messages', () => received.length >= 152);
    const after = vp1.stats();
    // Per validator one bundle (vp0: then the request frame, then one more plain frame).
    assert.equal(after.messagesSent - before.messagesSent, 152);
    assert.equal(after.framesSent - before.framesSent, 3 + 2);
    const at = (to: string) => received.filter((line) => line.startsWith(`vp1>${to}:`)).map((line) => line.split(':')[2]);
    const broadcasts = Array.from({ length: 50 }, (_, i) => `b${i}`);
    assert.deepEqual(at('vp0'), [...broadcasts, 'only to vp0', 'after the request']);
    assert.deepEqual(at('vp2'), broadcasts);
    assert.deepEqual(at('vp3'), broadcasts);
  });

  test('broadcast reaches every other validator, not the non-validating peer', async () => {
    received.length = 0;
    byId('vp2').broadcast('transaction', Buffer.from('tx'));
    byId('nvp0').broadcast('consensus', Buffer.from('from nvp0'));
    await waitFor('7 messages', () => received.length >= 7);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual([...received].sort(), [
      'nvp0>vp0:consensus:from nvp0',
      'nvp0>vp1:consensus:from nvp0',
      'nvp0>vp2:consensus:from nvp0',
      'nvp0>vp3:consensus:from nvp0',
      'vp2>vp0:transaction:tx',
      'vp2>vp1:transaction:tx',
      'vp2>vp3:transaction:tx',
    ]);
  });

  test('a request to a channel without a handler is answered with an error', async () => {
    await assert.rejects(byId('vp0').request('vp3', 'transaction', new Uint8Array(1), 5_000), {
      name: 'RemoteError',
      message: 'vp3 answered with an error: no handler for transaction requests',
    });
  });

  test('requests are answered on every channel by every member', async () => {
    for (const transport of transports) {
      for (const channel of CHANNELS) {
        transport.onRequest(channel, async (from, payload) => Buffer.from(`${transport.selfId} answers ${from}: ${Buffer.from(payload).toString()} on ${channel}`));
      }
    }
    // Pairs in parallel, channels of one pair in turn (vp3 lets only 2 of its requests wait per peer).
    const answers: string[] = [];
    const pairs: Promise<void>[] = [];
    for (const from of transports) {
      for (const to of transports) {
        if (from === to) continue;
        pairs.push(
          (async () => {
            for (const channel of CHANNELS) {
              const answer = await from.request(to.selfId, channel, Buffer.from('ping'), 5_000);
              assert.equal(Buffer.from(answer).toString(), `${to.selfId} answers ${from.selfId}: ping on ${channel}`);
              answers.push(channel);
            }
          })(),
        );
      }
    }
    await Promise.all(pairs);
    assert.equal(answers.length, 60);
  });

  test('a thrown error comes back as a RemoteError; a timeout, an unknown peer and a request to itself fail clearly', async () => {
    byId('vp1').onRequest('sync', async () => {
      throw new Error('block 9 is not here');
    });
    await assert.rejects(byId('vp0').request('vp1', 'sync', new Uint8Array(1), 5_000), (error: unknown) => {
      assert.ok(error instanceof RemoteError);
      assert.equal(error.message, 'vp1 answered with an error: block 9 is not here');
      assert.equal(error.peer, 'vp1');
      return true;
    });
    byId('vp2').onRequest('consensus', () => new Promise<Uint8Array>(() => {}));
    await assert.rejects(byId('vp0').request('vp2', 'consensus', new Uint8Array(1), 50), {
      name: 'RequestTimeoutError',
      message: 'vp2 did not answer a consensus request within 50 ms',
    });
    await assert.rejects(byId('vp0').request('vp9', 'sync', new Uint8Array(1), 50), {
      name: 'PeerUnreachableError',
      message: '"vp9" is not a member of the network',
    });
    await assert.rejects(byId('vp0').request('vp0', 'sync', new Uint8Array(1), 50), {
      name: 'RequestRejectedError',
      message: 'a peer cannot send a request to itself',
    });
    await assert.rejects(byId('vp0').request('vp1', 'sync', new Uint8Array(1), 0), RequestRejectedError);
    assert.ok(new RequestTimeoutError('x') instanceof Error && new PeerUnreachableError('x') instanceof Error);
  });

  test('inbound requests are bounded per peer: the third concurrent one is refused as busy', async () => {
    const release: (() => void)[] = [];
    byId('vp3').onRequest('sync', () => new Promise<Uint8Array>((resolve) => release.push(() => resolve(new Uint8Array([7])))));
    const first = byId('vp0').request('vp3', 'sync', new Uint8Array(1), 5_000);
    const second = byId('vp0').request('vp3', 'sync', new Uint8Array(1), 5_000);
    await waitFor('two requests in the handler', () => release.length === 2);
    await assert.rejects(byId('vp0').request('vp3', 'sync', new Uint8Array(1), 5_000), {
      name: 'RemoteError',
      message: 'vp3 answered with an error: busy: 2 of your sync requests are already being answered',
    });
    release.forEach((go) => go());
    assert.deepEqual([...(await first)], [7]);
    assert.deepEqual([...(await second)], [7]);
  });

  test('outstanding requests are bounded per peer on the asking side', async () => {
    byId('vp0').onRequest('sync', () => new Promise<Uint8Array>((resolve) => setTimeout(() => resolve(new Uint8Array(0)), 100)));
    const a = byId('vp3').request('vp0', 'sync', new Uint8Array(1), 5_000);
    const b = byId('vp3').request('vp0', 'sync', new Uint8Array(1), 5_000);
    await assert.rejects(byId('vp3').request('vp0', 'sync', new Uint8Array(1), 5_000), {
      name: 'RequestRejectedError',
      message: '2 requests to vp0 are already outstanding',
    });
    await Promise.all([a, b]);
  });

  test('oversized, unknown-peer and self sends are dropped and counted, never thrown', () => {
    const vp0 = byId('vp0');
    const before = vp0.stats().dropped;
    vp0.send('vp1', 'transaction', new Uint8Array(4_194_304 + 65_536 + 1));
    vp0.send('vp9', 'consensus', new Uint8Array(1));
    vp0.send('vp0', 'consensus', new Uint8Array(1));
    vp0.send('vp1', 'bogus' as Channel, new Uint8Array(1));
    const after = vp0.stats().dropped;
    assert.equal(after.oversizedOutbound - before.oversizedOutbound, 1);
    assert.equal(after.unknownPeer - before.unknownPeer, 2);
    assert.equal(after.malformed - before.malformed, 1);
  });

  test('a message handler that throws does not stop later messages', async () => {
    received.length = 0;
    byId('vp1').onMessage('sync', (from, payload) => {
      if (payload[0] === 0) throw new Error('handler bug');
      received.push(`${from}:${payload[0]}`);
    });
    byId('vp0').send('vp1', 'sync', new Uint8Array([0]));
    byId('vp0').send('vp1', 'sync', new Uint8Array([1]));
    await waitFor('the second message', () => received.length === 1);
    assert.deepEqual(received, ['vp0:1']);
    assert.equal(byId('vp1').stats().handlerErrors, 1);
  });
});
