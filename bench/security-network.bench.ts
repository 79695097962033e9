// Committed tx/s of a local 4-peer PBFT network with security on, as a ratio to the same network
// with security off, in the same run (goal ≥ 0.7). Security on: membership services run in this
// process, each peer enrolls as test_vpN and has one user logged in (test_userN); every invoke is
// signed with a TCert on the peer it is sent to and checked by all four before it runs. A third
// run lets one TCert sign REUSE transactions (security.tcertBatch.reuse, `--reuse N`, default 100):
// linkable transactions, each TCert checked once per validator instead of once per transaction.
// A fourth run adds privacy mode (security.privacy: every transaction encrypted to the chain key,
// opened by every validator; example02's state values encrypted).
// Load: example02 invokes over REST (JSON-RPC) on 64 lean keep-alive connections spread over the four peers, closed loop.
// Clients, the CA and all peers share this machine's cores. `--quick` sends fewer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { totalCpuSeconds } from '../host/bench/process-cpu.ts';
import { buildChaincode } from '../host/chaincode/build.ts';
import type { NetworkLayout } from '../host/launcher/network-launcher.ts';
import { startBenchNetwork } from '../host/bench/bench-network.ts';
import { Membersrvc } from '../host/membersrvc/membersrvc.ts';
import { RestClient } from '../host/rest/client.ts';
import { readReply, requestBody } from '../host/bench/driver.ts';
import { LeanHttpConnection } from '../host/bench/http-client.ts';
import { REPO_ROOT } from '../test/integration/harness.ts';
import { benchArgs } from './bench-args.ts';
import { cleanupUntilDone } from '../host/bench/cleanups.ts';

const { quick: QUICK } = benchArgs(import.meta.url, 'Committed tx/s of a local 4-peer PBFT network with security on, as a ratio to security off (goal ≥ 0.7): a fresh TCert per transaction, TCert reuse (--reuse, default 100), and privacy on.', ['--reuse']);
const TOTAL = QUICK ? 2_000 : 8_000;
const WARMUP = QUICK ? 400 : 1_000;
const CONCURRENCY = 64;
const REUSE = (() => {
  const at = process.argv.indexOf('--reuse');
  if (at < 0) return 100;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 2) throw new Error(`--reuse wants an integer ≥ 2, got ${process.argv[at + 1]}`);
  return value;
})();
const GOAL_RATIO = 0.7;
const USERS = [
  ['test_user0', 'MS9qrN8hFjlE'],
  ['test_user1', 'jGlNl6ImkuDo'],
  ['test_user2', 'zMflqOKezFiA'],
  ['test_user3', 'vWdLCE00vJy0'],
] as const;
const VALIDATORS = [
  ['test_vp0', 'MwYpmSRjupbT'],
  ['test_vp1', '5wgHK9qqYaPy'],
  ['test_vp2', 'vQelbRvja7cJ'],
  ['test_vp3', '9LKqKH5peurL'],
] as const;

interface Run {
  committed: number;
  seconds: number;
  /** CPU seconds over the run: the four peers, and this process (the clients and, with security on, membership services). */
  peerCpu: number;
  benchCpu: number;
}

function peersCpuSeconds(layout: NetworkLayout): number {
  return totalCpuSeconds(layout.peers.map((peer) => peer.pid));
}

/** Sends `total` invokes over the peers (closed loop), then waits until as many transactions are in new blocks. */
async function load(layout: NetworkLayout, name: string, total: number, secure: boolean): Promise<Run> {
  const clients = layout.peers.map((p) => new RestClient(p.restAddress));
  const startHeight = (await clients[0]!.chain()).height;
  // Lean keep-alive connections (host/bench/http-client.ts), one per worker, spread over the peers:
  // node's fetch cost ~480 µs of CPU per request here, a third of the machine, and it was the same
  // in both runs, which flattered the ratio.
  const connections = await Promise.all(Array.from({ length: CONCURRENCY }, (_, worker) => LeanHttpConnection.open(layout.peers[worker % layout.peers.length]!.restAddress)));
  let next = 0;
  let refused = 0;
  const peerCpuStart = peersCpuSeconds(layout);
  const benchCpuStart = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    connections.map(async (connection, worker) => {
      const peer = worker % layout.peers.length;
      const body = requestBody('invoke', JSON.stringify(name), ['invoke', 'a', 'b', '1'], worker, secure ? USERS[peer]![0] : undefined);
      for (;;) {
        const i = next++;
        if (i >= total) return;
        try {
          if (!readReply(await connection.post('/chaincode', body)).ok) refused++;
        } catch {
          refused++;
        }
      }
    }),
  );
  for (const connection of connections) connection.close();
  // Count transactions in the blocks committed since the start, until all accepted ones are in.
  const want = total - refused;
  let committed = 0;
  let scanned = startHeight;
  const deadline = performance.now() + 120_000;
  while (committed < want && performance.now() < deadline) {
    const height = (await clients[0]!.chain()).height;
    for (; scanned < height; scanned++) committed += ((await clients[0]!.block(scanned)).transactions as unknown[] | undefined)?.length ?? 0;
    if (committed < want) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const benchCpu = process.cpuUsage(benchCpuStart);
  return { committed, seconds: (performance.now() - started) / 1000, peerCpu: peersCpuSeconds(layout) - peerCpuStart, benchCpu: (benchCpu.user + benchCpu.system) / 1e6 };
}

