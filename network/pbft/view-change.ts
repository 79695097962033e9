// The pure arithmetic of PBFT's view change (Castro & Liskov, TOCS 2002, §4.4; Fabric's
// viewchange.go): quorum sizes, which view-change messages are well formed, which checkpoint a new
// view starts from, and which request each sequence number gets. Deterministic: the primary and
// every backup compute the same assignments from the same ordered set of view-changes.
import type { Assignment, CheckpointEntry, PQEntry, ReplicaId, ViewChange } from './messages.ts';

export interface Quorums {
  n: number;
  f: number;
  /** Two sets this large share at least one correct replica: (N+f+2)/2, 3 for N=4. */
  intersection: number;
  /** All correct replicas: N-f. */
  correct: number;
  /** At least one correct replica: f+1. */
  weak: number;
}

export function quorums(n: number, f: number): Quorums {
  return { n, f, intersection: Math.floor((n + f + 2) / 2), correct: n - f, weak: f + 1 };
}

/** Why a view-change is malformed for log size L and checkpoint period K, or null when it is well formed. */
export function viewChangeDefect(vc: ViewChange, K: number, L: number): string | null {
  if (vc.view === 0) return 'view-change to view 0';
  if (vc.h % K !== 0) return `low watermark ${vc.h} is not a multiple of K=${K}`;
  const pSeqNos = new Set<number>();
  for (const p of vc.pset) {
    if (!(p.view < vc.view && p.seqNo > vc.h && p.seqNo <= vc.h + L)) return `P entry n=${p.seqNo} v=${p.view} outside view ${vc.view} or window (${vc.h}, ${vc.h + L}]`;
    if (pSeqNos.has(p.seqNo)) return `two P entries for n=${p.seqNo}`;
    pSeqNos.add(p.seqNo);
  }
  const qKeys = new Set<string>();
  for (const q of vc.qset) {
    if (!(q.view < vc.view && q.seqNo > vc.h && q.seqNo <= vc.h + L)) return `Q entry n=${q.seqNo} v=${q.view} outside view ${vc.view} or window (${vc.h}, ${vc.h + L}]`;
    const key = `${q.seqNo}/${q.digest}`;
    if (qKeys.has(key)) return `two Q entries for n=${q.seqNo} and one digest`;
    qKeys.add(key);
  }
  const cSeqNos = new Set<number>();
  for (const c of vc.cset) {
    // The paper says c.n > h; Fabric (and we) also allow the checkpoint at h itself.
    if (!(c.seqNo >= vc.h && c.seqNo <= vc.h + L)) return `checkpoint n=${c.seqNo} outside [${vc.h}, ${vc.h + L}]`;
    if (c.seqNo % K !== 0) return `checkpoint n=${c.seqNo} is not a multiple of K=${K}`;
    if (cSeqNos.has(c.seqNo)) return `two checkpoints for n=${c.seqNo}`;
    cSeqNos.add(c.seqNo);
  }
  return null;
}

export interface InitialCheckpoint extends CheckpointEntry {
  /** The replicas whose view-changes hold it (where state transfer can fetch it). */
  replicas: ReplicaId[];
}

/**
 * The checkpoint a new view starts from: the highest one held by at least f+1 view-changes (a weak
 * certificate: one of them is correct) while at least an intersection quorum of the set has a low
 * watermark at or below it. Null if none qualifies.
 */
export function selectInitialCheckpoint(vset: readonly ViewChange[], q: Quorums): InitialCheckpoint | null {
  const holders = new Map<string, { entry: CheckpointEntry; replicas: Set<ReplicaId> }>();
  for (const vc of vset) {
    for (const c of vc.cset) {
      const key = `${c.seqNo}/${c.id}`;
      let group = holders.get(key);
      if (group === undefined) {
        group = { entry: c, replicas: new Set() };
        holders.set(key, group);
      }
      group.replicas.add(vc.replicaId);
    }
  }
  let best: InitialCheckpoint | null = null;
  for (const { entry, replicas } of holders.values()) {
    if (replicas.size < q.weak) continue;
    const below = vset.filter((vc) => vc.h <= entry.seqNo).length;
    if (below < q.intersection) continue;
    const better = best === null || entry.seqNo > best.seqNo || (entry.seqNo === best.seqNo && entry.id < best.id);
    if (better) best = { seqNo: entry.seqNo, id: entry.id, replicas: [...replicas].sort((a, b) => a - b) };
  }
  return best;
}

/**
 * The new view's requests for every n in (h, h+L] (TOCS §4.4): the digest of a request prepared
 * in some view v if (A1) an intersection quorum of the set prepared nothing conflicting at n in a
 * later or the same view, and (A2) f+1 pre-prepared it in v or later; else the null request if an
 * intersection quorum prepared nothing at n; else no assignment is possible (null result).
 * Trailing null requests above the last real one are dropped (Fabric keeps h+1).
 */
export function assignSequenceNumbers(vset: readonly ViewChange[], h: number, L: number, q: Quorums): Assignment[] | null {
  const pAt = new Map<number, Array<{ replica: ReplicaId; entry: PQEntry }>>();
  const qAt = new Map<number, PQEntry[]>();
  for (const vc of vset) {
    for (const p of vc.pset) {
      const list = pAt.get(p.seqNo) ?? [];
      list.push({ replica: vc.replicaId, entry: p });
      pAt.set(p.seqNo, list);
    }
    for (const e of vc.qset) {
      const list = qAt.get(e.seqNo) ?? [];
      list.push(e);
      qAt.set(e.seqNo, list);
    }
  }
  const assignments: Assignment[] = [];
  let maxN = h + 1;
  for (let n = h + 1; n <= h + L; n++) {
    const prepared = pAt.get(n) ?? [];
    const chosen = prepared.find(({ entry }) => supportsA1(vset, prepared, entry, n, q) && supportsA2(qAt.get(n) ?? [], entry, q));
    if (chosen !== undefined) {
      assignments.push({ seqNo: n, digest: chosen.entry.digest });
      maxN = n;
      continue;
    }
    const withoutP = vset.length - new Set(prepared.map((p) => p.replica)).size;
    if (withoutP >= q.intersection) {
      assignments.push({ seqNo: n, digest: '' });
      continue;
    }
    return null;
  }
  return assignments.filter((a) => a.seqNo <= maxN || a.digest !== '');
}

function supportsA1(vset: readonly ViewChange[], prepared: Array<{ replica: ReplicaId; entry: PQEntry }>, em: PQEntry, n: number, q: Quorums): boolean {
  let count = 0;
  for (const mp of vset) {
    if (mp.h >= n) continue;
    const conflict = prepared.some(
      ({ replica, entry }) => replica === mp.replicaId && !(entry.view < em.view || (entry.view === em.view && entry.digest === em.digest)),
    );
    if (!conflict) count++;
  }
  return count >= q.intersection;
}

function supportsA2(qEntries: readonly PQEntry[], em: PQEntry, q: Quorums): boolean {
  let count = 0;
  for (const e of qEntries) if (e.view >= em.view && e.digest === em.digest) count++;
  return count >= q.weak;
}

export function sameAssignments(a: readonly Assignment[], b: readonly Assignment[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => x.seqNo === b[i]?.seqNo && x.digest === b[i]?.digest);
}
