// The VOPR for weft's PBFT: runs random seeds (or replays one) of the deterministic simulator
// and stops at the first failure with the seed, the phase, the trace tail and the replay command.
//
//   node test/sim/vopr.ts                 2000 random seeds (about 6 minutes on 2 cores)
//   node test/sim/vopr.ts --seeds 5000    5000 random seeds
//   node test/sim/vopr.ts --seed 1234     replay one seed (add --verbose for the whole trace)
import { parseArgs } from 'node:util';
import { randomInt } from 'node:crypto';
import { runSeed, type RunResult } from './simulation.ts';

const USAGE = `Usage: npm run sim -- [--seeds N | --seed S [--verbose] [--debug]] [--trace LINES]

The VOPR: runs the deterministic PBFT simulator on random seeds (random faults: loss, delay,
duplication, partitions, crashes, byzantine replicas), checks safety and liveness, and stops at
the first failure with its seed, trace tail and replay command.

  --seeds N      random seeds to run (default 2000, about 6 minutes on 2 cores)
  --seed S       replay one seed
  --verbose      with --seed: print the whole trace
  --debug        with --seed: trace every message and debug note
  --trace LINES  trace lines shown with a failure (default 60)
  -h, --help     this text`;

let parsed;
try {
  parsed = parseArgs({
    options: {
      seeds: { type: 'string', default: '2000' },
      seed: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
      trace: { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
for (const [name, value] of [['seeds', values.seeds], ['seed', values.seed], ['trace', values.trace]] as const) {
  if (value !== undefined && !/^\d+$/.test(value)) {
    console.error(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}\n\n${USAGE}`);
    process.exit(2);
  }
}

function report(r: RunResult): void {
  console.log(`\nFAILED seed=${r.seed} phase=${r.phase} tick=${r.tick}`);
  console.log(`world: ${r.swarm}`);
  console.log(`failure: ${r.failure}`);
  console.log(`stats: ${JSON.stringify(r.stats)}`);
  console.log('replicas at the end:');
  for (const line of r.replicas) console.log(`  ${line}`);
  console.log('trace tail (tick replica event detail):');
  for (const line of r.traceTail) console.log(`  ${line}`);
  console.log(`\nreplay: node test/sim/vopr.ts --seed ${r.seed} --verbose`);
}

const traceLines = Number(values.trace);
if (values.seed !== undefined) {
  const seed = Number(values.seed);
  const r = runSeed(seed, { verbose: values.verbose, debug: values.debug, traceLines });
  if (!r.ok) {
    report(r);
    process.exit(1);
  }
  console.log(`SEED=${seed} ok: ${r.swarm}`);
  console.log(`stats: ${JSON.stringify(r.stats)} ticks=${r.tick}`);
} else {
  const count = Number(values.seeds);
  const first = randomInt(0, 2 ** 47);
  console.log(`running ${count} seeds from ${first}`);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const seed = first + i;
    const r = runSeed(seed, { traceLines });
    if (!r.ok) {
      report(r);
      process.exit(1);
    }
    if ((i + 1) % 50 === 0 || i + 1 === count) {
      const seconds = (performance.now() - started) / 1000;
      console.log(`${i + 1}/${count} seeds ok (${seconds.toFixed(1)} s, ${((seconds * 1000) / (i + 1)).toFixed(0)} ms/seed)`);
    }
  }
}
