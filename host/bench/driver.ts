// The load driver of `weft bench`: clients send a workload's operations to peers over REST
// (JSON-RPC on keep-alive connections), and each invoke's fate is taken from the event hub of
// the peer it was sent to: committed (its block arrived: latency = block event − send),
// rejected (the chaincode failed it: a REJECTION event), or lost (accepted by REST, but neither
// committed nor rejected when the run ended). Queries (YCSB reads) are answered by the peer
// alone; their latency is the round trip.
//
// Two ways to load: open loop (--rate: sends are scheduled at a fixed total rate, whatever the
// answers) and closed loop (no rate: each client waits until its transaction is committed or
// rejected before sending the next, so `clients` transactions are in flight at most).
import { EventClient, type HubEvent } from '../events/event-client.ts';
import { EventType } from '../events/interests.ts';
import { LeanHttpConnection } from './http-client.ts';
import { summarize, Timeline, type LatencySummary, type TimelinePoint } from './stats.ts';
import type { Operation } from './workloads.ts';

/** A peer the driver talks to: its REST address and its event hub address. */
export interface BenchTarget {
  id: string;
  rest: string;
  events: string;
}

/** Something to do at a moment of the run (e.g. stop a replica), marked on the timeline. */
export interface ScheduledAction {
  afterMs: number;
  label: string;
  run: () => Promise<void>;
}

export interface DriveProgress {
  phase: 'sending' | 'draining';
  elapsedS: number;
  sent: number;
  accepted: number;
  committed: number;
  rejected: number;
  refused: number;
  /** Accepted and not yet committed or rejected. */
  inFlight: number;
  /** Committed per second since the previous progress report. */
  recentPerSecond: number;
  /** Median latency of the commits since the previous report (NaN if none). */
  recentMedianMs: number;
}

export interface DriveOptions {
  /** Clients are spread over these; each transaction is followed on the peer it was sent to. */
  targets: BenchTarget[];
  chaincodeName: string;
  /** The next operation to send; undefined ends the run (a finite source, e.g. a preload). */
  next: () => Operation | undefined;
  clients: number;
  /** Open loop at this total rate (operations/s); undefined: closed loop. */
  ratePerSecond?: number | undefined;
  /**
   * Closed loop over the whole run instead of per client: clients send without waiting for
   * commits while fewer than this many transactions are outstanding (a preload at full speed).
   */
  maxInFlight?: number | undefined;
  /** Stop sending after this long; undefined: when next() runs out. */
  durationMs?: number | undefined;
  /** After the last send, wait at most this long for the outstanding transactions. */
  drainTimeoutMs: number;
  progressEveryMs?: number;
  onProgress?: (progress: DriveProgress) => void;
  schedule?: ScheduledAction[];
  signal?: AbortSignal | undefined;
}

export interface TimelineMarker {
  /** Seconds from the start of the run. */
  t: number;
  label: string;
}

export interface QueryFigures {
  sent: number;
  answered: number;
  failed: number;
  answeredPerSecond: number;
  latencyMs: LatencySummary;
  errors: Record<string, number>;
}

export interface DriveResult {
  /** Seconds from the first send to the last send. */
  sendingSeconds: number;
  /** Seconds from the first send to the last commit (the throughput's denominator). */
  elapsedSeconds: number;
  /** Invokes sent. */
  sent: number;
  accepted: number;
  /** Invokes REST did not accept (JSON-RPC error or broken connection). */
  refused: number;
  committed: number;
  /** Invokes the chaincode failed (REJECTION events). */
  rejected: number;
  /** Accepted, but neither committed nor rejected by the end of the drain. */
  lost: number;
  committedPerSecond: number;
  sentPerSecond: number;
  latencyMs: LatencySummary;
  queries: QueryFigures;
  refusals: Record<string, number>;
  rejections: Record<string, number>;
  timeline: TimelinePoint[];
  markers: TimelineMarker[];
  /** Event hubs that went away during the run (their transactions cannot be followed). */
  disconnected: Array<{ target: string; reason: string }>;
  /** CPU seconds (user + system) this process — the clients and listeners — used during the run. */
  clientCpuSeconds: number;
  /** Nothing was committed for the drain timeout while transactions were outstanding: the run was cut short. */
  stalled: boolean;
  aborted: boolean;
}

/** Clients (connections) one run may open. */
export const CLIENTS_MAX = 1_024;
/** Highest open-loop rate accepted (operations/s). */
export const RATE_MAX = 1_000_000;
/** Distinct refusal/rejection messages kept (the rest are counted under one line). */
const MESSAGES_MAX = 20;
/** Block events of transactions not (yet) known are kept this long, for a REST reply that arrives after the commit. */
const EARLY_KEEP_MS = 30_000;
const DEFAULT_PROGRESS_MS = 1_000;
/** How long an event hub may take to acknowledge the registration: peers busy with a previous run answer late. */
const EVENT_REGISTRATION_TIMEOUT_MS = 30_000;

