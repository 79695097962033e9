// Four real PBFT peers (N=4, f=1), each its own process with its own LevelDB, over libp2p:
// chaincode_example02 gives the same answers on all four; a stopped backup does not stop the
// network; with two stopped nothing commits, and the accepted request executes once one returns;
// a restarted peer catches up; the primary stopped means a view change and progress through
// another peer, and the old primary, back, catches up on a quiet network. Fabric's own defaults
// (request timeout 2 s, view-change timeout 2 s).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPeer, stopPeer } from '../../host/launcher/network-launcher.ts';
import { deployExample02, eventually, getJson, move, peerLogTail, queryValue, startNetwork, txStatus, type TestNetwork } from './harness.ts';

let network: TestNetwork;
let name = '';
const rest = (id: string): string => network.layout.peers.find((p) => p.id === id)!.restAddress;
const ids = (...list: string[]) => list;

async function answersOf(peers: string[], key: string): Promise<string[]> {
  return Promise.all(peers.map((id) => queryValue(rest(id), name, key)));
}

/** Waits until every listed peer answers `expected` for the key. */
async function allAnswer(peers: string[], key: string, expected: string, timeoutMs = 60_000): Promise<void> {
  const answers = await eventually(() => answersOf(peers, key), (values) => values.every((v) => v === expected), timeoutMs, 250);
  const lagging = peers.filter((_, i) => answers[i] !== expected);
  const logs = lagging.length === 0 ? [] : await Promise.all(lagging.map((id) => peerLogTail(network, id)));
  assert.deepEqual(answers, peers.map(() => expected), [`${key} on ${peers.join(', ')}`, ...logs].join('\n'));
}

async function heads(peers: string[]): Promise<string[]> {
  return Promise.all(peers.map(async (id) => {
    const chain = (await getJson(rest(id), '/chain')).json;
    return `${chain.height}:${chain.currentBlockHash}`;
  }));
}

async function primary(id: string): Promise<string> {
  return (await getJson(rest(id), '/weft/status')).json.consensus.primary as string;
}

before(async () => {
  network = await startNetwork({ peers: 4, consensus: 'pbft' });
  name = await deployExample02(rest('vp0'));
});

after(async () => {
  await network?.down();
});

test('deployed through vp0 and moved through vp1: a=90, b=210 on all four, with one chain', async () => {
  const txid = await move(rest('vp1'), name, 'a', 'b', 10);
  await eventually(() => txStatus(rest('vp1'), txid), (s) => s === 'committed');
  await allAnswer(ids('vp0', 'vp1', 'vp2', 'vp3'), 'a', '90');
  await allAnswer(ids('vp0', 'vp1', 'vp2', 'vp3'), 'b', '210');
  const chains = await eventually(() => heads(ids('vp0', 'vp1', 'vp2', 'vp3')), (h) => new Set(h).size === 1);
  assert.equal(new Set(chains).size, 1, `one chain: ${chains.join(' | ')}`);
  const peers = (await getJson(rest('vp0'), '/network/peers')).json.peers as Array<{ ID: { name: string }; type: number }>;
  assert.deepEqual(peers.map((p) => p.ID.name).sort(), ['vp0', 'vp1', 'vp2', 'vp3']);
  assert.ok(peers.every((p) => p.type === 1));
});

test('a stopped backup (vp3): the other three keep committing', async () => {
  await stopPeer(network.dataDir, 'vp3');
  const txid = await move(rest('vp0'), name, 'a', 'b', 10);
  await eventually(() => txStatus(rest('vp0'), txid), (s) => s === 'committed', 30_000);
  await allAnswer(ids('vp0', 'vp1', 'vp2'), 'a', '80');
});

test('two stopped (vp2, vp3): no commit; the accepted request executes once vp2 returns', async () => {
  await stopPeer(network.dataDir, 'vp2');
  const txid = await move(rest('vp0'), name, 'a', 'b', 10);
  // With two of four down there is no quorum: give it well past the request and view-change timeouts.
  await new Promise((r) => setTimeout(r, 6_000));
  assert.equal(await txStatus(rest('vp0'), txid), 'unknown', 'nothing commits without a quorum');
  assert.equal(await queryValue(rest('vp1'), name, 'a'), '80');
  await startPeer(network.dataDir, 'vp2');
  await eventually(() => txStatus(rest('vp0'), txid), (s) => s === 'committed', 60_000, 250);
  await allAnswer(ids('vp0', 'vp1', 'vp2'), 'a', '70');
});

test('a restarted peer (vp3) catches up with what it missed', async () => {
  await startPeer(network.dataDir, 'vp3');
  // New traffic shows vp3 it is behind.
  const txid = await move(rest('vp1'), name, 'a', 'b', 10);
  await eventually(() => txStatus(rest('vp1'), txid), (s) => s === 'committed', 30_000);
  await allAnswer(ids('vp0', 'vp1', 'vp2', 'vp3'), 'a', '60');
  const chains = await eventually(() => heads(ids('vp0', 'vp1', 'vp2', 'vp3')), (h) => new Set(h).size === 1);
  assert.equal(new Set(chains).size, 1, `one chain: ${chains.join(' | ')}`);
});

test('the primary stopped: a view change, and progress through another peer', async () => {
  const before = await primary('vp1');
  const others = ids('vp0', 'vp1', 'vp2', 'vp3').filter((id) => id !== before);
  await stopPeer(network.dataDir, before);
  const txid = await move(rest(others[0]!), name, 'a', 'b', 10);
  await eventually(() => txStatus(rest(others[0]!), txid), (s) => s === 'committed', 60_000, 250);
  await allAnswer(others, 'a', '50');
  const after = await primary(others[0]!);
  assert.notEqual(after, before, 'a new primary leads');
  await startPeer(network.dataDir, before);
  // With no new request, the returned replica still learns the new view and the block it missed
  // (the others greet it with their status when it reconnects).
  const settled = await eventually(
    async () => ({ heads: await heads(ids('vp0', 'vp1', 'vp2', 'vp3')), primary: await primary(before) }),
    (s) => new Set(s.heads).size === 1 && s.primary === after,
    30_000,
    250,
  );
  assert.deepEqual([new Set(settled.heads).size, settled.primary], [1, after], `quiet catch-up: ${JSON.stringify(settled)}\n${await peerLogTail(network, before)}`);
  assert.equal(await queryValue(rest(before), name, 'a'), '50');
  const next = await move(rest(others[1]!), name, 'a', 'b', 10);
  await eventually(() => txStatus(rest(others[1]!), next), (s) => s === 'committed', 30_000);
  await allAnswer(ids('vp0', 'vp1', 'vp2', 'vp3'), 'a', '40');
});
