// The pure arithmetic behind view changes and deduplication (Fabric's
// TestViewChangeCheckpointSelection, TestViewWithOldSeqNos, the quorum helpers), as table tests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExecutedRequests } from '../../network/pbft/dedup.ts';
import type { PQEntry, ViewChange } from '../../network/pbft/messages.ts';
import { assignSequenceNumbers, quorums, sameAssignments, selectInitialCheckpoint, viewChangeDefect } from '../../network/pbft/view-change.ts';

const K = 5;
const L = 20;
const q4 = quorums(4, 1);

function vc(replicaId: number, fields: Partial<ViewChange> = {}): ViewChange {
  return { type: 'view-change', view: 1, h: 0, cset: [{ seqNo: 0, id: 'XXX GENESIS' }], pset: [], qset: [], replicaId, signature: new Uint8Array(0), ...fields };
}
const pq = (seqNo: number, digest: string, view = 0): PQEntry => ({ seqNo, digest, view });

describe('quorums', () => {
  it('are (N+f+2)/2, N-f and f+1', () => {
    assert.deepEqual(quorums(4, 1), { n: 4, f: 1, intersection: 3, correct: 3, weak: 2 });
    assert.deepEqual(quorums(7, 2), { n: 7, f: 2, intersection: 5, correct: 5, weak: 3 });
    assert.deepEqual(quorums(5, 1), { n: 5, f: 1, intersection: 4, correct: 4, weak: 2 });
    assert.deepEqual(quorums(1, 0), { n: 1, f: 0, intersection: 1, correct: 1, weak: 1 });
  });
});

describe('view-change well-formedness', () => {
  it('accepts a correct one and names what is wrong with the others', () => {
    assert.equal(viewChangeDefect(vc(0, { h: 5, cset: [{ seqNo: 5, id: 'a' }], pset: [pq(6, 'd')], qset: [pq(6, 'd')] }), K, L), null);
    const cases: Array<[Partial<ViewChange>, RegExp]> = [
      [{ view: 0 }, /view-change to view 0/],
      [{ h: 3 }, /low watermark 3 is not a multiple of K=5/],
      [{ pset: [pq(6, 'd', 1)] }, /P entry n=6 v=1 outside view 1/],
      [{ pset: [pq(21, 'd')] }, /P entry n=21 v=0 outside view 1 or window \(0, 20\]/],
      [{ pset: [pq(6, 'd'), pq(6, 'e')] }, /two P entries for n=6/],
      [{ qset: [pq(6, 'd'), pq(6, 'd')] }, /two Q entries for n=6 and one digest/],
      [{ h: 5, cset: [{ seqNo: 0, id: 'a' }] }, /checkpoint n=0 outside \[5, 25\]/],
      [{ cset: [{ seqNo: 3, id: 'a' }] }, /checkpoint n=3 is not a multiple of K=5/],
    ];
    for (const [fields, reason] of cases) assert.match(viewChangeDefect(vc(0, fields), K, L) ?? 'no defect found', reason);
  });
});

describe('selectInitialCheckpoint', () => {
  it('takes the highest checkpoint with a weak certificate and a quorum of low watermarks at or below it', () => {
    const c10 = { seqNo: 10, id: 'ten' };
    const c15 = { seqNo: 15, id: 'fifteen' };
    const vset = [vc(0, { h: 5, cset: [c10, c15] }), vc(1, { h: 5, cset: [c10] }), vc(2, { h: 10, cset: [c10, c15] })];
    assert.deepEqual(selectInitialCheckpoint(vset, q4), { seqNo: 15, id: 'fifteen', replicas: [0, 2] });
  });

  it('ignores a checkpoint only one replica (possibly byzantine) claims', () => {
    const vset = [vc(0, { cset: [{ seqNo: 0, id: 'g' }, { seqNo: 50, id: 'lie' }] }), vc(1, { cset: [{ seqNo: 0, id: 'g' }] }), vc(2, { cset: [{ seqNo: 0, id: 'g' }] })];
    assert.deepEqual(selectInitialCheckpoint(vset, q4), { seqNo: 0, id: 'g', replicas: [0, 1, 2] });
  });

  it('needs an intersection quorum whose low watermark is not above the checkpoint', () => {
    const c10 = { seqNo: 10, id: 'ten' };
    const vset = [vc(0, { h: 10, cset: [c10] }), vc(1, { h: 10, cset: [c10] }), vc(2, { h: 15, cset: [{ seqNo: 15, id: 'x' }] })];
    assert.equal(selectInitialCheckpoint(vset, q4), null);
    assert.deepEqual(selectInitialCheckpoint([...vset, vc(3, { h: 5, cset: [c10] })], q4)?.seqNo, 10);
  });

  it('returns null without checkpoints', () => {
    assert.equal(selectInitialCheckpoint([vc(0, { cset: [] }), vc(1, { cset: [] }), vc(2, { cset: [] })], q4), null);
  });
});

