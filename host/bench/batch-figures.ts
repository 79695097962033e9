// The peers' own account of where their PBFT batches' time went during a measured run: the sum
// and count of their ordering and execution histograms (GET /metrics) before and after it. Tells
// whether agreement or execution holds a slow run up, without a profiler.
import type { BenchTarget } from './driver.ts';

/** How long one scrape may take; a peer that does not answer (stopped, noops) is left out. */
const SCRAPE_TIMEOUT_MS = 2_000;

export interface BatchTotals {
  orderingSeconds: number;
  orderedBatches: number;
  executionSeconds: number;
  batches: number;
}

export interface PeerBatchFigures {
  peer: string;
  /** Batches this peer executed during the run. */
  batches: number;
  /** Means per batch, in milliseconds (ordering over the batches whose pre-prepare it saw). */
  orderingMs: number;
  executionMs: number;
}

/** The four figures from a /metrics text; null without the PBFT batch histograms. */
export function parseBatchTotals(text: string): BatchTotals | null {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(weft_pbft_batch_(?:ordering|execution)_seconds_(?:sum|count)) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  const batches = values.get('weft_pbft_batch_execution_seconds_count');
  if (batches === undefined) return null;
  return {
    orderingSeconds: values.get('weft_pbft_batch_ordering_seconds_sum') ?? 0,
    orderedBatches: values.get('weft_pbft_batch_ordering_seconds_count') ?? 0,
    executionSeconds: values.get('weft_pbft_batch_execution_seconds_sum') ?? 0,
    batches,
  };
}

export async function scrapeBatchTotals(target: BenchTarget): Promise<BatchTotals | null> {
  try {
    const response = await fetch(`http://${target.rest}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    return response.ok ? parseBatchTotals(await response.text()) : null;
  } catch {
    return null;
  }
}

/** Each peer's batches between two scrapes; peers missing from either (or restarted: counts went down) are left out. */
export function batchFigures(peers: readonly string[], before: ReadonlyArray<BatchTotals | null>, after: ReadonlyArray<BatchTotals | null>): PeerBatchFigures[] {
  const figures: PeerBatchFigures[] = [];
  for (const [i, peer] of peers.entries()) {
    const a = before[i];
    const b = after[i];
    if (!a || !b || b.batches < a.batches || b.orderedBatches < a.orderedBatches) continue;
    const batches = b.batches - a.batches;
    const ordered = b.orderedBatches - a.orderedBatches;
    figures.push({
      peer,
      batches,
      orderingMs: ordered === 0 ? 0 : ((b.orderingSeconds - a.orderingSeconds) * 1_000) / ordered,
      executionMs: batches === 0 ? 0 : ((b.executionSeconds - a.executionSeconds) * 1_000) / batches,
    });
  }
  return figures;
}
