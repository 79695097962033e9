// What the transport refuses: a key that is not a member's (dialling in, or answering a rootnode
// dial), a peer of another network, and frames that are forged (another sender than the
// connection's member), malformed, of another wire version or oversized. A raw libp2p node (the
// test holds a member's key) writes such frames on a real stream; each is dropped and counted,
// and the stream keeps working for the honest frames around them. Frames are not signed (wire
// v3): what binds a frame to its network, channel and version is the stream's protocol id.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Connection, Ed25519PrivateKey, Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { encodeBundle, encodeFrame, FrameKind, WIRE_PROTOCOL_VERSION, type FrameHeader } from '../../network/transport/frame.ts';
import { createWeftNode, type WeftNode } from '../../network/transport/libp2p-node.ts';
import type { Libp2pTransport } from '../../network/transport/libp2p-transport.ts';
import { makePeers, memberList, transportFor, waitFor, type TestPeer } from './helpers.ts';

async function rawNode(key: Ed25519PrivateKey, networkId = 'dev'): Promise<WeftNode> {
  const node = await createWeftNode({
    privateKey: key,
    networkId,
    listen: multiaddr('/ip4/127.0.0.1/tcp/0'),
    announce: undefined,
    members: 4,
    isMember: () => true,
    refused: () => {},
  });
  await node.start();
  return node;
}

