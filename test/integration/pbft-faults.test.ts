// Four real PBFT peers with faults: a Byzantine replica (Fabric's byzantine flag on vp1: about a
// third of its broadcasts skip a replica) does not stop progress; a replica killed with SIGKILL
// under load loses none of the transactions it had committed, and catches up with the rest.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventClient } from '../../host/events/event-client.ts';
import { EventType } from '../../host/events/interests.ts';
import { networkStatus, startPeer } from '../../host/launcher/network-launcher.ts';
import { deployExample02, eventually, getJson, move, startNetwork, txStatus, type TestNetwork } from './harness.ts';

let network: TestNetwork;
let name = '';
const ALL = ['vp0', 'vp1', 'vp2', 'vp3'];
const peerOf = (id: string) => network.layout.peers.find((p) => p.id === id)!;
const rest = (id: string): string => peerOf(id).restAddress;

async function heads(peers: string[]): Promise<string[]> {
  return Promise.all(peers.map(async (id) => {
    const chain = (await getJson(rest(id), '/chain')).json;
    return `${chain.height}:${chain.currentBlockHash}`;
  }));
}

async function sameChainEverywhere(): Promise<void> {
  const chains = await eventually(() => heads(ALL), (h) => new Set(h).size === 1, 60_000, 250);
  assert.equal(new Set(chains).size, 1, `one chain: ${chains.join(' | ')}`);
}

before(async () => {
  network = await startNetwork({ peers: 4, consensus: 'pbft', peerEnv: { vp1: { CORE_PBFT_GENERAL_BYZANTINE: 'true' } } });
  name = await deployExample02(rest('vp0'));
  await eventually(() => Promise.all(ALL.map((id) => getJson(rest(id), `/transactions/${name}`))), (r) => r.every((x) => x.status === 200));
});

after(async () => {
  await network?.down();
});

test('a Byzantine replica (vp1) does not stop progress: transactions through every peer commit on all four', async () => {
  const txids: string[] = [];
  for (let i = 0; i < 12; i++) txids.push(await move(rest(ALL[i % 4]!), name, 'a', 'b', 1));
  for (const txid of txids) await eventually(() => txStatus(rest('vp0'), txid), (s) => s === 'committed', 60_000, 200);
  await sameChainEverywhere();
  for (const id of ALL) assert.equal((await getJson(rest(id), `/transactions/${txids[11]}`)).status, 200, id);
});

test('kill -9 under load: the killed replica keeps every transaction it had committed and catches up', async () => {
  const committedByVictim = new Set<string>();
  const victim = await EventClient.connect({
    address: peerOf('vp3').eventsAddress,
    interests: [{ eventType: EventType.BLOCK }],
    onEvent: (event) => {
      if ('block' in event) for (const tx of (event.block.transactions as Array<{ txid: string }> | undefined) ?? []) committedByVictim.add(tx.txid);
    },
    onDisconnect: () => {},
  });
  const submitted: string[] = [];
  let killed = false;
  const started = Date.now();
  // Bounded load: ~8 s at ~60 tx/s through the three surviving peers.
  while (Date.now() - started < 8_000) {
    const batch = await Promise.all([0, 1, 2].map((i) => move(rest(ALL[i]!), name, 'b', 'a', 1)));
    submitted.push(...batch);
    if (!killed && Date.now() - started > 3_000) {
      const pid = (await networkStatus(network.dataDir)).find((p) => p.id === 'vp3')?.pid;
      assert.ok(pid, 'vp3 is running');
      process.kill(pid, 'SIGKILL');
      killed = true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await victim.close().catch(() => undefined);
  assert.ok(committedByVictim.size > 0, 'vp3 committed transactions before it was killed');
  for (const txid of submitted) await eventually(() => txStatus(rest('vp0'), txid), (s) => s === 'committed', 60_000, 200);

  await startPeer(network.dataDir, 'vp3');
  for (const txid of committedByVictim) {
    assert.equal((await getJson(rest('vp3'), `/transactions/${txid}`)).status, 200, `vp3 kept ${txid} across kill -9`);
  }
  // One more transaction shows vp3 how far behind it is; then it holds everything.
  const last = await move(rest('vp0'), name, 'a', 'b', 1);
  await eventually(() => txStatus(rest('vp3'), last), (s) => s === 'committed', 60_000, 250);
  await sameChainEverywhere();
  for (const txid of submitted) assert.equal((await getJson(rest('vp3'), `/transactions/${txid}`)).status, 200, `vp3 has ${txid}`);
});
