// `weft bench [workloads...]`: the BLOCKBENCH workloads (YCSB, Smallbank, DoNothing, IOHeavy,
// CPUHeavy) against a network this command starts (N peer processes, PBFT or noops) or against
// running peers (--peer). Per workload: committed tx/s, latency median / p95 / p99, refused,
// rejected and lost transactions; a progress line while it runs; the report as JSON (--out) and
// a plot of throughput and latency over time (SVG). Also a scalability run over several network
// sizes and a fault run (one replica stopped and started again during the measurement).
import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { startBenchNetwork, parseTarget, type BenchNetwork } from '../../bench/bench-network.ts';
import type { BenchTarget } from '../../bench/driver.ts';
import { CLIENTS_MAX, RATE_MAX } from '../../bench/driver.ts';
import { KEY_DISTRIBUTIONS, type KeyDistribution } from '../../bench/key-choosers.ts';
import { formatProgress } from '../../bench/progress.ts';
import { buildReport, formatRun, formatScalability, networkLabel, reportJson, type ScalabilityRow } from '../../bench/report.ts';
import { FAULT_RESTART_AT, FAULT_STOP_AT, runWorkload, type BenchRun, type FaultPlan, type NetworkDescription, type RunPlan } from '../../bench/runner.ts';
import { renderBenchSvg } from '../../bench/svg-plot.ts';
import { DEFAULT_WORKLOAD_OPTIONS, isWorkloadName, WORKLOAD_NAMES, workloadOptionProblems, type WorkloadName, type WorkloadOptions } from '../../bench/workloads.ts';
import { createProgress } from '../../progress.ts';
import { CliError } from '../cli-error.ts';
import type { CliContext } from '../context.ts';

/** Peers a network started for a bench may have (each is a process on this machine). */
const BENCH_PEERS_MAX = 32;
const DURATION_MAX_S = 24 * 3600;
/** Outstanding transactions --in-flight may ask for (a peer refuses beyond 2,000 unordered ones of its own). */
const IN_FLIGHT_MAX = 100_000;

interface BenchFlags {
  peers: string;
  consensus: string;
  peer: string[];
  clients: string;
  rate?: string;
  inFlight?: string;
  duration: string;
  warmup: string;
  drain: string;
  seed: string;
  readRatio: string;
  records: string;
  distribution: string;
  valueSize: string;
  accounts: string;
  ioKeys: string;
  sortSize: string;
  scalability?: string;
  fault?: string | boolean;
  out?: string;
  plot?: string;
  data?: string;
  env: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function integerFlag(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\s*-?\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) throw new CliError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  return n;
}

function numberFlag(text: string, flag: string, min: number, max: number, minExclusive = false): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n > max || (minExclusive ? n <= min : n < min)) {
    throw new CliError(`${flag} must be a number ${minExclusive ? 'above' : 'from'} ${min} ${minExclusive ? 'and at most' : 'to'} ${max}, got "${text}"`);
  }
  return n;
}

function workloadsOf(names: string[]): WorkloadName[] {
  if (names.length === 0) return ['ycsb'];
  const chosen: WorkloadName[] = [];
  for (const name of names.flatMap((n) => n.split(',')).map((n) => n.trim().toLowerCase()).filter((n) => n !== '')) {
    if (name === 'all') chosen.push(...WORKLOAD_NAMES);
    else if (isWorkloadName(name)) chosen.push(name);
    else throw new CliError(`Unknown workload "${name}"; workloads are ${WORKLOAD_NAMES.join(', ')} (or all)`);
  }
  return [...new Set(chosen)];
}

function envOf(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^(CORE_[A-Z0-9_]+)=(.*)$/.exec(pair);
    if (!match) throw new CliError(`--env must be CORE_NAME=value, got "${pair}"`);
    env[match[1]!] = match[2]!;
  }
  return env;
}

