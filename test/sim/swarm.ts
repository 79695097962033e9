// Swarm testing: the seed draws the whole configuration (N, faults, timeouts, batch size, K…),
// so thousands of seeds explore thousands of different worlds. Probabilities are integers.
import type { ReplicaOptions } from '../../network/pbft/options.ts';
import { BEHAVIOURS, type Behaviour } from './byzantine.ts';
import type { Prng } from './prng.ts';
import type { HostTiming } from './replica-host.ts';
import type { NetworkFaults } from './sim-network.ts';

export interface SwarmOptions {
  n: number;
  f: number;
  replica: Omit<ReplicaOptions, 'id' | 'byzantine' | 'byzantineSeed'>;
  timing: HostTiming;
  faults: NetworkFaults;
  byzantine: Array<{ id: number; behaviours: Behaviour[] }>;
  /** Per-mille chance per tick of a client request. */
  requestPermille: number;
  requestPaddingMax: number;
  /** Per 10 000 per tick: crash a correct replica / start a partition. */
  crashPer10k: number;
  partitionPer10k: number;
  downTicksMax: number;
  partitionTicksMax: number;
  /** Correct replicas that may be down at once. */
  crashedMax: number;
  safetyTicks: number;
  livenessWorkloadTicks: number;
  /** Ticks after the liveness workload within which every required request must execute everywhere correct… */
  convergenceTicksMax: number;
  /** …plus this many per request still missing when the workload stops. */
  convergenceTicksPerRequest: number;
}

export function drawSwarm(prng: Prng): SwarmOptions {
  const n = prng.pick([4, 4, 4, 7]);
  const f = Math.floor((n - 1) / 3);
  const byzantineCount = prng.range(0, f);
  const ids = prng.shuffle([...Array(n).keys()]).slice(0, byzantineCount);
  const byzantine = ids.map((id) => ({ id, behaviours: drawBehaviours(prng) }));
  const K = prng.pick([2, 3, 5, 10]);
  const batchTimeoutTicks = prng.range(2, 6);
  const requestTimeoutTicks = batchTimeoutTicks + prng.range(10, 30);
  const nullRequestTimeoutTicks = prng.chance(1, 3) ? requestTimeoutTicks + prng.range(5, 30) : 0;
  const delayMax = prng.range(1, 5);
  return {
    n,
    f,
    replica: {
      n,
      f,
      K,
      logMultiplier: prng.range(2, 4),
      batchSize: prng.pick([1, 2, 3, 5, 10, 50]),
      batchBytesMax: 8 * 1_048_576 - 65_536,
      viewChangePeriod: prng.chance(1, 5) ? prng.range(1, 3) : 0,
      batchTimeoutTicks,
      // Half the seeds cut batches when idle. Derived from a value already drawn, not a new draw,
      // so every existing seed (the regression seeds included) replays the same run as before.
      batchWhenIdle: batchTimeoutTicks % 2 === 0,
      requestTimeoutTicks,
      viewChangeTimeoutTicks: prng.range(10, 40),
      resendViewChangeTicks: prng.range(10, 40),
      nullRequestTimeoutTicks,
      statusIntervalTicks: Math.max(2, Math.ceil(requestTimeoutTicks / 2)),
      outstandingPerOriginMax: prng.pick([50, 1_000]),
      outstandingBytesPerOriginMax: 64 * 1_048_576,
    },
    timing: { writeLatencyMax: prng.range(0, 2), executeLatencyMax: prng.range(0, 3), transferLatencyMin: 1, transferLatencyMax: prng.range(2, 15) },
    faults: { delayMinTicks: 1, delayMaxTicks: delayMax, lossPermille: prng.pick([0, 0, 10, 50, 150]), duplicatePermille: prng.pick([0, 10, 50]) },
    byzantine,
    requestPermille: prng.pick([50, 150, 400]),
    requestPaddingMax: prng.pick([0, 64, 2_000]),
    crashPer10k: prng.pick([0, 0, 5, 20]),
    partitionPer10k: prng.pick([0, 0, 5, 20]),
    downTicksMax: prng.range(20, 300),
    partitionTicksMax: prng.range(20, 300),
    crashedMax: prng.range(1, n - 1),
    safetyTicks: prng.range(500, 2_500),
    livenessWorkloadTicks: 200,
    convergenceTicksMax: 3_000,
    convergenceTicksPerRequest: 30,
  };
}

function drawBehaviours(prng: Prng): Behaviour[] {
  const count = prng.range(1, 3);
  return prng.shuffle([...BEHAVIOURS]).slice(0, count);
}

export function describeSwarm(o: SwarmOptions): string {
  const r = o.replica;
  const byz = o.byzantine.map((b) => `r${b.id}:${b.behaviours.join('+')}`).join(' ') || 'none';
  return (
    `N=${o.n} f=${o.f} K=${r.K} L=${r.K * r.logMultiplier} batch=${r.batchSize} vcperiod=${r.viewChangePeriod} ` +
    `timeouts(batch=${r.batchTimeoutTicks} req=${r.requestTimeoutTicks} vc=${r.viewChangeTimeoutTicks} null=${r.nullRequestTimeoutTicks}) ` +
    `net(delay≤${o.faults.delayMaxTicks} loss=${o.faults.lossPermille}‰ dup=${o.faults.duplicatePermille}‰) ` +
    `crash=${o.crashPer10k}/10k partition=${o.partitionPer10k}/10k byzantine=${byz} safety=${o.safetyTicks} ticks`
  );
}
