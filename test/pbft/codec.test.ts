// The PBFT wire format: every message round-trips, and hostile bytes are refused with a reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64, encodeBase64, isBase64 } from '../../network/pbft/base64.ts';
import {
  checkpointIdOf,
  CodecError,
  decodeCheckpointId,
  decodeMessage,
  decodeMetadata,
  decodeRequestBatch,
  encodeMessage,
  encodeMetadata,
  encodeRequestBatch,
  encodeRequestForSigning,
  encodeViewChangeForSigning,
} from '../../network/pbft/codec.ts';
import { batchDigest } from '../../network/pbft/digest.ts';
import type { PbftMessage, Request, ViewChange } from '../../network/pbft/messages.ts';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const request: Request = { origin: 2, counter: 7, payload: new TextEncoder().encode('a transaction'), signature: new Uint8Array(64).fill(9) };
const digest = batchDigest(encodeRequestBatch({ requests: [request] }));
const viewChange: ViewChange = {
  type: 'view-change',
  view: 3,
  h: 10,
  cset: [{ seqNo: 10, id: 'AAEC' }, { seqNo: 20, id: 'AwQF' }],
  pset: [{ seqNo: 11, digest, view: 1 }],
  qset: [{ seqNo: 11, digest, view: 1 }, { seqNo: 12, digest: '', view: 2 }],
  replicaId: 1,
  signature: bytes(1, 2, 3),
};

const EVERY_MESSAGE: PbftMessage[] = [
  { type: 'request', request },
  { type: 'pre-prepare', view: 1, seqNo: 5, digest, batch: { requests: [request] }, replicaId: 1 },
  { type: 'pre-prepare', view: 1, seqNo: 6, digest: '', batch: null, replicaId: 1 },
  { type: 'prepare', view: 1, seqNo: 5, digest, replicaId: 2 },
  { type: 'commit', view: 1, seqNo: 5, digest, replicaId: 3 },
  { type: 'checkpoint', seqNo: 10, id: 'AAEC', replicaId: 0 },
  viewChange,
  { type: 'new-view', view: 3, vset: [viewChange], xset: [{ seqNo: 11, digest }, { seqNo: 12, digest: '' }], replicaId: 3 },
  { type: 'fetch-request-batch', digest, replicaId: 0 },
  { type: 'return-request-batch', batch: { requests: [request] }, replicaId: 2 },
  { type: 'status', view: 4, activeView: false, lastExec: 17, headId: 'AAEC', h: 10, replicaId: 1 },
];

