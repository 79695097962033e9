// Single-peer throughput (standalone: node bench/peer.bench.ts [--quick]): one real peer process
// (noops, blocks of 500, 100 ms wait) with chaincode_example02 deployed; a pool of keep-alive HTTP
// connections sends example02 invokes over REST as fast as they are answered; a transaction
// counts when its block reaches the event hub. Printed: committed transactions per second,
// latency, and the baseline measured in the same run: GET /chain requests per second on the
// same peer (what the HTTP stack alone can do), with the ratio.
// Goal (issue #2): ≥ 5,000 committed tx/s. Client and peer share this machine's cores.
import { runExample02Deploy, withNetwork } from './network-harness.ts';
import { httpCeiling, percentile, runInvokeLoad } from './load.ts';
import { benchArgs } from './bench-args.ts';

const { quick: QUICK } = benchArgs(import.meta.url, 'One real peer process (noops): committed tx/s over REST.');
const TOTAL = QUICK ? 10_000 : 40_000;
const CONCURRENCY = 64;
const GOAL_TPS = 5_000;

await withNetwork({ peers: 1, consensus: 'noops', env: { CORE_NOOPS_BLOCK_WAIT: '100ms' } }, async (layout) => {
  const peer = layout.peers[0]!;
  const name = await runExample02Deploy(peer.restAddress);
  const target = { rest: peer.restAddress, events: peer.eventsAddress };
  // Warm the peer (JIT, instance pool) before measuring.
  await runInvokeLoad({ targets: [target], chaincodeName: name, total: 2_000, concurrency: CONCURRENCY });
  const ceiling = await httpCeiling(peer.restAddress, CONCURRENCY, QUICK ? 1_500 : 3_000);
  const result = await runInvokeLoad({ targets: [target], chaincodeName: name, total: TOTAL, concurrency: CONCURRENCY });
  const tps = result.committedPerSecond;
  console.log('single peer, noops, example02 invokes over REST');
  console.log(`  transactions sent            ${result.submitted} (${result.refused} refused)`);
  console.log(`  committed                    ${result.committed} in ${(result.elapsedMs / 1000).toFixed(2)} s`);
  console.log(`  committed tx/s               ${tps.toFixed(0)}   (goal ≥ ${GOAL_TPS}: ${tps >= GOAL_TPS ? 'met' : 'missed'})`);
  console.log(`  latency median / p99         ${percentile(result.latenciesMs, 50).toFixed(1)} / ${percentile(result.latenciesMs, 99).toFixed(1)} ms (closed loop, ${CONCURRENCY} in flight)`);
  console.log(`  baseline: GET /chain req/s   ${ceiling.toFixed(0)}`);
  console.log(`  ratio committed tx / GET     ${(tps / ceiling).toFixed(2)}`);
});
