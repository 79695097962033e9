// A peer started for a bench or a test stops by itself once the process that started it is gone.
//
// The launcher starts peers detached, so that `weft network up` can return and leave the network
// running. A bench or a test that starts a network for itself, though, could die without stopping
// it (Ctrl-C, a crash, its output pipe closed). Its peers would then run on, holding ports and
// cores, and the next run would meet them. Such a launcher passes its own pid in WEFT_OWNER_PID,
// and the peer polls that pid. The pid is given at spawn time and never written into the
// network's layout, so a network resumed later with `weft network up` is tied to nothing.
import { processExists } from '../process-exists.ts';

/** Environment variable naming the process a peer belongs to. */
export const OWNER_PID_ENV = 'WEFT_OWNER_PID';

/** How often a peer looks for its owner: a dead owner's peers are gone within about this. */
export const OWNER_POLL_MS = 1_000;

/** The owner pid in an environment; undefined when unset. Throws on a value that is not a pid. */
export function ownerPidFrom(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env[OWNER_PID_ENV];
  if (raw === undefined || raw === '') return undefined;
  const pid = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(pid) || pid < 1) throw new Error(`${OWNER_PID_ENV} must be a process id (a positive integer), got ${JSON.stringify(raw)}`);
  return pid;
}

/**
 * Calls `onGone` once, when the process `pid` no longer exists (checked every `intervalMs`).
 * Returns a function that stops watching. The timer does not keep the process alive.
 */
export function watchOwner(pid: number, onGone: () => void, intervalMs = OWNER_POLL_MS): () => void {
  const timer = setInterval(() => {
    if (processExists(pid)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
