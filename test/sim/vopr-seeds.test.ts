// The VOPR on a fixed set of seeds, as part of `npm test`: each seed draws its own world (N,
// faults, byzantine replicas, timeouts) and must keep agreement, equal checkpoints and
// at-most-once execution throughout, then converge once faults heal. The seeds that once failed
// during development stay here as regressions. `npm run sim` runs thousands of random seeds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSeed } from './simulation.ts';

/** Seeds that found bugs while the core was written (each comment: what it found). */
const REGRESSIONS = [
  7, // a byzantine primary slowing everything down: the liveness bound grows with the backlog
  11, // a new-view timer stopped by state transfer left a replica waiting for ever
  21, // a replica that changed view alone could not learn what the others committed
  39, // a replica in a view change never re-sent its own requests
  56, // replicas stranded in different views without a quorum (view-change retransmission)
  58, // executing the very seqNo a new view started from
  62, // a committed batch nobody still had: state transfer when stuck
  99, // requests left marked pending after leaving a view
  116, // a byzantine replica lying in commits: state transfer between checkpoints (status heads)
  255, // only the latest view-change per replica was kept, so a retransmitted older one was refused
  413, // a restarted replica climbing views alone with fresh timeouts
  21522, // an unanswerable fetch from an old new-view blocked every later new-view
  139241662211841, // a primary that crashed after its new-view could not give the others the quorum for that view
];
const RANGE = Array.from({ length: 100 }, (_, i) => 1_000 + i);

describe('VOPR fixed seeds', () => {
  for (const seed of [...REGRESSIONS, ...RANGE]) {
    it(`seed ${seed}`, () => {
      const result = runSeed(seed, { traceLines: 40 });
      assert.ok(
        result.ok,
        [`seed ${seed} failed in the ${result.phase} phase at tick ${result.tick}: ${result.failure}`, `world: ${result.swarm}`, ...result.replicas, ...result.traceTail, `replay: node test/sim/vopr.ts --seed ${seed} --verbose`].join('\n'),
      );
      assert.ok(result.stats.requests > 0, 'the workload submitted requests');
    });
  }
});
