// Frames on the wire (v3: no signature): their exact layout, what a decoder accepts, bundles, how
// an oversized frame is skipped, and the Ed25519 signer the PBFT core signs and verifies with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ed25519Signer } from '../../network/transport/ed25519-signer.ts';
import {
  decodeBundle,
  decodeFrame,
  encodeBundle,
  encodeFrame,
  FRAME_OVERHEAD_BYTES_MAX,
  FRAME_VERSION,
  FrameKind,
  LENGTH_PREFIX_BYTES,
  WIRE_PROTOCOL_VERSION,
} from '../../network/transport/frame.ts';
import { FrameDecoder } from '../../network/transport/frame-decoder.ts';
import { Membership } from '../../network/transport/members.ts';
import { makePeers, memberList } from './helpers.ts';

const text = (s: string) => new TextEncoder().encode(s);
const body = (wire: Uint8Array) => wire.subarray(LENGTH_PREFIX_BYTES);

test('wire v3: a frame is length, version 3, kind, request id, sender id, payload — no signature', () => {
  assert.equal(FRAME_VERSION, 3);
  assert.equal(WIRE_PROTOCOL_VERSION, '3.0.0');
  assert.equal(FRAME_OVERHEAD_BYTES_MAX, 7 + 64);
  const payload = text('prepare v=0 n=7');
  const wire = encodeFrame({ kind: FrameKind.request, requestId: 0x0102_0304, from: 'vp0' }, payload);
  assert.deepEqual([...wire], [0, 0, 0, 25, 3, 1, 1, 2, 3, 4, 3, ...text('vp0'), ...payload]);
  const frame = decodeFrame(body(wire));
  assert.deepEqual(frame, { kind: FrameKind.request, requestId: 0x0102_0304, from: 'vp0', payload });
  // An empty payload and a 64-byte sender id are fine.
  const long = 'v'.repeat(64);
  assert.deepEqual(decodeFrame(body(encodeFrame({ kind: FrameKind.message, requestId: 0, from: long }, new Uint8Array(0)))), {
    kind: FrameKind.message,
    requestId: 0,
    from: long,
    payload: new Uint8Array(0),
  });
});

test('encodeFrame refuses a header it cannot encode', () => {
  assert.throws(() => encodeFrame({ kind: FrameKind.message, requestId: 0, from: '' }, new Uint8Array(1)), { message: 'sender id must be 1..64 bytes' });
  assert.throws(() => encodeFrame({ kind: FrameKind.message, requestId: 0, from: 'v'.repeat(65) }, new Uint8Array(1)), { message: 'sender id must be 1..64 bytes' });
  assert.throws(() => encodeFrame({ kind: FrameKind.request, requestId: 2 ** 32, from: 'vp0' }, new Uint8Array(1)), { message: 'request id must be a u32' });
  assert.throws(() => encodeFrame({ kind: FrameKind.request, requestId: 1.5, from: 'vp0' }, new Uint8Array(1)), { message: 'request id must be a u32' });
});