/** PBFT's f for N peers (the launcher configures the same). */
function faultsTolerated(peers: number): number {
  return Math.floor((peers - 1) / 3);
}

export function registerBenchCommands(program: Command, context: CliContext): void {
  program
    .command('bench')
    .description('run the BLOCKBENCH workloads (ycsb, smallbank, donothing, ioheavy, cpuheavy) against a network it starts or given peers; report tx/s, latency and lost transactions')
    .argument('[workloads...]', `workloads to run, in order: ${WORKLOAD_NAMES.join(', ')} or all (default: ycsb)`)
    .option('--peers <n>', 'peers of the network to start (vp0…vpN-1)', '4')
    .option('--consensus <plugin>', 'consensus of the network to start: pbft or noops', 'pbft')
    .addOption(new Option('--peer <address>', 'drive this running peer instead of starting a network (repeatable): REST host:port (event hub at port+3) or rest@events').argParser(collect).default([], 'none'))
    .option('--clients <n>', 'concurrent clients (keep-alive connections), spread over the peers', '64')
    .option('--rate <tx/s>', 'open loop: send at this total rate; without it, closed loop (each client waits for its transaction to commit)')
    .option('--in-flight <n>', 'closed loop over the whole run instead: keep n transactions outstanding (clients do not wait for their own)')
    .option('--duration <s>', 'measured seconds per workload', '30')
    .option('--warmup <s>', 'seconds of the same load before measuring', '5')
    .option('--drain <s>', 'after the run, seconds to wait for outstanding transactions before counting them lost', '30')
    .option('--seed <n>', 'seed of the workload generators (the same seed sends the same operations)', String(DEFAULT_WORKLOAD_OPTIONS.seed))
    .option('--read-ratio <r>', 'ycsb: fraction of operations that are reads (queries), 0 to 1', String(DEFAULT_WORKLOAD_OPTIONS.readRatio))
    .option('--records <n>', 'ycsb: records in the key space, written before measuring', String(DEFAULT_WORKLOAD_OPTIONS.records))
    .option('--distribution <d>', `ycsb: which records operations touch: ${KEY_DISTRIBUTIONS.join(' or ')}`, DEFAULT_WORKLOAD_OPTIONS.distribution)
    .option('--value-size <bytes>', 'ycsb: bytes of the field an update writes', String(DEFAULT_WORKLOAD_OPTIONS.valueBytes))
    .option('--accounts <n>', 'smallbank: accounts 1…n, preloaded before measuring', String(DEFAULT_WORKLOAD_OPTIONS.accounts))
    .option('--io-keys <n>', 'ioheavy: keys per write or scan transaction', String(DEFAULT_WORKLOAD_OPTIONS.ioKeys))
    .option('--sort-size <n>', 'cpuheavy: n of each sort transaction', String(DEFAULT_WORKLOAD_OPTIONS.sortSize))
    .option('--scalability <sizes>', 'run on networks of each of these sizes, e.g. 4,7,10 (PBFT f = 1, 2, 3)')
    .option('--fault [peer]', 'stop one replica (default: the last) a quarter into the run and start it again at half time; clients avoid it')
    .option('--out <file>', 'write the report as JSON here (and the plot next to it, .svg)')
    .option('--plot <file>', 'write the plot (SVG: throughput and latency over time) here')
    .option('--data <dir>', 'keep the started network\'s data in this directory (default: a temporary one, removed)')
    .addOption(new Option('--env <CORE_X=value>', 'a CORE_* setting for every started peer (repeatable), e.g. CORE_PBFT_GENERAL_BATCHSIZE=1000').argParser(collect).default([], 'none'))
    .action(async (names: string[] | undefined, flags: BenchFlags) => {
      const workloads = workloadsOf(names ?? []);
      const consensus = flags.consensus.toLowerCase();
      if (consensus !== 'pbft' && consensus !== 'noops') throw new CliError(`--consensus must be pbft or noops, got "${flags.consensus}"`);
      const given: BenchTarget[] = flags.peer.map((text, i) => {
        try {
          return parseTarget(text, i);
        } catch (error) {
          throw new CliError((error as Error).message);
        }
      });
      const minPeers = consensus === 'pbft' ? 4 : 1;
      const sizes = flags.scalability === undefined
        ? [integerFlag(flags.peers, '--peers', minPeers, BENCH_PEERS_MAX)]
        : flags.scalability.split(',').map((s) => integerFlag(s.trim(), '--scalability', minPeers, BENCH_PEERS_MAX));
      if (given.length > 0 && (flags.scalability !== undefined || flags.fault !== undefined)) throw new CliError('--scalability and --fault start their own networks; they cannot be used with --peer');
      const distribution = flags.distribution.toLowerCase();
      if (!(KEY_DISTRIBUTIONS as readonly string[]).includes(distribution)) throw new CliError(`--distribution must be ${KEY_DISTRIBUTIONS.join(' or ')}, got "${flags.distribution}"`);
      const options: WorkloadOptions = {
        seed: integerFlag(flags.seed, '--seed', 0, Number.MAX_SAFE_INTEGER),
        readRatio: numberFlag(flags.readRatio, '--read-ratio', 0, 1),
        records: integerFlag(flags.records, '--records', 1, Number.MAX_SAFE_INTEGER),
        distribution: distribution as KeyDistribution,
        valueBytes: integerFlag(flags.valueSize, '--value-size', 1, Number.MAX_SAFE_INTEGER),
        accounts: integerFlag(flags.accounts, '--accounts', 1, Number.MAX_SAFE_INTEGER),
        ioKeys: integerFlag(flags.ioKeys, '--io-keys', 1, Number.MAX_SAFE_INTEGER),
        sortSize: integerFlag(flags.sortSize, '--sort-size', 0, Number.MAX_SAFE_INTEGER),
      };
      const problems = workloadOptionProblems(options);
      if (problems.length > 0) throw new CliError(problems.join('; '));
      const durationS = numberFlag(flags.duration, '--duration', 0, DURATION_MAX_S, true);
      const plan = {
        clients: integerFlag(flags.clients, '--clients', 1, CLIENTS_MAX),
        ratePerSecond: flags.rate === undefined ? undefined : numberFlag(flags.rate, '--rate', 0, RATE_MAX, true),
        maxInFlight: flags.inFlight === undefined ? undefined : integerFlag(flags.inFlight, '--in-flight', 1, IN_FLIGHT_MAX),
        durationS,
        warmupS: numberFlag(flags.warmup, '--warmup', 0, DURATION_MAX_S),
        drainTimeoutS: numberFlag(flags.drain, '--drain', 0, DURATION_MAX_S, true),
      };
      if (plan.ratePerSecond !== undefined && plan.maxInFlight !== undefined) throw new CliError('--rate (open loop) and --in-flight (closed loop) exclude each other');
      const env = envOf(flags.env);
      const faultPeer = (peers: number): FaultPlan | undefined => {
        if (flags.fault === undefined) return undefined;
        const peer = typeof flags.fault === 'string' ? flags.fault : `vp${peers - 1}`;
        if (!/^vp\d+$/.test(peer) || Number(peer.slice(2)) >= peers) throw new CliError(`--fault: no replica ${peer} in a network of ${peers} (vp0…vp${peers - 1})`);
        if (consensus === 'pbft' && peers < 4) throw new CliError('--fault needs at least 4 PBFT peers');
        if (peers < 2) throw new CliError('--fault needs at least 2 peers (clients go to the others)');
        return { peer, stopAtS: durationS * FAULT_STOP_AT, restartAtS: durationS * FAULT_RESTART_AT };
      };
      for (const size of sizes) faultPeer(size);

      // The progress line goes straight to stderr (redrawn on a terminal); other output clears it first.
      const progress = createProgress();
      const say = (line: string): void => {
        progress.clear();
        context.io.stderr(line);
      };
      const controller = new AbortController();
      const onSignal = (): void => {
        say('Interrupted: stopping the load and the network…');
        controller.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const startedAt = new Date().toISOString();
      const runs: BenchRun[] = [];
      const scalability: ScalabilityRow[] = [];
      const runOn = async (targets: BenchTarget[], network: NetworkDescription, bench: BenchNetwork | undefined): Promise<void> => {
        for (const workload of workloads) {
          if (controller.signal.aborted) return;
          const runPlan: RunPlan = { workload, options, ...plan, fault: faultPeer(network.peers) };
          const run = await runWorkload(targets, network, runPlan, {
            log: say,
            signal: controller.signal,
            ...(bench ? { stopPeer: bench.stop, startPeer: bench.start, peerPids: bench.layout.peers.map((p) => p.pid) } : {}),
            onProgress: (phase, p) => progress.status(formatProgress(workload, phase, p, phase === 'setup' ? undefined : phase === 'warm-up' ? plan.warmupS : durationS)),
          });
          progress.clear();
          runs.push(run);
          context.io.stdout(formatRun(run).join('\n'));
          if (flags.scalability !== undefined) {
            scalability.push({ workload, peers: network.peers, f: network.f ?? null, committedPerSecond: run.result.committedPerSecond, latencyMedianMs: run.result.latencyMs.median, lost: run.result.lost });
          }
        }
      };
      try {
        if (given.length > 0) {
          await runOn(given, { peers: given.length, consensus: 'unknown', startedByBench: false }, undefined);
        } else {
          for (const peers of sizes) {
            if (controller.signal.aborted) break;
            say(`Starting ${peers} ${consensus} peers…`);
            const bench = await startBenchNetwork({ peers, consensus, env, dataDir: flags.data === undefined ? undefined : sizes.length > 1 ? `${flags.data}/${peers}` : flags.data });
            try {
              await runOn(bench.targets, { peers, consensus, f: consensus === 'pbft' ? faultsTolerated(peers) : undefined, startedByBench: true }, bench);
            } finally {
              say(`Stopping the ${peers}-peer network…`);
              await bench.down();
            }
          }
        }
      } finally {
        progress.clear();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (scalability.length > 0) context.io.stdout(formatScalability(scalability).join('\n'));
      const { VERSION } = await import('../program.ts');
      const report = buildReport({ version: VERSION, startedAt, command: ['weft', 'bench', ...process.argv.slice(3)], runs, scalability });
      const plotFile = flags.plot ?? (flags.out !== undefined ? flags.out.replace(/(\.json)?$/i, '.svg') : undefined);
      if (flags.out !== undefined) {
        await writeFile(flags.out, reportJson(report));
        context.io.stdout(`Report: ${flags.out}`);
      }
      if (plotFile !== undefined) {
        const title = `weft bench, ${startedAt.slice(0, 16).replace('T', ' ')} UTC, ${report.machine.cpus} CPUs`;
        const bars = scalability.length > 0 ? { title: 'scalability: committed tx/s by network size', yLabel: 'committed tx/s', bars: scalability.map((row) => ({ label: `${row.workload} N=${row.peers}`, value: row.committedPerSecond })) } : undefined;
        await writeFile(plotFile, renderBenchSvg(title, runs.map((run) => ({ title: `${run.workload}, ${networkLabel(run.network)}${run.fault ? `, ${run.fault.peer} stopped and restarted` : ''}`, timeline: run.result.timeline, markers: run.result.markers, elapsedSeconds: run.result.elapsedSeconds })), bars));
        context.io.stdout(`Plot: ${plotFile}`);
      }
      if (controller.signal.aborted) throw new CliError('Interrupted', 130);
      if (report.lost > 0) throw new CliError(`${report.lost} transaction${report.lost === 1 ? ' was' : 's were'} accepted but never committed or rejected`);
    });
}
