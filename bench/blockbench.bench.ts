// The BLOCKBENCH workloads (standalone: node bench/blockbench.bench.ts [--quick]), through the same
// driver as `weft bench` (host/bench/): YCSB (kvstore, 100 % updates as BLOCKBENCH's workloada.spec
// ran them on Fabric), Smallbank, DoNothing, and (full run) IOHeavy and CPUHeavy, with real peer
// processes on this machine.
//  1. baseline in the same run: one noops peer (blocks of 500, 100 ms wait), the same load;
//  2. four PBFT peers (Fabric's defaults, f = 1), a fresh network per workload (as 1.): closed loop with 1,500 transactions in flight
//     (the most the network commits) with the ratio to the baseline; then, on another fresh
//     network, open loop at the goal's rate after the same warm-up at that rate (latency at that load);
//  3. full run only: IOHeavy (1,000 keys per transaction, 16 clients) and CPUHeavy (sort 1,000),
//     each on a fresh 4-peer network; scalability (YCSB on 4, 7, 10 peers: f = 1, 2, 3) and the
//     fault run (YCSB, vp3 stopped a quarter into the run and started again at half time, clients on
//     vp0…vp2).
// Goals (issue 6): YCSB ≥ 3,000 and Smallbank ≥ 2,000 committed tx/s with median ≤ 200 ms at that
// load, DoNothing ≥ 5,000, zero lost, throughput with a replica stopped ≥ 70 % of the healthy one.
// The report (JSON) and plot (SVG) go to bench/results/. Clients and all peers share this machine's cores.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchNetwork } from '../host/bench/bench-network.ts';
import { formatProgress } from '../host/bench/progress.ts';
import { buildReport, count, formatRun, formatScalability, ms, networkLabel, percent, reportJson, STOLEN_SHOWN_FROM, type ScalabilityRow } from '../host/bench/report.ts';
import { FAULT_RESTART_AT, FAULT_STOP_AT, runWorkload, type BenchRun, type FaultPlan, type NetworkDescription, type RunPlan } from '../host/bench/runner.ts';
import { renderBenchSvg } from '../host/bench/svg-plot.ts';
import { DEFAULT_WORKLOAD_OPTIONS, type WorkloadName, type WorkloadOptions } from '../host/bench/workloads.ts';
import { VERSION } from '../host/cli/program.ts';
import { createProgress } from '../host/progress.ts';
import { benchArgs } from './bench-args.ts';

const { quick: QUICK } = benchArgs(import.meta.url, "BLOCKBENCH's workloads (YCSB, Smallbank, DoNothing, IOHeavy, CPUHeavy) against networks it starts: maxima, the goal rates, scalability (4, 7, 10 peers) and a fault run; a report and a plot in bench/results/.");
const DURATION_S = QUICK ? 5 : 15;
const WARMUP_S = QUICK ? 1 : 3;
const FAULT_DURATION_S = 40;
const CLIENTS = 64;
/** Closed loop for the most a network commits: transactions outstanding at once (below a peer's admission limit of 2,000). */
const IN_FLIGHT = 1_500;
/** Connections for the open-loop runs at a goal's rate. */
const OPEN_LOOP_CLIENTS = 256;
const DRAIN_S = 30;
const MACRO: WorkloadName[] = ['ycsb', 'smallbank', 'donothing'];
const MICRO: WorkloadName[] = QUICK ? [] : ['ioheavy', 'cpuheavy'];
const SCALABILITY_PEERS = QUICK ? [] : [7, 10];
const GOAL_TPS: Partial<Record<WorkloadName, number>> = { ycsb: 3_000, smallbank: 2_000, donothing: 5_000 };
/** Median latency the YCSB and Smallbank goals ask for at their rate. */
const GOAL_MEDIAN_MS = 200;
const GOAL_FAULT_RATIO = 0.7;
const OPTIONS: WorkloadOptions = {
  ...DEFAULT_WORKLOAD_OPTIONS,
  readRatio: 0,
  records: QUICK ? 2_000 : 10_000,
  accounts: QUICK ? 10_000 : 100_000,
};
const NOOPS_ENV = { CORE_NOOPS_BLOCK_WAIT: '100ms' };
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');

const verdict = (ok: boolean): string => (ok ? 'met' : 'missed');
const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? (a / b).toFixed(2) : 'n/a');
const startedAt = new Date().toISOString();
const runs: BenchRun[] = [];
const scalability: ScalabilityRow[] = [];

function plan(workload: WorkloadName, extra: Partial<RunPlan> = {}): RunPlan {
  return { workload, options: OPTIONS, clients: CLIENTS, ratePerSecond: undefined, maxInFlight: IN_FLIGHT, durationS: DURATION_S, warmupS: WARMUP_S, drainTimeoutS: DRAIN_S, ...extra };
}

const failures: string[] = [];
/** The run's progress line on stderr (redrawn on a terminal, every few seconds in a pipe). */
const status = createProgress();

