// Shared set-up for the PBFT scenario tests: a simulated cluster with no random faults (one tick
// of delay per message, instant disk and execution) and short timeouts, plus small helpers.
// The scenarios themselves are Fabric v0.6's pbft-core_test.go and batch_test.go, retold.
import type { ReplicaOptions } from '../../network/pbft/options.ts';
import { Cluster } from '../sim/cluster.ts';
import type { HostTiming } from '../sim/replica-host.ts';

export interface ScenarioOptions {
  n?: number;
  f?: number;
  replica?: Partial<Omit<ReplicaOptions, 'id' | 'n' | 'f'>>;
  timing?: HostTiming;
  seed?: number;
  transactionsIn?: (payload: Uint8Array) => number;
}

/** Timeouts in ticks (one tick = one message hop here). */
export const SCENARIO_REPLICA: Partial<ReplicaOptions> = {
  K: 10,
  logMultiplier: 4,
  batchSize: 1,
  batchTimeoutTicks: 2,
  requestTimeoutTicks: 20,
  viewChangeTimeoutTicks: 20,
  resendViewChangeTicks: 20,
  statusIntervalTicks: 10,
};

export function scenario(options: ScenarioOptions = {}): Cluster {
  const cluster = new Cluster({
    seed: options.seed ?? 1,
    n: options.n ?? 4,
    ...(options.f === undefined ? {} : { f: options.f }),
    replica: { ...SCENARIO_REPLICA, ...options.replica },
    ...(options.timing === undefined ? {} : { timing: options.timing }),
    ...(options.transactionsIn === undefined ? {} : { transactionsIn: options.transactionsIn }),
  });
  cluster.recordDeliveries = true;
  return cluster;
}

/** Runs until every listed replica executed every transaction; throws with the trace tail if not within maxTicks. */
export function runUntilExecuted(cluster: Cluster, ids: readonly string[], replicas?: readonly number[], maxTicks = 500): void {
  const ok = cluster.runUntil(() => cluster.executedEverywhere(ids, replicas), maxTicks);
  if (!ok) throw new Error(`not executed within ${maxTicks} ticks: ${ids.join(',')}\n${describeCluster(cluster)}`);
}

export function describeCluster(cluster: Cluster): string {
  const lines = cluster.hosts.map((h) => {
    const s = h.core?.status();
    return s === undefined ? `r${h.id} down` : `r${h.id}: view ${s.view}${s.activeView ? '' : '*'} lastExec ${s.lastExec} h ${s.h} height ${h.ledger.height} drops ${JSON.stringify(s.drops)}`;
  });
  return [...lines, ...cluster.trace.tail(30)].join('\n');
}

/** The block height at which each replica executed the transaction (undefined where it did not). */
export function blockOf(cluster: Cluster, txId: string): Array<number | undefined> {
  return cluster.hosts.map((h) => {
    for (let height = 2; height <= h.ledger.height; height++) {
      if (h.ledger.blockAt(height)?.txIds.includes(txId)) return height;
    }
    return undefined;
  });
}

export function chain(cluster: Cluster, replica: number): string[] {
  const ledger = cluster.host(replica).ledger;
  const hashes: string[] = [];
  for (let height = 1; height <= ledger.height; height++) hashes.push(Buffer.from(ledger.blockAt(height)?.blockHash ?? []).toString('hex').slice(0, 12));
  return hashes;
}
