// Load for the peer and network benches: example02 invokes sent over REST (JSON-RPC) by a pool of
// keep-alive HTTP connections, closed loop (as fast as answers come back) or open loop (a fixed
// rate), with each transaction's commit time taken from the event hub of the peer it was sent to.
import { EventClient } from '../host/events/event-client.ts';
import { LeanHttpConnection } from '../host/bench/http-client.ts';
import { EventType } from '../host/events/interests.ts';

export interface Target {
  rest: string;
  events: string;
}

export interface LoadOptions {
  targets: Target[];
  chaincodeName: string;
  total: number;
  /** Requests in flight at once, over all targets. */
  concurrency: number;
  /** Open loop: send at this rate (tx/s) instead of as fast as possible. */
  ratePerSecond?: number;
  /** Give up waiting for commits this long after the last send. */
  drainTimeoutMs?: number;
}

export interface LoadResult {
  submitted: number;
  refused: number;
  committed: number;
  /** Milliseconds from the first send to the last commit. */
  elapsedMs: number;
  committedPerSecond: number;
  latenciesMs: number[];
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Requests per second of a cheap GET (/chain) on one peer, same client: what the HTTP path alone can do, as a baseline. */
export async function httpCeiling(rest: string, concurrency: number, durationMs: number): Promise<number> {
  const connections = await Promise.all(Array.from({ length: concurrency }, () => LeanHttpConnection.open(rest)));
  let done = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    connections.map(async (connection) => {
      while (performance.now() < deadline) {
        await connection.get('/chain');
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const connection of connections) connection.close();
  return done / seconds;
}

export async function runInvokeLoad(options: LoadOptions): Promise<LoadResult> {
  const sentAt = new Map<string, { at: number; target: number }>();
  const latencies: number[] = [];
  let committed = 0;
  let refused = 0;
  let lastCommit = 0;
  let allCommitted: () => void = () => {};
  const drained = new Promise<void>((resolve) => (allCommitted = resolve));
  const early = new Map<string, { at: number; target: number }>();
  const listeners = await Promise.all(
    options.targets.map((target, index) =>
      EventClient.connect({
        address: target.events,
        // Txids are all the load needs: FILTERED_BLOCK spares the peers building whole blocks.
        interests: [{ eventType: EventType.FILTERED_BLOCK }],
        onEvent: (event) => {
          if (!('filteredBlock' in event)) return;
          const now = performance.now();
          for (const txid of event.filteredBlock.txids) {
            const sent = sentAt.get(txid);
            if (!sent) {
              early.set(txid, { at: now, target: index });
              continue;
            }
            if (sent.target !== index) continue;
            sentAt.delete(txid);
            latencies.push(now - sent.at);
            committed++;
            lastCommit = now;
            if (committed + refused >= options.total) allCommitted();
          }
        },
      }),
    ),
  );
  // One connection per worker, each bound to one target.
  const connections = await Promise.all(Array.from({ length: options.concurrency }, (_, w) => LeanHttpConnection.open(options.targets[w % options.targets.length]!.rest)));
  let next = 0;
  const firstSend = performance.now();
  const interval = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;
  const worker = async (w: number): Promise<void> => {
    const target = w % options.targets.length;
    const connection = connections[w]!;
    for (;;) {
      const n = next++;
      if (n >= options.total) return;
      if (interval > 0) {
        const due = firstSend + n * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const body = JSON.stringify({ jsonrpc: '2.0', method: 'invoke', params: { type: 1, chaincodeID: { name: options.chaincodeName }, ctorMsg: { args: ['invoke', 'a', 'b', '1'] } }, id: n });
      const at = performance.now();
      try {
        const reply = JSON.parse(await connection.post('/chaincode', body)) as { result?: { message: string } };
        const txid = reply.result?.message;
        if (!txid) {
          refused++;
          continue;
        }
        const seen = early.get(txid);
        if (seen && seen.target === target) {
          early.delete(txid);
          latencies.push(seen.at - at);
          committed++;
          lastCommit = seen.at;
        } else sentAt.set(txid, { at, target });
      } catch {
        refused++;
      }
      if (committed + refused >= options.total) allCommitted();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  await Promise.race([drained, new Promise((r) => setTimeout(r, options.drainTimeoutMs ?? 60_000))]);
  for (const connection of connections) connection.close();
  await Promise.all(listeners.map((l) => l.close()));
  const elapsedMs = lastCommit - firstSend;
  return { submitted: options.total - refused, refused, committed, elapsedMs, committedPerSecond: committed / (elapsedMs / 1000), latenciesMs: latencies };
}
