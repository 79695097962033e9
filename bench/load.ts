// Load for the peer and network benches: example02 invokes sent over REST (JSON-RPC) by a pool of
// keep-alive HTTP connections, closed loop (as fast as answers come back) or open loop (a fixed
// rate), with each transaction's commit time taken from the event hub of the peer it was sent to.
import { Agent, request } from 'node:http';
import { EventClient } from '../host/events/event-client.ts';
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

function post(agent: Agent, address: string, body: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method: 'POST', path: '/chaincode', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Requests per second of a cheap GET (/chain) on one peer: the HTTP stack's own ceiling, as a baseline. */
export async function httpCeiling(rest: string, concurrency: number, durationMs: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const [host, port] = rest.split(':');
  let done = 0;
  const deadline = performance.now() + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host, port: Number(port), path: '/chain', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', reject);
        req.end();
      });
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return done / ((performance.now() - started) / 1000);
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
        interests: [{ eventType: EventType.BLOCK }],
        onEvent: (event) => {
          if (!('block' in event)) return;
          const now = performance.now();
          for (const tx of (event.block.transactions as Array<{ txid?: string }> | undefined) ?? []) {
            const txid = tx.txid ?? '';
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
  const agents = options.targets.map(() => new Agent({ keepAlive: true, maxSockets: Math.ceil(options.concurrency / options.targets.length) + 1 }));
  let next = 0;
  const firstSend = performance.now();
  const interval = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const n = next++;
      if (n >= options.total) return;
      if (interval > 0) {
        const due = firstSend + n * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const target = n % options.targets.length;
      const body = JSON.stringify({ jsonrpc: '2.0', method: 'invoke', params: { type: 1, chaincodeID: { name: options.chaincodeName }, ctorMsg: { args: ['invoke', 'a', 'b', '1'] } }, id: n });
      const at = performance.now();
      try {
        const reply = JSON.parse(await post(agents[target]!, options.targets[target]!.rest, body)) as { result?: { message: string } };
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
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await Promise.race([drained, new Promise((r) => setTimeout(r, options.drainTimeoutMs ?? 60_000))]);
  for (const agent of agents) agent.destroy();
  await Promise.all(listeners.map((l) => l.close()));
  const elapsedMs = lastCommit - firstSend;
  return { submitted: options.total - refused, refused, committed, elapsedMs, committedPerSecond: committed / (elapsedMs / 1000), latenciesMs: latencies };
}