/** Runs body on a fresh network; a run that fails is reported (and fails the bench) without stopping the others. */
async function onNetwork(peers: number, consensus: 'pbft' | 'noops', body: (run: (p: RunPlan) => Promise<BenchRun | undefined>) => Promise<void>): Promise<void> {
  let network: Awaited<ReturnType<typeof startBenchNetwork>>;
  try {
    network = await startBenchNetwork({ peers, consensus, env: consensus === 'noops' ? NOOPS_ENV : {} });
  } catch (error) {
    const failure = `starting ${peers} ${consensus} peers: ${(error as Error).message}`;
    failures.push(failure);
    console.log(`FAILED ${failure}`);
    return;
  }
  const description: NetworkDescription = { peers, consensus, f: consensus === 'pbft' ? Math.floor((peers - 1) / 3) : undefined, startedByBench: true };
  try {
    await body(async (p) => {
      try {
        const run = await runWorkload(network.targets, description, p, {
          stopPeer: network.stop,
          startPeer: network.start,
          peerPids: network.layout.peers.map((peer) => peer.pid),
          onProgress: (phase, progress) => status.status(formatProgress(p.workload, phase, progress, phase === 'measure' ? p.durationS : undefined)),
        });
        status.clear();
        runs.push(run);
        console.log(formatRun(run).join('\n'));
        return run;
      } catch (error) {
        status.clear();
        const failure = `${p.workload} on ${peers} ${consensus} peers${p.ratePerSecond ? ` at ${p.ratePerSecond} tx/s` : ''}: ${(error as Error).message}`;
        failures.push(failure);
        console.log(`FAILED ${failure}`);
        return undefined;
      }
    });
  } finally {
    await network.down();
  }
}

// 1. Baseline: one noops peer, the same clients and workloads.
const baseline = new Map<WorkloadName, number>();
console.log(`=== baseline: 1 noops peer (blocks of 500, 100 ms wait), closed loop, ${IN_FLIGHT} in flight`);
// Each workload on a fresh network, as BLOCKBENCH ran them: a workload run after another would
// pay for the state, the chain and the LevelDB compactions the one before left behind (DoNothing
// after Smallbank's 200,000 accounts used ~30 % more peer CPU per transaction than on its own).
for (const workload of MACRO) {
  await onNetwork(1, 'noops', async (run) => {
    const r = await run(plan(workload));
    if (r) baseline.set(workload, r.result.committedPerSecond);
  });
}

// 2. Four PBFT peers.
const pbftMax = new Map<WorkloadName, BenchRun>();
const pbftAtGoal = new Map<WorkloadName, BenchRun>();
console.log('\n=== 4 PBFT peers (f = 1, batchsize 500, timeout.batch 1 s)');
for (const workload of MACRO) {
  await onNetwork(4, 'pbft', async (run) => {
    const max = await run(plan(workload));
    if (max) pbftMax.set(workload, max);
    const b = baseline.get(workload);
    if (max && b !== undefined) console.log(`  ratio to the 1-peer noops baseline (${count(b)} tx/s): ${ratio(max.result.committedPerSecond, b)}`);
  });
  const goal = GOAL_TPS[workload];
  if (goal !== undefined && workload !== 'donothing') {
    // The goal rate on a fresh network of its own too, after the usual warm-up at that rate: run
    // right after the maximum run (57,000 transactions in 15 s), it shared that run's LevelDB
    // compactions, and YCSB's median swung between 175 and 565 ms from run to run.
    await onNetwork(4, 'pbft', async (run) => {
      const atGoal = await run(plan(workload, { ratePerSecond: goal, clients: OPEN_LOOP_CLIENTS }));
      if (atGoal) pbftAtGoal.set(workload, atGoal);
    });
  }
}
const ycsbMax = pbftMax.get('ycsb');
if (SCALABILITY_PEERS.length > 0 && ycsbMax) {
  scalability.push({ workload: 'ycsb', peers: 4, f: 1, committedPerSecond: ycsbMax.result.committedPerSecond, latencyMedianMs: ycsbMax.result.latencyMs.median, lost: ycsbMax.result.lost });
}

// The micro-benchmarks, each on a fresh network (a backlog of heavy transactions would slow the next
// run). IOHeavy is closed loop per client with few clients: a transaction of 1,000 writes costs tens
// of milliseconds of commit work per peer (state hash), so 1,500 in flight would be a minute of backlog.
const MICRO_PLAN: Partial<Record<WorkloadName, Partial<RunPlan>>> = { ioheavy: { clients: 16, maxInFlight: undefined }, cpuheavy: {} };
for (const workload of MICRO) {
  await onNetwork(4, 'pbft', async (run) => {
    const r = await run(plan(workload, MICRO_PLAN[workload]));
    if (r) pbftMax.set(workload, r);
    if (r && workload === 'ioheavy') console.log(`  keys written or read per second: ${count(r.result.committedPerSecond * OPTIONS.ioKeys)}`);
  });
}

