// CPU time of the peer processes a bench started, to express a run's cost as CPU per committed
// transaction (steadier than tx/s on a shared machine). Linux only (/proc); NaN elsewhere.
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
