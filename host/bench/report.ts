// The report of `weft bench`: what ran where (machine, network, options), every run's figures
// (committed tx/s, latency median / p95 / p99, rejected and lost transactions, the timeline),
// the scalability table; as JSON for tools and as lines for a person.
import { availableParallelism, cpus, totalmem } from 'node:os';
import type { BenchRun } from './runner.ts';

export interface ScalabilityRow {
  workload: string;
  peers: number;
  f: number | null;
  committedPerSecond: number;
  latencyMedianMs: number;
  lost: number;
}

export interface BenchReport {
  tool: 'weft bench';
  version: string;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  command: string[];
  runs: BenchRun[];
  scalability: ScalabilityRow[];
  /** Total lost over all runs: must be 0 unless a peer was stopped without its clients moving. */
  lost: number;
}

export function machineDescription(): BenchReport['machine'] {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export function buildReport(parts: { version: string; startedAt: string; command: string[]; runs: BenchRun[]; scalability: ScalabilityRow[] }): BenchReport {
  return {
    tool: 'weft bench',
    version: parts.version,
    startedAt: parts.startedAt,
    finishedAt: new Date().toISOString(),
    machine: machineDescription(),
    command: parts.command,
    runs: parts.runs,
    scalability: parts.scalability,
    lost: parts.runs.reduce((sum, run) => sum + run.result.lost, 0),
  };
}

/** JSON with NaN and infinities as null (JSON has no NaN). */
export function reportJson(report: BenchReport): string {
  return `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}

/** An integer with thousands separators, or n/a. */
export function count(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

/** Milliseconds with one decimal below 100, none above, or n/a. */
export function ms(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n < 100 ? n.toFixed(1) : Math.round(n).toString();
}

/** Steal below this share of the machine is not worth a word (a quiet cloud machine shows a little). */
export const STOLEN_SHOWN_FROM = 0.005;

/** A fraction as a whole percentage. */
export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}

function messages(counts: Record<string, number>): string[] {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([message, n]) => `      ${count(n)} × ${message}`);
}

/** "4 pbft peers (f = 1)" for a network the bench started, "2 given peers" for --peer targets. */
export function networkLabel(net: BenchRun['network']): string {
  const plural = net.peers === 1 ? '' : 's';
  if (!net.startedByBench) return `${net.peers} given peer${plural}`;
  return `${net.peers} ${net.consensus} peer${plural}${net.f !== undefined ? ` (f = ${net.f})` : ''}`;
}

/** A person's summary of one run. */
export function formatRun(run: BenchRun): string[] {
  const r = run.result;
  const net = run.network;
  const load =
    run.plan.ratePerSecond !== null
      ? `open loop at ${count(run.plan.ratePerSecond)} tx/s, ${run.plan.clients} clients`
      : run.plan.maxInFlight !== null
        ? `closed loop, ${count(run.plan.maxInFlight)} in flight, ${run.plan.clients} clients`
        : `closed loop, ${run.plan.clients} clients`;
  const lines = [
    `${run.workload} — ${networkLabel(net)}, ${load}, ${run.plan.durationS} s`,
    `  committed tx/s        ${count(r.committedPerSecond)}   (${count(r.committed)} committed in ${r.elapsedSeconds.toFixed(1)} s; sent ${count(r.sentPerSecond)} tx/s)`,
    `  latency ms            median ${ms(r.latencyMs.median)}   p95 ${ms(r.latencyMs.p95)}   p99 ${ms(r.latencyMs.p99)}   max ${ms(r.latencyMs.max)}`,
    `  transactions          sent ${count(r.sent)}   accepted ${count(r.accepted)}   refused ${count(r.refused)}   rejected ${count(r.rejected)}   lost ${count(r.lost)}`,
  ];
  const peersCpu = run.cpu.peersMicrosPerTx === null ? '' : `, peers ${count(run.cpu.peersMicrosPerTx)} µs (all ${net.peers} together)`;
  lines.push(`  CPU per committed tx  client ${count(run.cpu.clientMicrosPerTx)} µs${peersCpu}`);
  const machine = run.cpu.machine;
  if (machine) {
    const stolen = machine.stolen >= STOLEN_SHOWN_FROM ? `; ${percent(machine.stolen)} taken by the hypervisor for other machines` : '';
    lines.push(`  machine               ${percent(machine.busy)} busy over its ${machine.cores} cores while measuring${stolen}`);
  }
  if (run.batches.length > 0) {
    const each = run.batches.map((b) => `${b.peer} ${count(b.batches)} (${ms(b.orderingMs)} + ${ms(b.executionMs)})`);
    lines.push(`  PBFT batches          count (mean ordering + execution ms): ${each.join('   ')}`);
  }
  if (r.queries.sent > 0) {
    lines.push(`  queries               ${count(r.queries.answered)} answered (${count(r.queries.answeredPerSecond)}/s), ${count(r.queries.failed)} failed; latency median ${ms(r.queries.latencyMs.median)}   p95 ${ms(r.queries.latencyMs.p95)}   p99 ${ms(r.queries.latencyMs.p99)}`);
  }
  if (run.setup.operations > 0) lines.push(`  set-up                ${count(run.setup.committed)}/${count(run.setup.operations)} committed in ${run.setup.seconds.toFixed(1)} s (lost ${count(run.setup.lost)})`);
  if (r.refused > 0) lines.push('    refused:', ...messages(r.refusals));
  if (r.rejected > 0) lines.push('    rejected:', ...messages(r.rejections));
  if (r.queries.failed > 0) lines.push('    failed queries:', ...messages(r.queries.errors));
  if (run.fault) {
    const f = run.fault;
    lines.push(
      `  fault: ${f.peer} stopped at ${f.stoppedAtS.toFixed(1)} s, back at ${f.restartedAtS.toFixed(1)} s`,
      `    committed tx/s       before ${count(f.beforePerSecond)}   while stopped ${count(f.duringPerSecond)}   after ${count(f.afterPerSecond)}   (while stopped / before = ${Number.isFinite(f.ratio) ? `${Math.round(f.ratio * 100)} %` : 'n/a'})`,
    );
  }
  for (const d of r.disconnected) lines.push(`  warning: the event hub of ${d.target} went away (${d.reason}); its transactions could not be followed`);
  if (r.stalled) lines.push('  warning: nothing committed for the drain timeout with transactions outstanding; the run was cut short');
  if (r.aborted) lines.push('  warning: interrupted; figures are partial');
  return lines;
}

export function formatScalability(rows: readonly ScalabilityRow[]): string[] {
  if (rows.length === 0) return [];
  return [
    'scalability',
    '  workload    peers  f   committed tx/s  latency median ms  lost',
    ...rows.map((row) => `  ${row.workload.padEnd(10)}  ${String(row.peers).padStart(5)}  ${String(row.f ?? '-').padStart(1)}   ${count(row.committedPerSecond).padStart(14)}  ${ms(row.latencyMedianMs).padStart(17)}  ${count(row.lost).padStart(4)}`),
  ];
}