// 3. Scalability and the fault run (full run only).
for (const peers of SCALABILITY_PEERS) {
  console.log(`\n=== scalability: ${peers} PBFT peers`);
  await onNetwork(peers, 'pbft', async (run) => {
    const r = await run(plan('ycsb', { durationS: 10 }));
    if (r) scalability.push({ workload: 'ycsb', peers, f: Math.floor((peers - 1) / 3), committedPerSecond: r.result.committedPerSecond, latencyMedianMs: r.result.latencyMs.median, lost: r.result.lost });
  });
}
let faultRun: BenchRun | undefined;
if (!QUICK) {
  console.log('\n=== fault: 4 PBFT peers, vp3 stopped and started again, YCSB closed loop');
  const fault: FaultPlan = { peer: 'vp3', stopAtS: FAULT_DURATION_S * FAULT_STOP_AT, restartAtS: FAULT_DURATION_S * FAULT_RESTART_AT };
  await onNetwork(4, 'pbft', async (run) => {
    faultRun = await run(plan('ycsb', { durationS: FAULT_DURATION_S, fault }));
  });
}

// Summary.
console.log('\n=== summary (4 PBFT peers unless said)');
console.log('  workload    committed tx/s  baseline noops  ratio  median / p95 / p99 ms    lost  goal');
for (const [workload, run] of pbftMax) {
  const r = run.result;
  const goal = GOAL_TPS[workload];
  const goalText = goal === undefined ? '' : `≥ ${count(goal)} tx/s: ${verdict(r.committedPerSecond >= goal)}`;
  console.log(`  ${workload.padEnd(10)}  ${count(r.committedPerSecond).padStart(14)}  ${count(baseline.get(workload) ?? Number.NaN).padStart(14)}  ${ratio(r.committedPerSecond, baseline.get(workload) ?? Number.NaN).padStart(5)}  ${`${ms(r.latencyMs.median)} / ${ms(r.latencyMs.p95)} / ${ms(r.latencyMs.p99)}`.padEnd(22)}  ${String(r.lost).padStart(4)}  ${goalText}`);
}
for (const [workload, run] of pbftAtGoal) {
  const r = run.result;
  const ok = r.committedPerSecond >= 0.95 * (run.plan.ratePerSecond ?? 0) && r.latencyMs.median <= GOAL_MEDIAN_MS && r.lost === 0;
  // Latency at these rates is queueing for two shared cores: how busy they were (and how much the hypervisor took) reads beside the median.
  const machine = run.cpu.machine;
  const load = machine ? `, machine ${percent(machine.busy)} busy${machine.stolen >= STOLEN_SHOWN_FROM ? ` (+${percent(machine.stolen)} stolen)` : ''}` : '';
  console.log(`  ${workload} at ${count(run.plan.ratePerSecond ?? 0)} tx/s offered: ${count(r.committedPerSecond)} committed tx/s, median ${ms(r.latencyMs.median)} ms, lost ${r.lost}, refused ${r.refused}${load}   (goal: sustained with median ≤ ${GOAL_MEDIAN_MS} ms: ${verdict(ok)})`);
}
if (scalability.length > 0) console.log(formatScalability(scalability).join('\n'));
if (faultRun?.fault) {
  const f = faultRun.fault;
  console.log(`  fault: committed tx/s before ${count(f.beforePerSecond)}, vp3 stopped ${count(f.duringPerSecond)}, after ${count(f.afterPerSecond)}; ratio ${ratio(f.duringPerSecond, f.beforePerSecond)}   (goal ≥ ${GOAL_FAULT_RATIO}: ${verdict(f.ratio >= GOAL_FAULT_RATIO)})`);
}
const lost = runs.reduce((sum, run) => sum + run.result.lost, 0);
console.log(`  lost transactions, all runs: ${lost}   (goal 0: ${verdict(lost === 0)})`);
for (const failure of failures) console.log(`  FAILED ${failure}`);
if (failures.length > 0) process.exitCode = 1;

await mkdir(RESULTS, { recursive: true });
const stamp = startedAt.slice(0, 19).replace(/[:T]/g, '-');
const report = buildReport({ version: VERSION, startedAt, command: ['node', 'bench/blockbench.bench.ts', ...process.argv.slice(2)], runs, scalability });
const file = join(RESULTS, `blockbench-${stamp}${QUICK ? '-quick' : ''}`);
await writeFile(`${file}.json`, reportJson(report));
const bars = scalability.length > 0 ? { title: 'scalability: YCSB committed tx/s by network size', yLabel: 'committed tx/s', bars: scalability.map((row) => ({ label: `N=${row.peers}, f=${row.f}`, value: row.committedPerSecond })) } : undefined;
await writeFile(`${file}.svg`, renderBenchSvg(`BLOCKBENCH workloads, ${startedAt.slice(0, 16).replace('T', ' ')} UTC`, runs.map((run) => ({ title: `${run.workload}, ${networkLabel(run.network)}, ${run.plan.ratePerSecond === null ? 'closed loop' : `${count(run.plan.ratePerSecond)} tx/s offered`}${run.fault ? `, ${run.fault.peer} stopped and restarted` : ''}`, timeline: run.result.timeline, markers: run.result.markers, elapsedSeconds: run.result.elapsedSeconds })), bars));
console.log(`  report ${file}.json, plot ${file}.svg`);
