// One VOPR run: the seed draws a world (swarm.ts), a safety phase runs the workload under
// random faults (loss, delay, duplication, partitions, crashes with lost unsynced writes,
// byzantine replicas), then a liveness phase heals the network, restarts every crashed replica and
// requires every request a correct replica accepted (and did not crash after) to execute on every
// correct replica within a bound. Safety checkers run throughout; a core assertion is a failure.
import { Cluster } from './cluster.ts';
import { Prng } from './prng.ts';
import { describeSwarm, drawSwarm, type SwarmOptions } from './swarm.ts';

export type Phase = 'safety' | 'liveness';

export interface RunResult {
  seed: number;
  ok: boolean;
  phase: Phase;
  tick: number;
  failure: string | null;
  swarm: string;
  traceTail: string[];
  /** Each replica's status at the end (for the failure report). */
  replicas: string[];
  stats: { requests: number; executions: number; sent: number; lost: number; views: number; crashes: number; decodeErrors: number };
}

export interface RunOptions {
  /** Trace lines to keep for the failure report. */
  traceLines?: number;
  /** Print the trace as it happens. */
  verbose?: boolean;
  /** Trace the core's debug notes and every message sent too. */
  debug?: boolean;
  /** Override parts of the drawn world (tests pin a few). */
  adjust?: (swarm: SwarmOptions) => void;
}

export function runSeed(seed: number, options: RunOptions = {}): RunResult {
  const worldPrng = new Prng(seed);
  const swarm = drawSwarm(worldPrng);
  options.adjust?.(swarm);
  const faultPrng = worldPrng.fork();
  const cluster = new Cluster({ seed, n: swarm.n, f: swarm.f, replica: swarm.replica, timing: swarm.timing, faults: swarm.faults, byzantine: swarm.byzantine, reachability: true, traceDebugNotes: options.debug ?? false, traceMessages: options.debug ?? false });
  cluster.trace.echo = options.verbose ?? false;
  cluster.trace.add(0, null, 'world', describeSwarm(swarm));
  let phase: Phase = 'safety';
  const downUntil = new Map<number, number>();
  let healAt = 0;
  const fail = (failure: string): RunResult => result(seed, swarm, cluster, phase, failure, options.traceLines ?? 60);
  try {
    for (let t = 0; t < swarm.safetyTicks; t++) {
      cluster.randomWorkload(swarm.requestPermille, swarm.requestPaddingMax);
      injectFaults(cluster, swarm, faultPrng, downUntil, () => (healAt = cluster.now + faultPrng.range(10, swarm.partitionTicksMax)), healAt);
      cluster.tick();
      if (cluster.safety.violations.length > 0) return fail(cluster.safety.violations[0] as string);
    }
    phase = 'liveness';
    cluster.network.heal();
    cluster.network.faults = { ...swarm.faults, lossPermille: 0, duplicatePermille: 0 };
    for (const host of cluster.hosts) if (!host.up) cluster.restart(host.id);
    cluster.trace.add(cluster.now, null, 'heal', 'network healed, every replica up, workload continues');
    for (let t = 0; t < swarm.livenessWorkloadTicks; t++) {
      cluster.randomWorkload(swarm.requestPermille, swarm.requestPaddingMax);
      cluster.tick();
      if (cluster.safety.violations.length > 0) return fail(cluster.safety.violations[0] as string);
    }
    const required = cluster.liveness.required();
    const correct = cluster.correctHosts();
    const missing = (): string[] => required.filter((id) => correct.some((h) => !h.ledger.hasExecuted(id)));
    // A slow (possibly byzantine) primary may leave a backlog; the bound grows with it.
    const bound = swarm.convergenceTicksMax + swarm.convergenceTicksPerRequest * missing().length;
    const converged = cluster.runUntil(() => missing().length === 0 || cluster.safety.violations.length > 0, bound);
    if (cluster.safety.violations.length > 0) return fail(cluster.safety.violations[0] as string);
    if (!converged) {
      const left = missing();
      const where = correct.map((h) => `r${h.id}:${left.filter((id) => !h.ledger.hasExecuted(id)).length}`).join(' ');
      return fail(`liveness: ${left.length} of ${required.length} required requests not executed everywhere ${bound} ticks after the workload (missing per replica ${where}; first ${left.slice(0, 3).join(', ')})`);
    }
  } catch (error) {
    return fail(`exception: ${(error as Error).stack ?? String(error)}`);
  }
  return result(seed, swarm, cluster, phase, null, options.traceLines ?? 60);
}

function injectFaults(cluster: Cluster, swarm: SwarmOptions, prng: Prng, downUntil: Map<number, number>, scheduleHeal: () => number, healAt: number): void {
  for (const [id, until] of downUntil) {
    if (cluster.now >= until) {
      downUntil.delete(id);
      cluster.restart(id);
    }
  }
  if (prng.chance(swarm.crashPer10k, 10_000) && downUntil.size < swarm.crashedMax) {
    const candidates = cluster.correctHosts().filter((h) => h.up);
    if (candidates.length > 0) {
      const victim = prng.pick(candidates);
      cluster.crash(victim.id);
      downUntil.set(victim.id, cluster.now + prng.range(1, swarm.downTicksMax));
    }
  }
  if (cluster.network.partitioned && cluster.now >= healAt) {
    cluster.network.heal();
    cluster.trace.add(cluster.now, null, 'heal', 'partition healed');
  } else if (!cluster.network.partitioned && prng.chance(swarm.partitionPer10k, 10_000)) {
    const ids = prng.shuffle([...Array(swarm.n).keys()]);
    const cut = prng.range(1, swarm.n - 1);
    const groups = [ids.slice(0, cut), ids.slice(cut)];
    const oneWay = prng.chance(1, 3);
    cluster.network.partition(groups, oneWay);
    const until = scheduleHeal();
    cluster.trace.add(cluster.now, null, 'partition', `${groups.map((g) => `{${g.join(',')}}`).join(oneWay ? ' ⇸ ' : ' | ')} until ${until}`);
  }
}

function result(seed: number, swarm: SwarmOptions, cluster: Cluster, phase: Phase, failure: string | null, traceLines: number): RunResult {
  const views = Math.max(...cluster.hosts.map((h) => h.core?.status().view ?? 0));
  return {
    seed,
    ok: failure === null,
    phase,
    tick: cluster.now,
    failure,
    swarm: describeSwarm(swarm),
    traceTail: cluster.trace.tail(traceLines),
    replicas: cluster.hosts.map((h) => {
      const st = h.core?.status();
      if (st === undefined) return `r${h.id} down`;
      const role = h.correct ? '' : ' byzantine';
      return `r${h.id}${role}: view ${st.view}${st.activeView ? '' : ' (changing)'} lastExec ${st.lastExec} h ${st.h} seqNo ${st.seqNo} outstanding ${st.outstandingRequests} (pending ${st.pendingRequests}) batchStore ${st.batchStore} certs ${st.certificates} skip ${st.skipInProgress} height ${h.ledger.height}`;
    }),
    stats: {
      requests: cluster.liveness.count,
      executions: cluster.safety.executions,
      sent: cluster.network.sent,
      lost: cluster.network.lost,
      views,
      crashes: cluster.hosts.reduce((sum, h) => sum + h.crashes, 0),
      decodeErrors: cluster.decodeErrors,
    },
  };
}
