// Frames on the wire: what is signed, what a decoder accepts, how an oversized frame is skipped,
// and the Ed25519 signer the transport (and PBFT) verify with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ed25519Signer } from '../../network/transport/ed25519-signer.ts';
import { decodeBundle, decodeFrame, encodeBundle, encodeFrame, frameDigest, FrameKind, LENGTH_PREFIX_BYTES } from '../../network/transport/frame.ts';
import { FrameDecoder } from '../../network/transport/frame-decoder.ts';
import { Membership } from '../../network/transport/members.ts';
import { makePeers, memberList } from './helpers.ts';

const peers = await makePeers(['vp0', 'vp1']);
const membership = new Membership(memberList(peers));
const [vp0, vp1] = peers;
if (!vp0 || !vp1) throw new Error('no peers');
const signer0 = new Ed25519Signer(vp0.key, membership);
const signer1 = new Ed25519Signer(vp1.key, membership);
const context = { networkId: 'dev', channel: 'consensus' };

test('a frame round-trips and its signature verifies only against its sender, channel and network', () => {
  const payload = new TextEncoder().encode('prepare v=0 n=7');
  const wire = encodeFrame({ kind: FrameKind.request, requestId: 42, from: 'vp0' }, payload, context, (digest) => signer0.sign(digest));
  assert.equal(new DataView(wire.buffer).getUint32(0), wire.byteLength - LENGTH_PREFIX_BYTES);
  const frame = decodeFrame(wire.subarray(LENGTH_PREFIX_BYTES));
  assert.ok(typeof frame !== 'string');
  assert.equal(frame.kind, FrameKind.request);
  assert.equal(frame.requestId, 42);
  assert.equal(frame.from, 'vp0');
  assert.deepEqual(frame.payload, payload);
  assert.equal(frame.signature.byteLength, 64);
  const digest = frameDigest(context, frame.header, frame.payload);
  assert.equal(signer1.verify('vp0', digest, frame.signature), true);
  assert.equal(signer1.verify('vp1', digest, frame.signature), false);
  assert.equal(signer1.verify('vp9', digest, frame.signature), false);
  assert.equal(signer1.verify('vp0', frameDigest({ ...context, channel: 'sync' }, frame.header, frame.payload), frame.signature), false);
  assert.equal(signer1.verify('vp0', frameDigest({ ...context, networkId: 'prod' }, frame.header, frame.payload), frame.signature), false);
  assert.equal(signer1.verify('vp0', digest, frame.signature.subarray(0, 63)), false);
  const tampered = new Uint8Array(frame.payload);
  tampered[0] = (tampered[0] as number) ^ 1;
  assert.equal(signer1.verify('vp0', frameDigest(context, frame.header, tampered), frame.signature), false);
});

test('decodeFrame refuses unsigned and malformed frames without throwing', () => {
  const sign = (digest: Uint8Array) => signer0.sign(digest);
  const body = (wire: Uint8Array) => wire.subarray(LENGTH_PREFIX_BYTES);
  const payload = new Uint8Array([1, 2, 3]);
  assert.equal(decodeFrame(body(encodeFrame({ kind: FrameKind.message, requestId: 0, from: 'vp0' }, payload, context, sign, new Uint8Array(0)))), 'unsigned');
  assert.equal(decodeFrame(body(encodeFrame({ kind: FrameKind.message, requestId: 0, from: 'vp0' }, payload, context, sign, new Uint8Array(10)))), 'malformed');
  // A plain message with a request id, and a request without one.
  assert.equal(decodeFrame(body(encodeFrame({ kind: FrameKind.message, requestId: 5, from: 'vp0' }, payload, context, sign))), 'malformed');
  assert.equal(decodeFrame(body(encodeFrame({ kind: FrameKind.request, requestId: 0, from: 'vp0' }, payload, context, sign))), 'malformed');
  const good = body(encodeFrame({ kind: FrameKind.message, requestId: 0, from: 'vp0' }, payload, context, sign));
  assert.equal(decodeFrame(new Uint8Array(0)), 'malformed');
  assert.equal(decodeFrame(good.subarray(0, 12)), 'malformed');
  const badVersion = new Uint8Array(good);
  badVersion[0] = 1; // the version before bundles
  assert.equal(decodeFrame(badVersion), 'malformed');
  badVersion[0] = 3;
  assert.equal(decodeFrame(badVersion), 'malformed');
  const badKind = new Uint8Array(good);
  badKind[1] = 5;
  assert.equal(decodeFrame(badKind), 'malformed');
  const longId = new Uint8Array(good);
  longId[6] = 200;
  assert.equal(decodeFrame(longId), 'malformed');
  for (let i = 0; i < 2_000; i++) {
    const junk = crypto.getRandomValues(new Uint8Array(1 + (i % 200)));
    const result = decodeFrame(junk);
    assert.ok(typeof result === 'string' || result.signature.byteLength === 64);
  }
});

