// CPU time of the peer processes a bench started, to express a run's cost as CPU per committed
// transaction (steadier than tx/s on a shared machine), and how busy the whole machine was: at
// this project's goal rates the four peers and the clients share two cores, so latency is
// queueing for the CPU, and a run on a shared virtual machine can lose cores to its neighbours
// (the hypervisor's "steal"). Linux only (/proc); NaN or undefined elsewhere.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far; NaN if it cannot be read. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    // After the command name (which may hold spaces and parentheses) utime and stime are the 12th and 13th fields.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Summed CPU seconds of several processes (NaN if any cannot be read). */
export function totalCpuSeconds(pids: ReadonlyArray<number | undefined>): number {
  let sum = 0;
  for (const pid of pids) sum += processCpuSeconds(pid);
  return sum;
}

/** Cumulative CPU time of the whole machine, in clock ticks (/proc/stat's first line). */
export interface MachineCpuTimes {
  /** user, nice, system, irq and softirq: time spent running anything. */
  busy: number;
  /** idle and iowait. */
  idle: number;
  /** Time the hypervisor gave this machine's virtual CPUs to someone else. */
  steal: number;
  /** CPUs (the /proc/stat lines cpu0, cpu1, …). */
  cores: number;
}

/** How busy the machine was between two readings. */
export interface MachineLoad {
  /** Fraction of all cores' time spent running anything, 0…1. */
  busy: number;
  /** Fraction of all cores' time taken by the hypervisor for other machines, 0…1. */
  stolen: number;
  cores: number;
}

/** Reads /proc/stat's text (exported for the tests); undefined if it does not look like one. */
export function parseProcStat(text: string): MachineCpuTimes | undefined {
  const lines = text.split('\n');
  const total = lines[0]?.match(/^cpu\s+(.*)$/);
  if (!total) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
  const f = total[1]!.trim().split(/\s+/).map(Number);
  if (f.length < 8 || f.slice(0, 8).some((n) => !Number.isFinite(n))) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  const cores = lines.filter((line) => /^cpu\d+\s/.test(line)).length;
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal, cores: Math.max(cores, 1) };
}

/** The machine's CPU times now; undefined where /proc/stat cannot be read. */
export function machineCpuTimes(): MachineCpuTimes | undefined {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** The machine's load between two readings; undefined if either is missing or no time passed. */
export function machineLoad(before: MachineCpuTimes | undefined, after: MachineCpuTimes | undefined): MachineLoad | undefined {
  if (before === undefined || after === undefined) return undefined;
  const busy = after.busy - before.busy;
  const steal = after.steal - before.steal;
  const all = busy + steal + (after.idle - before.idle);
  if (!(all > 0) || busy < 0 || steal < 0) return undefined;
  return { busy: busy / all, stolen: steal / all, cores: after.cores };
}