describe('hostile peers and frames', () => {
  let peers: TestPeer[];
  let vp0: Libp2pTransport;
  let vp0Address: string;
  const started: { stop(): void | Promise<void> }[] = [];
  const delivered: string[] = [];
  const message = (from: string): FrameHeader => ({ kind: FrameKind.message, requestId: 0, from });
  const text = (s: string) => new TextEncoder().encode(s);
  const lengthPrefixed = (body: Uint8Array) => {
    const out = Buffer.alloc(4 + body.byteLength);
    out.writeUInt32BE(body.byteLength);
    out.set(body, 4);
    return out;
  };
  let asVp4: WeftNode | undefined;
  /** A raw libp2p node with vp4's key, connected to vp0: it writes whatever bytes a test wants. */
  async function dialAsVp4(): Promise<Connection> {
    if (!asVp4) {
      asVp4 = await rawNode((peers[2] as TestPeer).key);
      started.push(asVp4);
    }
    const [host, port] = vp0Address.split(':');
    return asVp4.dial(multiaddr(`/ip4/${host}/tcp/${port}/p2p/${peers[0]?.peerId}`));
  }

  before(async () => {
    // vp0 runs; the test holds vp1's and vp4's keys to speak as them.
    peers = await makePeers(['vp0', 'vp1', 'vp4']);
    vp0 = transportFor(peers[0] as TestPeer, memberList(peers), { limits: { payloadBytesMax: { consensus: 1_024, transaction: 1_024, sync: 1_024 } } });
    await vp0.start();
    started.push(vp0);
    vp0Address = vp0.listenAddresses()[0] as string;
    vp0.onMessage('consensus', (from, payload) => delivered.push(`${from}:${Buffer.from(payload).toString()}`));
  });

  after(async () => {
    await Promise.all(started.map(async (s) => s.stop()));
  });

  test('a connection from a key that is not a member is refused after the handshake', async () => {
    const outsider = await rawNode(await generateKeyPair('Ed25519'));
    started.push(outsider);
    const [host, port] = vp0Address.split(':');
    const target = multiaddr(`/ip4/${host}/tcp/${port}/p2p/${peers[0]?.peerId}`);
    await assert.rejects(async () => {
      const connection = await outsider.dial(target);
      await connection.newStream(`/weft/dev/consensus/${WIRE_PROTOCOL_VERSION}`);
    });
    await waitFor('the refusal to be counted', () => vp0.stats().refusedConnections === 1);
    await waitFor('the outsider to be disconnected', () => outsider.getConnections().length === 0);
    assert.deepEqual(vp0.connected(), []);
    assert.deepEqual(delivered, []);
  });

  test('a rootnode that turns out not to be a member is refused too', async () => {
    const outsider = await rawNode(await generateKeyPair('Ed25519'));
    started.push(outsider);
    const address = outsider.getMultiaddrs()[0]?.toString().match(/\/ip4\/([^/]+)\/tcp\/(\d+)/);
    const vp1 = transportFor(peers[1] as TestPeer, memberList(peers), { rootNodes: `${address?.[1]}:${address?.[2]}` });
    await vp1.start();
    started.push(vp1);
    await waitFor('vp1 to refuse the outsider', () => vp1.stats().refusedConnections >= 1);
    assert.deepEqual(vp1.connected(), []);
    await vp1.stop();
  });

  test('a peer of another network cannot connect (the Noise prologue differs)', async () => {
    const stranger = await rawNode(peers[2]?.key as TestPeer['key'], 'prod');
    started.push(stranger);
    const [host, port] = vp0Address.split(':');
    await assert.rejects(stranger.dial(multiaddr(`/ip4/${host}/tcp/${port}/p2p/${peers[0]?.peerId}`)));
    assert.deepEqual(vp0.connected(), []);
    await stranger.stop();
  });

  test('forged, malformed, wrong-version and oversized frames and bundles are dropped; honest ones around them arrive', async () => {
    const stream: Stream = await (await dialAsVp4()).newStream(`/weft/dev/consensus/${WIRE_PROTOCOL_VERSION}`);
    const frames: Uint8Array[] = [
      encodeFrame(message('vp4'), text('one')),
      // Sent over vp4's connection, claiming to be vp1.
      encodeFrame(message('vp1'), text('claims vp1')),
      // Not a frame.
      lengthPrefixed(text('garbage that is not a frame')),
      // A wire v2 frame (signed, version 2) on a v3 stream.
      lengthPrefixed(new Uint8Array([2, 0, 0, 0, 0, 0, 3, ...text('vp4'), 64, ...new Uint8Array(64), ...text('v2')])),
      // Over the 1 KiB bound: skipped unread.
      encodeFrame(message('vp4'), new Uint8Array(2_000)),
      // An answer to a request vp0 never made.
      encodeFrame({ kind: FrameKind.response, requestId: 77, from: 'vp4' }, text('answer')),
      // A bundle of two, then a bundle whose second entry claims more bytes than it has.
      encodeFrame({ kind: FrameKind.bundle, requestId: 0, from: 'vp4' }, encodeBundle([text('b1'), text('b2')])),
      encodeFrame({ kind: FrameKind.bundle, requestId: 0, from: 'vp4' }, encodeBundle([text('torn'), text('bundle')]).subarray(0, 14)),
      // A bundle claiming another sender.
      encodeFrame({ kind: FrameKind.bundle, requestId: 0, from: 'vp1' }, encodeBundle([text('x1'), text('x2')])),
      encodeFrame(message('vp4'), text('two')),
    ];
    for (const frame of frames) stream.send(frame);
    await waitFor('the last honest frame', () => delivered.includes('vp4:two'));
    assert.deepEqual(delivered, ['vp4:one', 'vp4:b1', 'vp4:b2', 'vp4:two']);
    const { dropped, framesReceived, messagesReceived } = vp0.stats();
    assert.deepEqual(
      { wrongSender: dropped.wrongSender, malformed: dropped.malformed, oversizedInbound: dropped.oversizedInbound, unexpectedResponse: dropped.unexpectedResponse },
      { wrongSender: 2, malformed: 3, oversizedInbound: 1, unexpectedResponse: 1 },
    );
    assert.equal(messagesReceived, 4);
    // Frames that parse and pass the sender checks: one, the stray response, both bundles (the torn
    // one fails only when its entries are split), two.
    assert.equal(framesReceived, 5);
    assert.deepEqual(vp0.connected().map((peer) => peer.id), ['vp4']);
  });

  test('a frame belongs to the channel of the stream it arrives on; other versions and networks are not spoken', async () => {
    const connection = await dialAsVp4();
    const sync: string[] = [];
    vp0.onMessage('sync', (from, payload) => sync.push(`${from}:${Buffer.from(payload).toString()}`));
    delivered.length = 0;
    const syncStream = await connection.newStream(`/weft/dev/sync/${WIRE_PROTOCOL_VERSION}`);
    syncStream.send(encodeFrame(message('vp4'), text('on sync')));
    await waitFor('the sync message', () => sync.length === 1);
    assert.deepEqual(sync, ['vp4:on sync']);
    assert.deepEqual(delivered, []);
    // A v2 peer (wire 2.0.0), another network's protocol id, an unknown channel: no stream opens.
    for (const protocol of ['/weft/dev/consensus/2.0.0', '/weft/prod/consensus/3.0.0', '/weft/dev/gossip/3.0.0']) {
      await assert.rejects(connection.newStream(protocol), { name: 'UnsupportedProtocolError' }, protocol);
    }
  });
});
