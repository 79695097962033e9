// `npm run bench`: runs every bench/*.bench.ts one after another, each in its own process (so one
// does not warm or load the next), streams what each prints between a numbered header and a line
// with its time and the run's (plain lines: the benches' own output shares the terminal), and
// ends with a one-line summary per bench. `npm run bench -- runtime peer` runs only those whose file name contains a word;
// `--quick` is passed through to each bench for a shorter run.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const words = args.filter((a) => !a.startsWith('--'));
const allBenches = readdirSync(here).filter((file) => file.endsWith('.bench.ts')).sort();
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    [
      'Usage: npm run bench [-- [name ...] [--quick]]',
      '',
      'Runs every bench/*.bench.ts one after another, each in its own process; with names, only the',
      'benches whose file name contains one of them. --quick is passed to each bench for a shorter run.',
      '',
      `Benches: ${allBenches.map((file) => file.replace('.bench.ts', '')).join(', ')}`,
      '',
    ].join('\n'),
  );
  process.exit(0);
}
const unknownFlags = flags.filter((flag) => flag !== '--quick');
if (unknownFlags.length > 0) {
  process.stderr.write(`Unknown option ${unknownFlags.join(', ')}; see npm run bench -- --help\n`);
  process.exit(1);
}
const benches = allBenches
  .filter((file) => words.length === 0 || words.some((word) => file.includes(word)));

if (benches.length === 0) {
  process.stderr.write(`No bench matches ${words.join(', ')}; benches are: ${allBenches.join(', ')}\n`);
  process.exit(1);
}

const results: Array<{ bench: string; code: number; seconds: number }> = [];
const runStarted = performance.now();
for (const [index, bench] of benches.entries()) {
  const step = `[${index + 1}/${benches.length}]`;
  process.stdout.write(`\n=== ${step} ${bench} ${'='.repeat(Math.max(0, 66 - bench.length - step.length))}\n`);
  const started = performance.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [join(here, bench), ...flags], { stdio: 'inherit' });
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  const seconds = (performance.now() - started) / 1000;
  results.push({ bench, code, seconds });
  const left = benches.length - index - 1;
  process.stdout.write(
    `--- ${step} ${bench} ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${seconds.toFixed(1)} s; ${((performance.now() - runStarted) / 1000).toFixed(1)} s so far${left > 0 ? `, ${left} to go` : ''}\n`,
  );
}

process.stdout.write('\n=== summary\n');
for (const { bench, code, seconds } of results) process.stdout.write(`${code === 0 ? 'ok  ' : 'FAIL'} ${bench} (${seconds.toFixed(1)} s)\n`);
process.exitCode = results.some((r) => r.code !== 0) ? 1 : 0;
