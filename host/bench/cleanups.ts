// What a bench must undo when it is interrupted: the networks it started and their temporary
// directories. Peers tied to the bench stop by themselves once it is gone (launcher/owner-watch.ts),
// but only the bench knows which directories are its own. `weft bench` stops its networks
// through its own Ctrl-C handling. A standalone bench (bench/*.bench.ts) calls
// cleanUpOnInterrupt, so Ctrl-C runs these cleanups before it exits.

const pending = new Set<() => Promise<void>>();

/** Registers a cleanup until the work it undoes is over; call the returned function then. */
export function cleanupUntilDone(cleanup: () => Promise<void>): () => void {
  pending.add(cleanup);
  return () => void pending.delete(cleanup);
}

/** Runs every registered cleanup at once and waits for all of them, or at most `timeoutMs`. */
export async function runPendingCleanups(timeoutMs: number): Promise<void> {
  const all = [...pending];
  pending.clear();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([Promise.allSettled(all.map((cleanup) => cleanup())), deadline]);
  clearTimeout(timer);
}

/** Stopping a network takes up to ~30 s per peer that will not stop (SIGTERM, then SIGKILL). */
const CLEANUP_TIMEOUT_MS = 40_000;

let installed = false;

/** On SIGINT or SIGTERM: say so, run the pending cleanups, exit 130. A second signal exits at once. */
export function cleanUpOnInterrupt(say: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  if (installed) return;
  installed = true;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say(`${signal}: stopping the networks this bench started (again to exit at once)…`);
    // The interrupted work fails as its network goes away under it: that is expected now, and
    // must neither end the process before the cleanups are done nor pass for the run's outcome.
    let reported = false;
    process.on('uncaughtException', (error) => {
      if (reported) return;
      reported = true;
      say(`(the interrupted run stopped with: ${error instanceof Error ? error.message : String(error)})`);
    });
    void runPendingCleanups(CLEANUP_TIMEOUT_MS).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
