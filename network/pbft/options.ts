// What one replica is configured with, in the core's own units: counts, and timeouts in ticks
// (the driver decides how long a tick is). config.ts derives these from core.yaml's pbft section.
import { BATCH_BYTES_MAX, BATCH_REQUESTS_MAX, CHECKPOINT_PERIOD_MAX, LOG_SIZE_MAX, REPLICAS_MAX, REQUEST_PAYLOAD_BYTES_MAX } from './constants.ts';

export interface ReplicaOptions {
  /** This replica's id (vpN → N). */
  id: number;
  /** Replicas in the network, N ≥ 3f+1. */
  n: number;
  /** Byzantine faults tolerated. */
  f: number;
  /** Checkpoint period. */
  K: number;
  /** L = K · logMultiplier, the log window above the low watermark. */
  logMultiplier: number;
  /** Requests per pre-prepare. */
  batchSize: number;
  /** Encoded bytes per batch; a batch is cut early rather than exceed it. */
  batchBytesMax: number;
  /** Rotate the primary every this many checkpoint periods; 0 never. */
  viewChangePeriod: number;
  /** Misbehave like Fabric's byzantine flag: about 1/3 of broadcasts skip one random replica. */
  byzantine: boolean;
  /** Seed of the byzantine choices (the core draws no other randomness). */
  byzantineSeed: number;
  /** The primary sends a partial batch after this long. */
  batchTimeoutTicks: number;
  /**
   * weft, not Fabric: the primary also sends a partial batch at once when no batch is in flight,
   * so an idle network (or a new view) does not hold requests for the batch timeout. Default off.
   */
  batchWhenIdle?: boolean;
  /** A request not executed within this long starts a view change. */
  requestTimeoutTicks: number;
  /** First new-view timeout; doubles on each failed view change. */
  viewChangeTimeoutTicks: number;
  /** A view-change is re-sent after this long without a view-change quorum. */
  resendViewChangeTicks: number;
  /** The primary sends a null request after this long idle; 0 disables null requests. */
  nullRequestTimeoutTicks: number;
  /** How often a replica with work that is not moving asks its peers for what it lacks. */
  statusIntervalTicks: number;
  /** Outstanding requests kept per origin replica. */
  outstandingPerOriginMax: number;
  /** Outstanding request bytes kept per origin replica. */
  outstandingBytesPerOriginMax: number;
}

export class PbftOptionsError extends Error {
  override name = 'PbftOptionsError';
}

function integer(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new PbftOptionsError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/** Throws PbftOptionsError naming the first invalid option. */
export function validateReplicaOptions(o: ReplicaOptions): void {
  integer('N', o.n, 1, REPLICAS_MAX);
  integer('f', o.f, 0, REPLICAS_MAX);
  if (3 * o.f + 1 > o.n) {
    throw new PbftOptionsError(`need at least ${3 * o.f + 1} replicas to tolerate ${o.f} byzantine faults, but only ${o.n} replicas configured`);
  }
  integer('replica id', o.id, 0, o.n - 1);
  integer('K', o.K, 1, CHECKPOINT_PERIOD_MAX);
  integer('logmultiplier', o.logMultiplier, 2, LOG_SIZE_MAX);
  if (o.K * o.logMultiplier > LOG_SIZE_MAX) throw new PbftOptionsError(`log size K·logmultiplier = ${o.K * o.logMultiplier} exceeds ${LOG_SIZE_MAX}`);
  integer('batchsize', o.batchSize, 1, BATCH_REQUESTS_MAX);
  integer('batch bytes', o.batchBytesMax, REQUEST_PAYLOAD_BYTES_MAX + 1_024, BATCH_BYTES_MAX);
  integer('viewchangeperiod', o.viewChangePeriod, 0, 1_000_000);
  integer('byzantine seed', o.byzantineSeed, 0, 0xffff_ffff);
  integer('batch timeout ticks', o.batchTimeoutTicks, 1, 1e9);
  integer('request timeout ticks', o.requestTimeoutTicks, 1, 1e9);
  integer('view change timeout ticks', o.viewChangeTimeoutTicks, 1, 1e9);
  integer('resend view change ticks', o.resendViewChangeTicks, 1, 1e9);
  integer('null request timeout ticks', o.nullRequestTimeoutTicks, 0, 1e9);
  integer('status interval ticks', o.statusIntervalTicks, 1, 1e9);
  integer('outstanding requests per origin', o.outstandingPerOriginMax, 1, 1_000_000);
  integer('outstanding bytes per origin', o.outstandingBytesPerOriginMax, REQUEST_PAYLOAD_BYTES_MAX, 2 ** 40);
  if (o.requestTimeoutTicks <= o.batchTimeoutTicks) {
    throw new PbftOptionsError(`request timeout (${o.requestTimeoutTicks} ticks) must exceed the batch timeout (${o.batchTimeoutTicks} ticks)`);
  }
  if (o.nullRequestTimeoutTicks !== 0 && o.nullRequestTimeoutTicks <= o.requestTimeoutTicks) {
    throw new PbftOptionsError(`null request timeout (${o.nullRequestTimeoutTicks} ticks) must exceed the request timeout (${o.requestTimeoutTicks} ticks)`);
  }
}

/** Options for tests and the simulator: Fabric's defaults at one tick = 50 ms, overridable. */
export function replicaOptions(overrides: Partial<ReplicaOptions> & Pick<ReplicaOptions, 'id'>): ReplicaOptions {
  const options: ReplicaOptions = {
    n: 4,
    f: 1,
    K: 10,
    logMultiplier: 4,
    batchSize: 500,
    batchBytesMax: BATCH_BYTES_MAX,
    viewChangePeriod: 0,
    byzantine: false,
    byzantineSeed: 0,
    batchTimeoutTicks: 20,
    requestTimeoutTicks: 40,
    viewChangeTimeoutTicks: 40,
    resendViewChangeTicks: 40,
    nullRequestTimeoutTicks: 0,
    statusIntervalTicks: 20,
    outstandingPerOriginMax: 10_000,
    outstandingBytesPerOriginMax: 256 * 1_048_576,
    ...overrides,
  };
  validateReplicaOptions(options);
  return options;
}
