// One `weft bench` run of one workload on a set of peers: deploy its chaincode, run its setup
// (preload) to completion, warm up, then measure for the given time — optionally stopping one
// replica part-way and starting it again (the fault run) — and describe the outcome as a
// BenchRun for the report.
import { batchFigures, scrapeBatchTotals, type PeerBatchFigures } from './batch-figures.ts';
import { drive, type BenchTarget, type DriveProgress, type DriveResult, type ScheduledAction } from './driver.ts';
import { chaincodeModule, deployOnAll } from './deploy.ts';
import { machineCpuTimes, machineLoad, totalCpuSeconds, type MachineLoad } from './process-cpu.ts';
import { meanThroughput } from './stats.ts';
import { WORKLOADS, type Operation, type WorkloadName, type WorkloadOptions } from './workloads.ts';

/** Clients of the setup phase. */
const SETUP_CLIENTS = 16;
/**
 * Set-up transactions outstanding at once: enough to fill PBFT's batches of 500, below a peer's
 * admission limit (2,000 unordered transactions from one peer).
 */
const SETUP_IN_FLIGHT_MAX = 1_000;
/** How long to wait for a deploy to commit on every peer. */
const DEPLOY_TIMEOUT_MS = 60_000;
/** Seconds after each fault action excluded from the before/during/after means (the action itself takes time). */
const FAULT_SETTLE_S = 1;
/** Seconds of timeline a before/during/after mean needs; with fewer it is NaN (a restart that took most of the run). */
const FAULT_WINDOW_MIN_S = 2;
/** When the fault run stops its replica and starts it again, as fractions of the measured time (the rest shows the recovery). */
export const FAULT_STOP_AT = 0.25;
export const FAULT_RESTART_AT = 0.5;

export interface FaultPlan {
  /** The replica to stop (clients do not send to it). */
  peer: string;
  stopAtS: number;
  restartAtS: number;
}

export interface RunPlan {
  workload: WorkloadName;
  options: WorkloadOptions;
  clients: number;
  /** Open loop at this rate (tx/s over all clients); undefined: closed loop. */
  ratePerSecond: number | undefined;
  /** Closed loop over the run: this many transactions outstanding (undefined: one per client). */
  maxInFlight?: number | undefined;
  durationS: number;
  warmupS: number;
  drainTimeoutS: number;
  fault?: FaultPlan | undefined;
}

export interface NetworkDescription {
  peers: number;
  consensus: string;
  /** PBFT's f for this N (N ≥ 3f + 1), if the bench started the network. */
  f?: number | undefined;
  /** Whether `weft bench` started this network (else: --peer targets). */
  startedByBench: boolean;
}

export interface FaultFigures {
  peer: string;
  stoppedAtS: number;
  restartedAtS: number;
  /** Mean committed tx/s before the stop, while stopped, after the restart. */
  beforePerSecond: number;
  duringPerSecond: number;
  afterPerSecond: number;
  /** duringPerSecond / beforePerSecond. */
  ratio: number;
}

export interface BenchRun {
  workload: WorkloadName;
  description: string;
  chaincode: { folder: string; name: string };
  network: NetworkDescription;
  targets: string[];
  plan: { clients: number; ratePerSecond: number | null; maxInFlight: number | null; durationS: number; warmupS: number; options: WorkloadOptions };
  setup: { operations: number; committed: number; refused: number; rejected: number; lost: number; seconds: number };
  /**
   * CPU per committed transaction during the measurement, in microseconds: this process (clients,
   * event listeners) and all peer processes together (null when unknown, or when a peer restarted).
   */
  cpu: { clientMicrosPerTx: number; peersMicrosPerTx: number | null; machine: MachineLoad | null };
  /** Each PBFT peer's batches during the measurement, by its own metrics (empty for noops). */
  batches: PeerBatchFigures[];
  result: DriveResult;
  fault?: FaultFigures | undefined;
  startedAt: string;
}

export interface RunHooks {
  /** A line for the person watching (set-up steps). */
  log?: (line: string) => void;
  onProgress?: (phase: 'setup' | 'warm-up' | 'measure', progress: DriveProgress) => void;
  signal?: AbortSignal | undefined;
  /** Stops / starts a replica of a network the bench started (required for a fault plan). */
  stopPeer?: (id: string) => Promise<void>;
  startPeer?: (id: string) => Promise<void>;
  /** Process ids of the peers (a network the bench started), for their CPU per transaction. */
  peerPids?: ReadonlyArray<number | undefined>;
}

/** A pull source over an iterable, counting what it gave; `empty` tells whether it has anything at all. */
function fromIterable(operations: Iterable<Operation>): { empty: boolean; next: () => Operation | undefined; count: () => number } {
  const iterator = operations[Symbol.iterator]();
  let first = iterator.next();
  let count = 0;
  return {
    empty: first.done === true,
    next: () => {
      const step = first.done === false ? first : iterator.next();
      first = { done: true, value: undefined };
      if (step.done) return undefined;
      count++;
      return step.value;
    },
    count: () => count,
  };
}