async function withPbft(variant: Variant, caUrl: string | undefined, body: (layout: NetworkLayout, name: string) => Promise<void>): Promise<void> {
  const secure = variant.secure;
  const env: Record<string, string> = secure
    ? {
        CORE_SECURITY_ENABLED: 'true',
        CORE_PEER_PKI_ECA_PADDR: caUrl ?? '',
        CORE_SECURITY_TCERTBATCH_REUSE: String(variant.reuse),
        CORE_SECURITY_PRIVACY: String(variant.privacy),
      }
    : {};
  const peerEnv = secure
    ? Object.fromEntries(VALIDATORS.map(([id, secret], i) => [`vp${i}`, { CORE_SECURITY_ENROLLID: id, CORE_SECURITY_ENROLLSECRET: secret }]))
    : {};
  const network = await startBenchNetwork({ peers: 4, consensus: 'pbft', env, peerEnv });
  const layout = network.layout;
  try {
    if (secure) {
      for (const [i, peer] of layout.peers.entries()) {
        const [user, secret] = USERS[i]!;
        const answer = await fetch(`${new RestClient(peer.restAddress).baseUrl}/registrar`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ enrollId: user, enrollSecret: secret }),
        });
        if (answer.status !== 200) throw new Error(`login of ${user} on ${peer.id} failed: ${await answer.text()}`);
      }
    }
    const { wasm } = await buildChaincode(join(REPO_ROOT, 'chaincode', 'chaincode_example02'));
    const vp0 = new RestClient(layout.peers[0]!.restAddress);
    const name = await vp0.chaincode('deploy', {
      type: 1,
      chaincodeID: { path: 'chaincode/chaincode_example02' },
      ctorMsg: { args: ['init', 'a', '100000000', 'b', '0'] },
      codePackage: Buffer.from(wasm).toString('base64'),
      ...(secure ? { secureContext: USERS[0][0] } : {}),
    });
    const status = await vp0.waitForTransaction(name, 60_000);
    if (status.status !== 'committed') throw new Error(`deploy did not commit: ${JSON.stringify(status)}`);
    await body(layout, name);
  } finally {
    await network.down();
  }
}

interface Variant {
  label: string;
  secure: boolean;
  reuse: number;
  privacy: boolean;
}
const VARIANTS: Variant[] = [
  { label: 'security off', secure: false, reuse: 1, privacy: false },
  { label: 'security on ', secure: true, reuse: 1, privacy: false },
  { label: `security on, TCert reuse ${REUSE}`, secure: true, reuse: REUSE, privacy: false },
  { label: 'security and privacy on', secure: true, reuse: 1, privacy: true },
];
const results = new Map<string, Run>();
for (const variant of VARIANTS) {
  // Each secure run has membership services of its own: enrollment secrets are single-use.
  const caDir = await mkdtemp(join(tmpdir(), 'weft-secnet-ca-'));
  const caDone = cleanupUntilDone(() => rm(caDir, { recursive: true, force: true }));
  const ca = variant.secure ? await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(caDir, 'store') }) : undefined;
  try {
    await withPbft(variant, ca?.url, async (layout, name) => {
      await load(layout, name, WARMUP, variant.secure);
      const run = await load(layout, name, TOTAL, variant.secure);
      results.set(variant.label, run);
      const perTx = (cpu: number): string => ((cpu * 1e6) / Math.max(1, run.committed)).toFixed(0);
      console.log(
        `${variant.label}: ${run.committed}/${TOTAL} committed in ${run.seconds.toFixed(2)} s = ${(run.committed / run.seconds).toFixed(0)} tx/s (4 peers, PBFT, ${CONCURRENCY} in flight); ` +
          `CPU per tx: peers ${perTx(run.peerCpu)} µs, clients${variant.secure ? ' + CA' : ''} ${perTx(run.benchCpu)} µs`,
      );
    });
  } finally {
    await ca?.stop();
    caDone();
    await rm(caDir, { recursive: true, force: true });
  }
}
const rate = (run: Run): number => run.committed / run.seconds;
const off = rate(results.get(VARIANTS[0]!.label)!);
const ratio = rate(results.get(VARIANTS[1]!.label)!) / off;
const reuseRatio = rate(results.get(VARIANTS[2]!.label)!) / off;
const privacyRatio = rate(results.get(VARIANTS[3]!.label)!) / off;
console.log(`ratio on/off: ${ratio.toFixed(2)} (goal ≥ ${GOAL_RATIO}: ${ratio >= GOAL_RATIO ? 'met' : 'missed'}) — a fresh TCert per transaction, the default`);
console.log(`ratio on/off with TCert reuse ${REUSE}: ${reuseRatio.toFixed(2)} (${reuseRatio >= GOAL_RATIO ? 'meets' : 'misses'} the goal; transactions signed by one TCert are linkable)`);
console.log(`ratio (security and privacy on)/off: ${privacyRatio.toFixed(2)} (no goal: the issue's goal is for security alone)`);
