// What the transport refuses: a key that is not a member's (dialling in, or answering a rootnode
// dial), a peer of another network, and frames that are forged, unsigned, mis-signed, malformed or
// oversized. A raw libp2p node (the test holds a member's key) writes such frames on a real stream;
// each is dropped and counted, and the stream keeps working for the honest frames around them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey, Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { Ed25519Signer } from '../../network/transport/ed25519-signer.ts';
import { encodeBundle, encodeFrame, FrameKind, WIRE_PROTOCOL_VERSION, type FrameHeader } from '../../network/transport/frame.ts';
import { peerIdOf } from '../../network/transport/identity.ts';
import { createWeftNode, type WeftNode } from '../../network/transport/libp2p-node.ts';
import type { Libp2pTransport } from '../../network/transport/libp2p-transport.ts';
import { Membership } from '../../network/transport/members.ts';
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

  test('forged, unsigned, mis-signed, malformed and oversized frames and bundles are dropped; honest ones around them arrive', async () => {
    const [, vp1, vp4] = peers as [TestPeer, TestPeer, TestPeer];
    const membership = new Membership(memberList(peers));
    const asVp4 = new Ed25519Signer(vp4.key, membership);
    const asVp1 = new Ed25519Signer(vp1.key, membership);
    const outsiderKey = await generateKeyPair('Ed25519');
    const asOutsider = new Ed25519Signer(outsiderKey, new Membership([{ id: 'vp4', peerId: peerIdOf(outsiderKey) }]));
    const node = await rawNode(vp4.key);
    started.push(node);
    const [host, port] = vp0Address.split(':');
    const connection = await node.dial(multiaddr(`/ip4/${host}/tcp/${port}/p2p/${peers[0]?.peerId}`));
    const stream: Stream = await connection.newStream(`/weft/dev/consensus/${WIRE_PROTOCOL_VERSION}`);
    const consensus = { networkId: 'dev', channel: 'consensus' };
    const message = (from: string): FrameHeader => ({ kind: FrameKind.message, requestId: 0, from });
    const text = (s: string) => new TextEncoder().encode(s);
    const lengthPrefixed = (body: Uint8Array) => {
      const out = Buffer.alloc(4 + body.byteLength);
      out.writeUInt32BE(body.byteLength);
      out.set(body, 4);
      return out;
    };

    const frames: Uint8Array[] = [
      encodeFrame(message('vp4'), text('one'), consensus, (d) => asVp4.sign(d)),
      // No signature at all.
      encodeFrame(message('vp4'), text('unsigned'), consensus, (d) => asVp4.sign(d), new Uint8Array(0)),
      // 64 random bytes as a signature.
      encodeFrame(message('vp4'), text('random signature'), consensus, (d) => asVp4.sign(d), crypto.getRandomValues(new Uint8Array(64))),
      // Signed by a key that is not vp4's.
      encodeFrame(message('vp4'), text('wrong key'), consensus, (d) => asOutsider.sign(d)),
      // Signed by vp4, but for another channel (replayed from sync).
      encodeFrame(message('vp4'), text('other channel'), { ...consensus, channel: 'sync' }, (d) => asVp4.sign(d)),
      // Validly signed by vp1, but sent over vp4's connection: vp4 claims to be vp1.
      encodeFrame(message('vp1'), text('claims vp1'), consensus, (d) => asVp1.sign(d)),
      // Not a frame.
      lengthPrefixed(text('garbage that is not a frame')),
      // Over the 1 KiB bound: skipped unread.
      encodeFrame(message('vp4'), new Uint8Array(2_000), consensus, (d) => asVp4.sign(d)),
      // An answer to a request vp0 never made.
      encodeFrame({ kind: FrameKind.response, requestId: 77, from: 'vp4' }, text('answer'), consensus, (d) => asVp4.sign(d)),
      // A bundle of two, then a bundle whose second entry claims more bytes than it has.
      encodeFrame({ kind: FrameKind.bundle, requestId: 0, from: 'vp4' }, encodeBundle([text('b1'), text('b2')]), consensus, (d) => asVp4.sign(d)),
      encodeFrame({ kind: FrameKind.bundle, requestId: 0, from: 'vp4' }, encodeBundle([text('torn'), text('bundle')]).subarray(0, 14), consensus, (d) => asVp4.sign(d)),
      // A bundle signed for another channel.
      encodeFrame({ kind: FrameKind.bundle, requestId: 0, from: 'vp4' }, encodeBundle([text('x1'), text('x2')]), { ...consensus, channel: 'sync' }, (d) => asVp4.sign(d)),
      encodeFrame(message('vp4'), text('two'), consensus, (d) => asVp4.sign(d)),
    ];
    for (const frame of frames) stream.send(frame);
    await waitFor('the last honest frame', () => delivered.includes('vp4:two'));
    assert.deepEqual(delivered, ['vp4:one', 'vp4:b1', 'vp4:b2', 'vp4:two']);
    const { dropped } = vp0.stats();
    assert.deepEqual(
      { unsigned: dropped.unsigned, badSignature: dropped.badSignature, wrongSender: dropped.wrongSender, malformed: dropped.malformed, oversizedInbound: dropped.oversizedInbound, unexpectedResponse: dropped.unexpectedResponse },
      { unsigned: 1, badSignature: 4, wrongSender: 1, malformed: 2, oversizedInbound: 1, unexpectedResponse: 1 },
    );
    assert.deepEqual(vp0.connected().map((peer) => peer.id), ['vp4']);
  });
});