test('a bundle frame carries two or more messages under one signature; a malformed bundle is refused', () => {
  const messages = ['prepare n=7', '', 'commit n=7'].map((text) => new TextEncoder().encode(text));
  const bundle = encodeBundle(messages);
  assert.equal(bundle.byteLength, 3 * 4 + 11 + 0 + 10);
  const wire = encodeFrame({ kind: FrameKind.bundle, requestId: 0, from: 'vp1' }, bundle, context, (digest) => signer1.sign(digest));
  const frame = decodeFrame(wire.subarray(LENGTH_PREFIX_BYTES));
  assert.ok(typeof frame !== 'string');
  assert.equal(frame.kind, FrameKind.bundle);
  assert.equal(signer0.verify('vp1', frameDigest(context, frame.header, frame.payload), frame.signature), true);
  const decoded = decodeBundle(frame.payload, 100);
  assert.ok(decoded !== 'malformed');
  assert.deepEqual(decoded.map((m) => Buffer.from(m).toString()), ['prepare n=7', '', 'commit n=7']);
  // A bundle with a request id is not a bundle.
  assert.equal(decodeFrame(encodeFrame({ kind: FrameKind.bundle, requestId: 3, from: 'vp1' }, bundle, context, (d) => signer1.sign(d)).subarray(LENGTH_PREFIX_BYTES)), 'malformed');
  // One message travels as a plain frame; an entry longer than the rest; a torn length; an entry over the bound.
  assert.equal(decodeBundle(encodeBundle([messages[0]!]), 100), 'malformed');
  assert.equal(decodeBundle(bundle.subarray(0, bundle.byteLength - 1), 100), 'malformed');
  assert.equal(decodeBundle(new Uint8Array([...bundle, 0, 0]), 100), 'malformed');
  assert.equal(decodeBundle(bundle, 10), 'malformed');
  const huge = new Uint8Array(bundle);
  new DataView(huge.buffer).setUint32(0, 0xffff_ffff);
  assert.equal(decodeBundle(huge, 1 << 30), 'malformed');
});

test('the decoder reassembles frames split anywhere and skips an oversized one without buffering it', () => {
  const frames: string[] = [];
  const oversized: number[] = [];
  const decoder = new FrameDecoder(100, {
    frame: (frame) => frames.push(Buffer.from(frame).toString()),
    oversized: (bytes) => oversized.push(bytes),
  });
  const wire = (text: string) => {
    const body = Buffer.from(text);
    const out = Buffer.alloc(4 + body.byteLength);
    out.writeUInt32BE(body.byteLength);
    body.copy(out, 4);
    return out;
  };
  const stream = Buffer.concat([wire('first'), wire('x'.repeat(5_000)), wire('second'), wire(''), wire('y'.repeat(100))]);
  // Feed it one byte at a time, then in ragged chunks: the result must not depend on the cut.
  for (const chunkSize of [1, 3, 7, 64, 4_096, stream.byteLength]) {
    frames.length = 0;
    oversized.length = 0;
    let peak = 0;
    for (let at = 0; at < stream.byteLength; at += chunkSize) {
      decoder.push(stream.subarray(at, at + chunkSize));
      peak = Math.max(peak, decoder.bufferedBytes);
    }
    assert.deepEqual(frames, ['first', 'second', '', 'y'.repeat(100)], `chunk ${chunkSize}`);
    assert.deepEqual(oversized, [5_000]);
    assert.ok(peak <= 100, `buffered ${peak} bytes`);
    assert.equal(decoder.bufferedBytes, 0);
  }
});