type Outcome = { outcome: 'committed' | 'rejected'; at: number; error: string };

interface Pending {
  target: number;
  sentAt: number;
  settled?: () => void;
}

function countMessage(counts: Record<string, number>, message: string): void {
  const key = Object.hasOwn(counts, message) || Object.keys(counts).length < MESSAGES_MAX ? message : '(other messages)';
  counts[key] = (counts[key] ?? 0) + 1;
}

/** A /chaincode JSON-RPC body; `chaincodeJson` is the chaincode name already as JSON; with security on, `secureContext` names the user. */
export function requestBody(method: 'invoke' | 'query', chaincodeJson: string, args: string[], id: number, secureContext?: string): string {
  const user = secureContext === undefined ? '' : `,"secureContext":${JSON.stringify(secureContext)}`;
  return `{"jsonrpc":"2.0","method":"${method}","params":{"type":1,"chaincodeID":{"name":${chaincodeJson}},"ctorMsg":{"args":${JSON.stringify(args)}}${user}},"id":${id}}`;
}

/** The JSON-RPC answer: result.message, or the error text. */
export function readReply(body: string): { ok: true; message: string } | { ok: false; error: string } {
  let reply: { result?: { message?: unknown }; error?: { message?: unknown; data?: unknown } };
  try {
    reply = JSON.parse(body) as typeof reply;
  } catch {
    return { ok: false, error: `unreadable reply: ${body.slice(0, 80)}` };
  }
  if (reply.error !== undefined) return { ok: false, error: String(reply.error.data ?? reply.error.message ?? 'error') };
  if (typeof reply.result?.message !== 'string') return { ok: false, error: `reply without result.message: ${body.slice(0, 80)}` };
  return { ok: true, message: reply.result.message };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A sleep that ends early (and releases its timer) when `stopped` settles. */
async function sleepUnless(ms: number, stopped: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))), stopped]);
  clearTimeout(timer);
}

export function validateDriveOptions(options: Pick<DriveOptions, 'clients' | 'ratePerSecond' | 'durationMs' | 'targets' | 'maxInFlight'>): string[] {
  const problems: string[] = [];
  if (options.targets.length === 0) problems.push('no peers to send to');
  if (!Number.isInteger(options.clients) || options.clients < 1 || options.clients > CLIENTS_MAX) problems.push(`clients must be an integer from 1 to ${CLIENTS_MAX}, got ${options.clients}`);
  if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0 && options.ratePerSecond <= RATE_MAX)) problems.push(`rate must be above 0 and at most ${RATE_MAX} tx/s, got ${options.ratePerSecond}`);
  if (options.durationMs !== undefined && !(options.durationMs > 0)) problems.push(`duration must be positive, got ${options.durationMs} ms`);
  if (options.maxInFlight !== undefined && !(Number.isInteger(options.maxInFlight) && options.maxInFlight >= 1)) problems.push(`maxInFlight must be a positive integer, got ${options.maxInFlight}`);
  return problems;
}