describe('PBFT codec', () => {
  it('round-trips every message type exactly', () => {
    for (const message of EVERY_MESSAGE) assert.deepEqual(decodeMessage(encodeMessage(message)), message, message.type);
  });

  it('encodes a batch canonically, so its digest is the same wherever it is computed', () => {
    const batch = { requests: [request, { ...request, counter: 8 }] };
    const encoded = encodeRequestBatch(batch);
    assert.deepEqual(encodeRequestBatch(decodeRequestBatch(encoded)), encoded);
    assert.equal(batchDigest(encoded), batchDigest(encodeRequestBatch(decodeRequestBatch(encoded))));
    assert.equal(batchDigest(encoded).length, 88, 'base64 of a 64-byte SHAKE256 hash');
    assert.notEqual(batchDigest(encoded), batchDigest(encodeRequestBatch({ requests: [...batch.requests].reverse() })));
  });

  it('signs view-changes and requests over domain-separated bytes that exclude the signature', () => {
    const signed = encodeViewChangeForSigning(viewChange);
    assert.deepEqual(encodeViewChangeForSigning({ ...viewChange, signature: bytes(7) }), signed);
    assert.notDeepEqual(encodeViewChangeForSigning({ ...viewChange, h: 20 }), signed);
    const forRequest = encodeRequestForSigning(request);
    assert.notDeepEqual(forRequest.slice(0, 16), signed.slice(0, 16));
    assert.match(new TextDecoder().decode(forRequest.slice(0, 19)), /^weft\/pbft\/request\//);
  });

  it('refuses truncated, trailing, unknown, non-canonical and out-of-range input with a reason', () => {
    const prepare = encodeMessage({ type: 'prepare', view: 1, seqNo: 5, digest, replicaId: 2 });
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(0), /truncated: version missing/],
      [bytes(2, 3), /unknown message version 2/],
      [bytes(1, 99), /unknown message type 99/],
      [prepare.slice(0, prepare.length - 1), /truncated/],
      [new Uint8Array([...prepare, 0]), /1 trailing bytes/],
      [bytes(1, 3, 0x80, 0x00), /non-canonical varint/],
      [bytes(1, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), /varint longer than 8 bytes/],
      [encodeMessage({ type: 'prepare', view: 1, seqNo: 5, digest: 'not base64!', replicaId: 2 }), /digest is not base64/],
      [encodeMessage({ type: 'prepare', view: 1, seqNo: 5, digest, replicaId: 300 }), /replicaId is 300, at most 255 allowed/],
      [encodeMessage({ type: 'request', request: { ...request, counter: 0 } }), /request counter must be at least 1/],
      [bytes(1, 5, 10, 0, 0), /checkpoint id is empty/],
      [bytes(1, 2, 1, 1, 0, 7), /has batch: 7 is not a boolean/],
      [new Uint8Array(8 * 1_048_576 + 1), /exceeds 8388608/],
    ];
    for (const [input, reason] of cases) {
      assert.throws(() => decodeMessage(input), (error: unknown) => error instanceof CodecError && reason.test(error.message), `expected ${reason}`);
    }
  });

  it('bounds list counts before reading them', () => {
    // A pre-prepare claiming 2^20 requests in a few bytes.
    const header = encodeMessage({ type: 'pre-prepare', view: 0, seqNo: 1, digest: '', batch: { requests: [] }, replicaId: 0 });
    const withHugeCount = new Uint8Array([...header.slice(0, header.length - 2), 0x80, 0x80, 0x40, 0]);
    assert.throws(() => decodeMessage(withHugeCount), /batch requests count is 1048576, at most 10000 allowed/);
  });

  it('carries the executed-request record in block metadata, empty metadata meaning seqNo 0', () => {
    const metadata = { seqNo: 42, executed: [{ origin: 0, low: 5, ranges: [[7, 9]] as Array<[number, number]> }, { origin: 3, low: 1, ranges: [] }] };
    assert.deepEqual(decodeMetadata(encodeMetadata(metadata)), metadata);
    assert.deepEqual(decodeMetadata(new Uint8Array(0)), { seqNo: 0, executed: [] });
    const bad = encodeMetadata({ seqNo: 1, executed: [{ origin: 0, low: 5, ranges: [[6, 9]] }] });
    assert.throws(() => decodeMetadata(bad), /ranges must ascend with gaps/);
  });

  it('turns a ledger head into a checkpoint id and back', () => {
    const head = { height: 12, blockHash: new Uint8Array(64).fill(1), stateHash: new Uint8Array(64).fill(2) };
    const id = checkpointIdOf(head);
    assert.ok(isBase64(id));
    assert.deepEqual(decodeCheckpointId(id), head);
    assert.throws(() => decodeCheckpointId('XXX GENESIS'), /checkpoint id is not base64/);
  });
});

describe('base64 without Buffer', () => {
  it('matches Buffer for every length, and is strict about padding', () => {
    for (let length = 0; length < 70; length++) {
      const input = new Uint8Array(length).map((_, i) => (i * 53 + length) & 255);
      const text = encodeBase64(input);
      assert.equal(text, Buffer.from(input).toString('base64'));
      assert.deepEqual(decodeBase64(text), input);
    }
    for (const bad of ['abd=', 'a===', 'ab=c', 'abc', ' YQ==', 'YQ']) assert.equal(isBase64(bad), false, bad);
    assert.throws(() => decodeBase64('abd='), /not canonical base64/);
  });
});
