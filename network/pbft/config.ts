// The `pbft:` section of core.yaml (Fabric v0.6's consensus/pbft/config.yaml, same keys and
// defaults, CORE_PBFT_* overrides) read and checked the way Fabric checks it, plus the
// conversion to the core's tick-based options.
import type { CoreConfig } from '../../host/config/core-config.ts';
import { BATCH_BYTES_MAX, BATCH_REQUESTS_MAX, CHECKPOINT_PERIOD_MAX, LOG_SIZE_MAX, REPLICAS_MAX } from './constants.ts';
import { validateReplicaOptions, type ReplicaOptions } from './options.ts';

export class PbftConfigError extends Error {
  override name = 'PbftConfigError';
}

export interface PbftTimeouts {
  batchMs: number;
  requestMs: number;
  viewChangeMs: number;
  resendViewChangeMs: number;
  nullRequestMs: number;
  /** Fabric's per-send broadcast timeout; read and checked, but weft's transport sends are queued, never waited on. */
  broadcastMs: number;
}

export interface PbftConfig {
  mode: 'batch';
  N: number;
  f: number;
  K: number;
  logMultiplier: number;
  /** K · logMultiplier. */
  L: number;
  batchSize: number;
  byzantine: boolean;
  /** weft extension (pbft.general.batchwhenidle): cut a partial batch when none is in flight. */
  batchWhenIdle: boolean;
  viewChangePeriod: number;
  timeouts: PbftTimeouts;
  /** Fabric's executor queue size; weft executes one batch at a time, so it is read and checked only. */
  executorQueueSize: number;
  /** vpN → N. */
  replicaId: number;
  /** Adjustments Fabric makes silently, worded for a warning log line. */
  adjustments: string[];
}

/** Fabric's rule: a validating peer's id is vpN and it is PBFT replica N. */
export function replicaIdOf(peerId: string): number {
  const match = /^vp(0|[1-9]\d{0,8})$/.exec(peerId);
  if (!match) throw new PbftConfigError(`PBFT needs peer.id of the form vpN (vp0 is replica 0), got "${peerId}"`);
  return Number(match[1]);
}