export async function drive(options: DriveOptions): Promise<DriveResult> {
  const problems = validateDriveOptions(options);
  if (problems.length > 0) throw new RangeError(problems.join('; '));
  const { targets } = options;
  const pending = new Map<string, Pending>();
  const early = new Map<string, Outcome & { target: number }>();
  const latencies: number[] = [];
  const queryLatencies: number[] = [];
  const refusals: Record<string, number> = {};
  const rejections: Record<string, number> = {};
  const queryErrors: Record<string, number> = {};
  const markers: TimelineMarker[] = [];
  const disconnected: Array<{ target: string; reason: string }> = [];
  let sent = 0;
  let accepted = 0;
  let refused = 0;
  let committed = 0;
  let rejected = 0;
  let querySent = 0;
  let queryFailed = 0;
  let lastCommitAt = Number.NaN;
  let lastSendAt = Number.NaN;
  let recentLatencies: number[] = [];
  /** Last accept or settle: a closed-loop run with nothing settling for drainTimeoutMs is given up. */
  let lastActivityAt = performance.now();
  let stalled = false;
  /** Set once the driver closes its own event connections (those closes are not disconnections). */
  let closing = false;
  let started = performance.now();
  let timeline = new Timeline(started);
  let drainWake: () => void = () => {};

  const settle = (txid: string, target: number, result: Outcome): void => {
    const entry = pending.get(txid);
    if (entry === undefined) {
      if (!early.has(txid) || early.get(txid)!.target !== target) early.set(txid, { ...result, target });
      return;
    }
    if (entry.target !== target) return; // the same transaction seen on another peer
    pending.delete(txid);
    lastActivityAt = result.at;
    if (result.outcome === 'committed') {
      const latency = result.at - entry.sentAt;
      committed++;
      latencies.push(latency);
      recentLatencies.push(latency);
      timeline.recordCommit(result.at, latency);
      lastCommitAt = Number.isNaN(lastCommitAt) ? result.at : Math.max(lastCommitAt, result.at);
    } else {
      rejected++;
      countMessage(rejections, result.error);
    }
    entry.settled?.();
    slotWaiters.shift()?.();
    if (pending.size === 0) drainWake();
  };

  const onEvent = (target: number, event: HubEvent): void => {
    const at = performance.now();
    if ('filteredBlock' in event) {
      const txids: unknown = event.filteredBlock.txids;
      if (!Array.isArray(txids)) return;
      for (const txid of txids) if (typeof txid === 'string') settle(txid, target, { outcome: 'committed', at, error: '' });
    } else if ('rejection' in event) {
      const txid = (event.rejection.tx as { txid?: unknown } | undefined)?.txid;
      if (typeof txid === 'string') settle(txid, target, { outcome: 'rejected', at, error: String(event.rejection.errorMsg ?? '') });
    }
  };

  const connecting = await Promise.allSettled(
    targets.map((target, index) =>
      EventClient.connect({
        address: target.events,
        // Txids are all the driver needs: FILTERED_BLOCK spares every peer building and sending whole blocks.
        interests: [{ eventType: EventType.FILTERED_BLOCK }, { eventType: EventType.REJECTION }],
        registrationTimeoutMs: EVENT_REGISTRATION_TIMEOUT_MS,
        onEvent: (event) => onEvent(index, event),
        onDisconnect: (reason) => {
          if (!closing) disconnected.push({ target: target.id, reason });
        },
      }),
    ),
  );
  const listeners = connecting.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : []));
  const failed = connecting.findIndex((c) => c.status === 'rejected');
  if (failed >= 0) {
    closing = true;
    await Promise.all(listeners.map((l) => l.close()));
    throw new Error(`${targets[failed]!.id}: ${((connecting[failed] as PromiseRejectedResult).reason as Error).message}`);
  }
  const opening = await Promise.allSettled(Array.from({ length: options.clients }, (_, c) => LeanHttpConnection.open(targets[c % targets.length]!.rest)));
  const connections = opening.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const refusedAt = opening.findIndex((o) => o.status === 'rejected');
  if (refusedAt >= 0) {
    for (const connection of connections) connection.close();
    closing = true;
    await Promise.all(listeners.map((l) => l.close()));
    const target = targets[refusedAt % targets.length]!;
    throw new Error(`Cannot connect to ${target.id}'s REST API at ${target.rest}: ${((opening[refusedAt] as PromiseRejectedResult).reason as Error).message}`);
  }

  const chaincodeJson = JSON.stringify(options.chaincodeName);
  const interval = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;
  let stopSending = false;
  let stopWaiting: () => void = () => {};
  const waitingStopped = new Promise<void>((resolve) => (stopWaiting = resolve));
  /** Clients waiting for the number in flight to drop below maxInFlight. */
  const slotWaiters: Array<() => void> = [];
  const windowed = options.maxInFlight !== undefined && interval === 0;
  let scheduled = 0;
  let nextId = 0;
  started = performance.now();
  const cpuAtStart = process.cpuUsage();
  timeline = new Timeline(started);
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  const onAbort = (): void => {
    stopSending = true;
    stopWaiting();
    drainWake();
  };
  void waitingStopped.then(() => {
    for (const wake of slotWaiters.splice(0)) wake();
  });
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const sendOne = async (client: number, op: Operation): Promise<void> => {
    const target = client % targets.length;
    const connection = connections[client]!;
    const at = performance.now();
    lastSendAt = at;
    timeline.recordSend(at);
    const id = nextId++;
    if (op.kind === 'query') {
      querySent++;
      try {
        const reply = readReply(await connection.post('/chaincode', requestBody('query', chaincodeJson, op.args, id)));
        if (reply.ok) queryLatencies.push(performance.now() - at);
        else {
          queryFailed++;
          countMessage(queryErrors, reply.error);
        }
      } catch (error) {
        queryFailed++;
        countMessage(queryErrors, (error as Error).message);
      }
      return;
    }
    sent++;
    let txid: string;
    try {
      const reply = readReply(await connection.post('/chaincode', requestBody('invoke', chaincodeJson, op.args, id)));
      if (!reply.ok) {
        refused++;
        countMessage(refusals, reply.error);
        return;
      }
      txid = reply.message;
    } catch (error) {
      refused++;
      countMessage(refusals, (error as Error).message);
      return;
    }
    accepted++;
    lastActivityAt = performance.now();
    const entry: Pending = { target, sentAt: at };
    let settledPromise: Promise<void> | undefined;
    if (interval === 0 && !windowed) settledPromise = new Promise<void>((resolve) => (entry.settled = resolve));
    pending.set(txid, entry);
    const seen = early.get(txid);
    if (seen !== undefined && seen.target === target) {
      early.delete(txid);
      settle(txid, target, seen);
    }
    // Closed loop: the client's next transaction waits for this one's fate.
    if (settledPromise !== undefined) await Promise.race([settledPromise, waitingStopped]);
  };

  const client = async (c: number): Promise<void> => {
    for (;;) {
      if (stopSending) return;
      if (interval > 0) {
        const due = started + scheduled++ * interval;
        if (due >= deadline) return;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (stopSending) return;
      } else if (performance.now() >= deadline) return;
      while (windowed && pending.size >= options.maxInFlight! && !stopSending) await new Promise<void>((resolve) => slotWaiters.push(resolve));
      if (stopSending) return;
      const op = options.next();
      if (op === undefined) return;
      await sendOne(c, op);
    }
  };

  // Scheduled actions (e.g. a replica stopped and restarted), marked on the timeline.
  const actions = (options.schedule ?? []).map(async (action) => {
    await sleepUnless(started + action.afterMs - performance.now(), waitingStopped);
    if (stopSending) return;
    markers.push({ t: (performance.now() - started) / 1000, label: action.label });
    await action.run();
    markers.push({ t: (performance.now() - started) / 1000, label: `${action.label}: done` });
  });

  let previous = { at: started, committed: 0 };
  const report = (phase: DriveProgress['phase']): void => {
    const now = performance.now();
    const recent = recentLatencies;
    recentLatencies = [];
    const seconds = (now - previous.at) / 1000;
    options.onProgress?.({
      phase,
      elapsedS: (now - started) / 1000,
      sent,
      accepted,
      committed,
      rejected,
      refused,
      inFlight: pending.size,
      recentPerSecond: seconds > 0 ? (committed - previous.committed) / seconds : 0,
      recentMedianMs: summarize(recent).median,
    });
    previous = { at: now, committed };
    for (const [txid, seen] of early) if (now - seen.at > EARLY_KEEP_MS) early.delete(txid);
  };
  let phase: DriveProgress['phase'] = 'sending';
  const ticker = setInterval(() => {
    report(phase);
    // Closed-loop clients wait for their transaction; if nothing settles for the drain timeout, stop waiting (the rest count as lost).
    if (pending.size > 0 && performance.now() - lastActivityAt > options.drainTimeoutMs) {
      stalled = true;
      stopSending = true;
      stopWaiting();
    }
  }, options.progressEveryMs ?? DEFAULT_PROGRESS_MS);

  try {
    await Promise.all(Array.from({ length: options.clients }, (_, c) => client(c)));
    stopSending = true;
    const sendingEnded = performance.now();
    phase = 'draining';
    if (pending.size > 0 && !options.signal?.aborted && !stalled) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        drainWake = resolve;
        timer = setTimeout(resolve, options.drainTimeoutMs);
      });
      clearTimeout(timer);
    }
    stopWaiting();
    await Promise.all(actions);
    report(phase);
    const lost = pending.size;
    const sendingSeconds = ((Number.isNaN(lastSendAt) ? sendingEnded : lastSendAt) - started) / 1000;
    const elapsedSeconds = ((Number.isNaN(lastCommitAt) ? sendingEnded : lastCommitAt) - started) / 1000;
    const queryLatency = summarize(queryLatencies);
    const cpu = process.cpuUsage(cpuAtStart);
    return {
      sendingSeconds,
      elapsedSeconds,
      sent,
      accepted,
      refused,
      committed,
      rejected,
      lost,
      committedPerSecond: elapsedSeconds > 0 ? committed / elapsedSeconds : Number.NaN,
      sentPerSecond: sendingSeconds > 0 ? sent / sendingSeconds : Number.NaN,
      latencyMs: summarize(latencies),
      queries: {
        sent: querySent,
        answered: queryLatency.count,
        failed: queryFailed,
        answeredPerSecond: sendingSeconds > 0 ? queryLatency.count / sendingSeconds : Number.NaN,
        latencyMs: queryLatency,
        errors: queryErrors,
      },
      refusals,
      rejections,
      timeline: timeline.points(),
      markers: markers.sort((a, b) => a.t - b.t),
      disconnected,
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
      stalled,
      aborted: options.signal?.aborted ?? false,
    };
  } finally {
    clearInterval(ticker);
    options.signal?.removeEventListener('abort', onAbort);
    for (const connection of connections) connection.close();
    closing = true;
    await Promise.all(listeners.map((l) => l.close()));
  }
}