describe('assignSequenceNumbers', () => {
  it('keeps a request prepared by a quorum, fills gaps with null requests, drops trailing nulls but keeps h+1', () => {
    const vset = [0, 1, 2].map((r) => vc(r, { pset: [pq(3, 'three')], qset: [pq(3, 'three')] }));
    assert.deepEqual(assignSequenceNumbers(vset, 0, L, q4), [
      { seqNo: 1, digest: '' },
      { seqNo: 2, digest: '' },
      { seqNo: 3, digest: 'three' },
    ]);
    assert.deepEqual(assignSequenceNumbers([0, 1, 2].map((r) => vc(r)), 0, L, q4), [{ seqNo: 1, digest: '' }]);
  });

  it('ignores entries below the new checkpoint (TestViewWithOldSeqNos)', () => {
    const qset = [pq(9, 'nine'), pq(2, 'two')];
    const vset = [0, 1, 2].map((r) => vc(r, { h: 0, pset: qset, qset }));
    assert.deepEqual(assignSequenceNumbers(vset, 5, L, q4), [
      { seqNo: 6, digest: '' },
      { seqNo: 7, digest: '' },
      { seqNo: 8, digest: '' },
      { seqNo: 9, digest: 'nine' },
    ]);
  });

  it('prefers the request prepared in the later view', () => {
    const vset = [vc(0, { view: 3, pset: [pq(1, 'old', 1)], qset: [pq(1, 'old', 1), pq(1, 'new', 2)] }), vc(1, { view: 3, pset: [pq(1, 'new', 2)], qset: [pq(1, 'new', 2)] }), vc(2, { view: 3, qset: [pq(1, 'new', 2)] })];
    assert.deepEqual(assignSequenceNumbers(vset, 0, L, q4), [{ seqNo: 1, digest: 'new' }]);
  });

  it('never moves a prepared digest to another seqNo (Fabric compared no seqNo in A1)', () => {
    // Two replicas prepared "five" at 5. At 4 nothing is prepared: seqNo 4 must be null, not "five".
    const vset = [vc(0, { pset: [pq(5, 'five')], qset: [pq(5, 'five'), pq(4, 'five')] }), vc(1, { pset: [pq(5, 'five')], qset: [pq(5, 'five'), pq(4, 'five')] }), vc(2)];
    const x = assignSequenceNumbers(vset, 3, L, q4);
    assert.deepEqual(x, [
      { seqNo: 4, digest: '' },
      { seqNo: 5, digest: 'five' },
    ]);
  });

  it('gives up when neither a prepared request nor the null request can be justified', () => {
    // Two of three prepared different things at 1 in the same view with too little support.
    const vset = [vc(0, { pset: [pq(1, 'a')], qset: [pq(1, 'a')] }), vc(1, { pset: [pq(1, 'b')], qset: [pq(1, 'b')] }), vc(2)];
    assert.equal(assignSequenceNumbers(vset, 0, L, q4), null);
  });

  it('compares assignments exactly', () => {
    assert.equal(sameAssignments([{ seqNo: 1, digest: '' }], [{ seqNo: 1, digest: '' }]), true);
    assert.equal(sameAssignments([{ seqNo: 1, digest: '' }], [{ seqNo: 1, digest: 'x' }]), false);
    assert.equal(sameAssignments([], [{ seqNo: 1, digest: '' }]), false);
  });
});

describe('executed-request record', () => {
  it('remembers every executed counter per origin, compactly', () => {
    const record = new ExecutedRequests();
    for (const counter of [1, 2, 4, 7, 3]) record.add(0, counter);
    assert.deepEqual(record.marks(), [{ origin: 0, low: 4, ranges: [[7, 7]] }]);
    assert.equal(record.has(0, 3), true);
    assert.equal(record.has(0, 5), false);
    assert.equal(record.has(0, 7), true);
    assert.equal(record.has(1, 1), false);
    assert.equal(record.highest(0), 7);
    record.add(0, 6);
    record.add(0, 5);
    assert.deepEqual(record.marks(), [{ origin: 0, low: 7, ranges: [] }]);
  });

  it('stays bounded: too many gaps fold the oldest range into the low mark', () => {
    const record = new ExecutedRequests();
    for (let i = 0; i < 70; i++) record.add(2, 10 + 2 * i);
    const [mark] = record.marks();
    assert.equal(mark?.ranges.length, 64);
    assert.equal(mark?.low, 20);
    assert.equal(record.has(2, 11), true, 'a counter in a folded gap counts as executed (refused, never run twice)');
  });

  it('round-trips through its marks, independent of the original', () => {
    const record = ExecutedRequests.from([{ origin: 1, low: 3, ranges: [[5, 6]] }]);
    const copy = record.clone();
    copy.add(1, 4);
    assert.deepEqual(record.marks(), [{ origin: 1, low: 3, ranges: [[5, 6]] }]);
    assert.deepEqual(copy.marks(), [{ origin: 1, low: 6, ranges: [] }]);
  });
});