test('decodeFrame refuses malformed frames and other wire versions without throwing', () => {
  const payload = new Uint8Array([1, 2, 3]);
  // A plain message with a request id, a request without one, a bundle with one.
  assert.equal(decodeFrame(body(encodeFrame({ kind: FrameKind.message, requestId: 5, from: 'vp0' }, payload))), 'malformed');
  assert.equal(decodeFrame(body(encodeFrame({ kind: FrameKind.request, requestId: 0, from: 'vp0' }, payload))), 'malformed');
  assert.equal(decodeFrame(body(encodeFrame({ kind: FrameKind.bundle, requestId: 3, from: 'vp0' }, payload))), 'malformed');
  const good = body(encodeFrame({ kind: FrameKind.message, requestId: 0, from: 'vp0' }, payload));
  assert.notEqual(decodeFrame(good), 'malformed');
  assert.equal(decodeFrame(new Uint8Array(0)), 'malformed');
  // Cut inside the sender id.
  assert.equal(decodeFrame(good.subarray(0, 9)), 'malformed');
  assert.equal(decodeFrame(good.subarray(0, 7)), 'malformed');
  for (const version of [0, 1, 2, 4, 255]) {
    const other = new Uint8Array(good);
    other[0] = version;
    assert.equal(decodeFrame(other), 'malformed', `version ${version}`);
  }
  // A v2 frame (a 64-byte signature after the sender id) is refused by its version byte.
  const v2 = new Uint8Array([2, 0, 0, 0, 0, 0, 3, ...text('vp0'), 64, ...new Uint8Array(64), ...payload]);
  assert.equal(decodeFrame(v2), 'malformed');
  const badKind = new Uint8Array(good);
  badKind[1] = 5;
  assert.equal(decodeFrame(badKind), 'malformed');
  const longId = new Uint8Array(good);
  longId[6] = 65;
  assert.equal(decodeFrame(longId), 'malformed');
  const noId = new Uint8Array(good);
  noId[6] = 0;
  assert.equal(decodeFrame(noId), 'malformed');
  // Random bytes: nothing throws, and what parses is exactly what the bytes say.
  let accepted = 0;
  for (let i = 0; i < 5_000; i++) {
    const junk = crypto.getRandomValues(new Uint8Array(1 + (i % 200)));
    if (i % 2 === 0) junk[0] = FRAME_VERSION;
    if (junk.byteLength > 1 && i % 4 === 0) junk[1] = i % 5;
    if (junk.byteLength >= 6 && i % 8 === 0) new DataView(junk.buffer).setUint32(2, 0);
    if (junk.byteLength > 6 && i % 16 === 0) junk[6] = 1 + (i % 8);
    const result = decodeFrame(junk);
    if (result === 'malformed') continue;
    accepted++;
    const idEnd = 7 + (junk[6] as number);
    assert.equal(result.kind, junk[1]);
    assert.equal(result.requestId, new DataView(junk.buffer).getUint32(2));
    assert.equal(result.from, Buffer.from(junk.subarray(7, idEnd)).toString('utf8'));
    assert.deepEqual(result.payload, junk.subarray(idEnd));
  }
  assert.ok(accepted > 0, 'some random frames must parse for the property to mean anything');
});

test('a bundle frame carries two or more messages; a malformed bundle is refused', () => {
  const messages = ['prepare n=7', '', 'commit n=7'].map(text);
  const bundle = encodeBundle(messages);
  assert.equal(bundle.byteLength, 3 * 4 + 11 + 0 + 10);
  const wire = encodeFrame({ kind: FrameKind.bundle, requestId: 0, from: 'vp1' }, bundle);
  assert.equal(wire.byteLength, LENGTH_PREFIX_BYTES + 7 + 3 + bundle.byteLength);
  const frame = decodeFrame(body(wire));
  assert.ok(frame !== 'malformed');
  assert.equal(frame.kind, FrameKind.bundle);
  assert.equal(frame.from, 'vp1');
  const decoded = decodeBundle(frame.payload, 100);
  assert.ok(decoded !== 'malformed');
  assert.deepEqual(decoded.map((m) => Buffer.from(m).toString()), ['prepare n=7', '', 'commit n=7']);
  // One message travels as a plain frame; a torn entry; trailing bytes; an entry over the bound.
  assert.equal(decodeBundle(encodeBundle([messages[0]!]), 100), 'malformed');
  assert.equal(decodeBundle(new Uint8Array(0), 100), 'malformed');
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
  const wire = (s: string) => {
    const bytes = Buffer.from(s);
    const out = Buffer.alloc(4 + bytes.byteLength);
    out.writeUInt32BE(bytes.byteLength);
    bytes.copy(out, 4);
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

test('the Ed25519 signer (PBFT requests and view-changes) verifies only its member, its data and a whole signature', async () => {
  const peers = await makePeers(['vp0', 'vp1']);
  const membership = new Membership(memberList(peers));
  const [vp0, vp1] = peers;
  if (!vp0 || !vp1) throw new Error('no peers');
  const signer0 = new Ed25519Signer(vp0.key, membership);
  const signer1 = new Ed25519Signer(vp1.key, membership);
  const data = text('view-change v=1');
  const signature = signer0.sign(data);
  assert.equal(signature.byteLength, 64);
  assert.equal(signer1.verify('vp0', data, signature), true);
  assert.equal(signer0.verify('vp0', data, signature), true);
  assert.equal(signer1.verify('vp1', data, signature), false);
  assert.equal(signer1.verify('vp9', data, signature), false);
  assert.equal(signer1.verify('vp0', text('view-change v=2'), signature), false);
  assert.equal(signer1.verify('vp0', data, signature.subarray(0, 63)), false);
  assert.equal(signer1.verify('vp0', data, new Uint8Array(64)), false);
  const flipped = new Uint8Array(signature);
  flipped[10] = (flipped[10] as number) ^ 1;
  assert.equal(signer1.verify('vp0', data, flipped), false);
});
