// The text of `weft bench`'s progress line while a run goes (host/progress.ts redraws it in
// place on a terminal and prints it every few seconds otherwise).
import type { DriveProgress } from './driver.ts';
import { count, ms } from './report.ts';

export function formatProgress(label: string, phase: string, p: DriveProgress, durationS: number | undefined): string {
  const clock = durationS === undefined || p.phase === 'draining' ? `${p.elapsedS.toFixed(0)} s` : `${Math.min(p.elapsedS, durationS).toFixed(0)}/${durationS} s`;
  const stage = p.phase === 'draining' ? `${phase}, draining` : phase;
  return (
    `${label} [${stage}] ${clock}  committed ${count(p.committed)} (${count(p.recentPerSecond)} tx/s, median ${ms(p.recentMedianMs)} ms)` +
    `  in flight ${count(p.inFlight)}  refused ${count(p.refused)}  rejected ${count(p.rejected)}`
  );
}