function integerKey(config: CoreConfig, path: string, min: number, max: number): number {
  let value: number;
  try {
    value = config.number(path);
  } catch (error) {
    throw new PbftConfigError((error as Error).message);
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new PbftConfigError(`${path} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function durationKey(config: CoreConfig, path: string): number {
  try {
    return config.durationMs(path);
  } catch (error) {
    throw new PbftConfigError((error as Error).message);
  }
}

function boolKey(config: CoreConfig, path: string): boolean {
  try {
    return config.bool(path);
  } catch (error) {
    throw new PbftConfigError((error as Error).message);
  }
}

export function readPbftConfig(config: CoreConfig, peerId: string): PbftConfig {
  const mode = config.string('pbft.general.mode').trim().toLowerCase();
  if (mode !== 'batch') throw new PbftConfigError(`Invalid PBFT mode: "${config.string('pbft.general.mode')}" (only batch is supported)`);
  const N = integerKey(config, 'pbft.general.N', 1, REPLICAS_MAX);
  const f = integerKey(config, 'pbft.general.f', 0, REPLICAS_MAX);
  if (f * 3 + 1 > N) {
    throw new PbftConfigError(`need at least ${f * 3 + 1} enough replicas to tolerate ${f} byzantine faults, but only ${N} replicas configured`);
  }
  const K = integerKey(config, 'pbft.general.K', 1, CHECKPOINT_PERIOD_MAX);
  const logMultiplier = integerKey(config, 'pbft.general.logmultiplier', 0, LOG_SIZE_MAX);
  if (logMultiplier < 2) throw new PbftConfigError(`Log multiplier must be greater than or equal to 2 (pbft.general.logmultiplier is ${logMultiplier})`);
  const L = K * logMultiplier;
  if (L > LOG_SIZE_MAX) throw new PbftConfigError(`log size K·logmultiplier = ${L} exceeds ${LOG_SIZE_MAX}`);
  const batchSize = integerKey(config, 'pbft.general.batchsize', 1, BATCH_REQUESTS_MAX);
  const viewChangePeriod = integerKey(config, 'pbft.general.viewchangeperiod', 0, 1_000_000);
  const byzantine = boolKey(config, 'pbft.general.byzantine');
  const batchWhenIdle = boolKey(config, 'pbft.general.batchwhenidle');
  const timeouts: PbftTimeouts = {
    batchMs: durationKey(config, 'pbft.general.timeout.batch'),
    requestMs: durationKey(config, 'pbft.general.timeout.request'),
    viewChangeMs: durationKey(config, 'pbft.general.timeout.viewchange'),
    resendViewChangeMs: durationKey(config, 'pbft.general.timeout.resendviewchange'),
    nullRequestMs: durationKey(config, 'pbft.general.timeout.nullrequest'),
    broadcastMs: durationKey(config, 'pbft.general.timeout.broadcast'),
  };
  for (const [name, ms] of Object.entries(timeouts)) {
    if (ms <= 0 && name !== 'nullRequestMs') throw new PbftConfigError(`pbft.general.timeout.${name.replace(/Ms$/, '').toLowerCase()} must be positive`);
  }
  const adjustments: string[] = [];
  if (timeouts.batchMs >= timeouts.requestMs) {
    timeouts.requestMs = (3 * timeouts.batchMs) / 2;
    adjustments.push(`Configured request timeout must be greater than batch timeout, setting to ${timeouts.requestMs}ms`);
  }
  if (timeouts.nullRequestMs !== 0 && timeouts.requestMs >= timeouts.nullRequestMs) {
    timeouts.nullRequestMs = (3 * timeouts.requestMs) / 2;
    adjustments.push(`Configured null request timeout must be greater than request timeout, setting to ${timeouts.nullRequestMs}ms`);
  }
  const executorQueueSize = integerKey(config, 'pbft.executor.queuesize', 1, 1_000_000);
  const replicaId = replicaIdOf(peerId);
  if (replicaId >= N) throw new PbftConfigError(`peer.id ${peerId} is replica ${replicaId}, but pbft.general.N is ${N}: replica ids run from 0 to ${N - 1}`);
  return { mode: 'batch', N, f, K, logMultiplier, L, batchSize, byzantine, batchWhenIdle, viewChangePeriod, timeouts, executorQueueSize, replicaId, adjustments };
}

/** Ticks for a duration: at least one tick for any positive duration. */
export function ticksFor(ms: number, tickMs: number): number {
  return ms <= 0 ? 0 : Math.max(1, Math.ceil(ms / tickMs));
}

export interface TickOptions {
  tickMs: number;
  byzantineSeed?: number;
  outstandingPerOriginMax?: number;
  outstandingBytesPerOriginMax?: number;
}

export function replicaOptionsFrom(config: PbftConfig, tick: TickOptions): ReplicaOptions {
  const t = config.timeouts;
  const batchTimeoutTicks = ticksFor(t.batchMs, tick.tickMs);
  // Rounding to ticks must keep Fabric's strict orderings.
  const requestTimeoutTicks = Math.max(ticksFor(t.requestMs, tick.tickMs), batchTimeoutTicks + 1);
  const nullTicks = ticksFor(t.nullRequestMs, tick.tickMs);
  const options: ReplicaOptions = {
    id: config.replicaId,
    n: config.N,
    f: config.f,
    K: config.K,
    logMultiplier: config.logMultiplier,
    batchSize: config.batchSize,
    batchBytesMax: BATCH_BYTES_MAX,
    viewChangePeriod: config.viewChangePeriod,
    byzantine: config.byzantine,
    batchWhenIdle: config.batchWhenIdle,
    byzantineSeed: tick.byzantineSeed ?? 0,
    batchTimeoutTicks,
    requestTimeoutTicks,
    viewChangeTimeoutTicks: ticksFor(t.viewChangeMs, tick.tickMs),
    resendViewChangeTicks: ticksFor(t.resendViewChangeMs, tick.tickMs),
    nullRequestTimeoutTicks: nullTicks === 0 ? 0 : Math.max(nullTicks, requestTimeoutTicks + 1),
    statusIntervalTicks: Math.max(2, Math.ceil(requestTimeoutTicks / 2)),
    outstandingPerOriginMax: tick.outstandingPerOriginMax ?? Math.max(1_000, 4 * config.batchSize),
    outstandingBytesPerOriginMax: tick.outstandingBytesPerOriginMax ?? 256 * 1_048_576,
  };
  validateReplicaOptions(options);
  return options;
}