export async function runWorkload(targets: BenchTarget[], network: NetworkDescription, plan: RunPlan, hooks: RunHooks = {}): Promise<BenchRun> {
  const log = hooks.log ?? (() => {});
  const workload = WORKLOADS[plan.workload];
  const fault = plan.fault;
  if (fault && (!hooks.stopPeer || !hooks.startPeer)) throw new Error('a fault run needs a network the bench started');
  // The stopped replica gets no clients: what it had accepted could not be followed while it is down.
  const sendTo = fault ? targets.filter((t) => t.id !== fault.peer) : targets;
  if (fault && sendTo.length === targets.length) throw new Error(`no peer ${fault.peer} in this network (${targets.map((t) => t.id).join(', ')})`);
  const startedAt = new Date().toISOString();

  log(`${plan.workload}: deploying chaincode/${workload.chaincode}`);
  const wasm = await chaincodeModule(workload.chaincode);
  const name = await deployOnAll(targets, workload.chaincode, wasm, `${plan.workload}-${Date.now()}-${process.pid}`, DEPLOY_TIMEOUT_MS);
  const common = { targets: sendTo, chaincodeName: name, drainTimeoutMs: plan.drainTimeoutS * 1000, signal: hooks.signal };

  const setupSource = fromIterable(workload.setup(plan.options));
  const setupStarted = performance.now();
  const setupFigures = { operations: 0, committed: 0, refused: 0, rejected: 0, lost: 0, seconds: 0 };
  if (!setupSource.empty) {
    const setup = await drive({ ...common, next: setupSource.next, clients: SETUP_CLIENTS, maxInFlight: SETUP_IN_FLIGHT_MAX, onProgress: (p) => hooks.onProgress?.('setup', p) });
    Object.assign(setupFigures, { operations: setupSource.count(), committed: setup.committed, refused: setup.refused, rejected: setup.rejected, lost: setup.lost, seconds: (performance.now() - setupStarted) / 1000 });
    log(`${plan.workload}: set-up ${setup.committed}/${setupFigures.operations} committed in ${setupFigures.seconds.toFixed(1)} s`);
  }

  const operations = workload.operations(plan.options);
  const load = { ...common, next: operations, clients: plan.clients, ratePerSecond: plan.ratePerSecond, maxInFlight: plan.ratePerSecond === undefined ? plan.maxInFlight : undefined };
  if (plan.warmupS > 0 && !hooks.signal?.aborted) {
    await drive({ ...load, durationMs: plan.warmupS * 1000, onProgress: (p) => hooks.onProgress?.('warm-up', p) });
  }

  const schedule: ScheduledAction[] = fault
    ? [
        { afterMs: fault.stopAtS * 1000, label: `stop ${fault.peer}`, run: () => hooks.stopPeer!(fault.peer) },
        { afterMs: fault.restartAtS * 1000, label: `start ${fault.peer}`, run: () => hooks.startPeer!(fault.peer) },
      ]
    : [];
  const pids = fault ? undefined : hooks.peerPids;
  const batchesBefore = await Promise.all(targets.map(scrapeBatchTotals));
  const peersCpuBefore = pids ? totalCpuSeconds(pids) : Number.NaN;
  const machineBefore = machineCpuTimes();
  const result = await drive({ ...load, durationMs: plan.durationS * 1000, schedule, onProgress: (p) => hooks.onProgress?.('measure', p) });
  const machine = machineLoad(machineBefore, machineCpuTimes());
  const peersCpu = pids ? totalCpuSeconds(pids) - peersCpuBefore : Number.NaN;
  const batchesAfter = await Promise.all(targets.map(scrapeBatchTotals));
  const perTx = (seconds: number): number => (seconds * 1e6) / result.committed;

  return {
    workload: plan.workload,
    description: workload.description,
    chaincode: { folder: `chaincode/${workload.chaincode}`, name },
    network,
    targets: sendTo.map((t) => `${t.id} ${t.rest}`),
    plan: { clients: plan.clients, ratePerSecond: plan.ratePerSecond ?? null, maxInFlight: plan.ratePerSecond === undefined ? (plan.maxInFlight ?? null) : null, durationS: plan.durationS, warmupS: plan.warmupS, options: plan.options },
    setup: setupFigures,
    cpu: { clientMicrosPerTx: perTx(result.clientCpuSeconds), peersMicrosPerTx: Number.isFinite(peersCpu) ? perTx(peersCpu) : null, machine: machine ?? null },
    batches: batchFigures(targets.map((t) => t.id), batchesBefore, batchesAfter),
    result,
    fault: fault ? faultFigures(fault, result, plan.durationS) : undefined,
    startedAt,
  };
}

/** Throughput before, during and after the stop, from the markers the driver recorded. */
export function faultFigures(fault: FaultPlan, result: Pick<DriveResult, 'timeline' | 'markers'>, durationS: number): FaultFigures {
  const at = (label: string, planned: number): number => result.markers.find((m) => m.label === label)?.t ?? planned;
  const stoppedAtS = at(`stop ${fault.peer}`, fault.stopAtS);
  const restartedAtS = at(`start ${fault.peer}: done`, fault.restartAtS);
  // Up to the end of sending: the drain after it is a tail, not throughput.
  const end = Math.floor(durationS);
  const mean = (from: number, to: number): number => (to - from >= FAULT_WINDOW_MIN_S ? meanThroughput(result.timeline, from, to) : Number.NaN);
  const beforePerSecond = mean(FAULT_SETTLE_S, Math.floor(stoppedAtS));
  const duringPerSecond = mean(Math.ceil(stoppedAtS) + FAULT_SETTLE_S, Math.floor(at(`start ${fault.peer}`, fault.restartAtS)));
  const afterPerSecond = mean(Math.ceil(restartedAtS) + FAULT_SETTLE_S, end);
  return { peer: fault.peer, stoppedAtS, restartedAtS, beforePerSecond, duringPerSecond, afterPerSecond, ratio: duringPerSecond / beforePerSecond };
}
