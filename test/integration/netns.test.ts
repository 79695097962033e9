// Four PBFT peers on four hosts: each peer in its own network namespace (its own IP, linked to
// the others through a bridge), as on separate machines, configured the way a multi-machine
// network is (member list with addresses, vp0 as root node). One host is cut off the network:
// the others keep committing; when its link comes back it catches up. Needs root and `ip netns`
// (this machine and CI have both); elsewhere the test is skipped and says why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMemberList, loadOrCreatePeerIdentity } from '../../network/transport/index.ts';
import { REPO_ROOT, deployExample02, eventually, getJson, move, queryValue, txStatus } from './harness.ts';

const tag = (process.pid % 10_000).toString();
const BRIDGE = `wbr${tag}`;
const SUBNET = `10.${77 + (process.pid % 50)}.0`;
const hosts = [0, 1, 2, 3].map((i) => ({ id: `vp${i}`, ns: `weft${tag}h${i}`, veth: `wv${tag}h${i}`, ip: `${SUBNET}.${i + 1}` }));
const children: ChildProcess[] = [];
let dataDir = '';
let reason: string | undefined;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  try {
    ip('netns', 'add', `weft${tag}probe`);
    ip('netns', 'del', `weft${tag}probe`);
    return undefined;
  } catch (error) {
    return `ip netns is not available: ${(error as Error).message.split('\n')[0]}`;
  }
}

function teardown(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const host of hosts) {
    try { ip('netns', 'del', host.ns); } catch { /* already gone */ }
    try { ip('link', 'del', host.veth); } catch { /* removed with its namespace */ }
  }
  try { ip('link', 'del', BRIDGE); } catch { /* never made */ }
}

const rest = (id: string): string => `${hosts.find((h) => h.id === id)!.ip}:7050`;

before(async () => {
  reason = netnsUnavailable();
  if (reason) return;
  teardown();
  ip('link', 'add', BRIDGE, 'type', 'bridge');
  ip('addr', 'add', `${SUBNET}.254/24`, 'dev', BRIDGE);
  ip('link', 'set', BRIDGE, 'up');
  for (const host of hosts) {
    ip('netns', 'add', host.ns);
    ip('link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns);
    ip('link', 'set', host.veth, 'master', BRIDGE, 'up');
    ip('-n', host.ns, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0');
    ip('-n', host.ns, 'link', 'set', 'eth0', 'up');
    ip('-n', host.ns, 'link', 'set', 'lo', 'up');
  }
  dataDir = await mkdtemp(join(tmpdir(), 'weft-netns-'));
  const members = [];
  for (const host of hosts) {
    const identity = await loadOrCreatePeerIdentity(join(dataDir, host.id));
    members.push({ id: host.id, peerId: identity.peerId, address: `${host.ip}:7051` });
  }
  for (const host of hosts) {
    const env = {
      ...process.env,
      CORE_PEER_ID: host.id,
      CORE_PEER_FILESYSTEMPATH: join(dataDir, host.id),
      CORE_PEER_LISTENADDRESS: `${host.ip}:7051`,
      CORE_PEER_ADDRESS: `${host.ip}:7051`,
      CORE_REST_ADDRESS: `${host.ip}:7050`,
      CORE_PEER_VALIDATOR_EVENTS_ADDRESS: `${host.ip}:7053`,
      CORE_PEER_VALIDATOR_CONSENSUS_PLUGIN: 'pbft',
      CORE_PEER_DISCOVERY_ROOTNODE: host.id === 'vp0' ? '' : `${hosts[0]!.ip}:7051`,
      CORE_PEER_DISCOVERY_MEMBERS: formatMemberList(members),
      CORE_LOGGING_FORMAT: 'text',
    };
    const child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, join(REPO_ROOT, 'host', 'cli', 'main.ts'), 'node', 'start'], { env, stdio: 'ignore' });
    children.push(child);
  }
  for (const host of hosts) await eventually(() => getJson(rest(host.id), '/chain'), (r) => r.status === 200, 60_000, 200);
});

after(async () => {
  if (reason) return;
  teardown();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('four hosts: example02 over a real (namespaced) network; one host cut off, the rest commit; it catches up when its link returns', async (t) => {
  if (reason) return t.skip(reason);
  const name = await deployExample02(rest('vp0'));
  await eventually(() => Promise.all(hosts.map((h) => getJson(rest(h.id), `/transactions/${name}`))), (r) => r.every((x) => x.status === 200), 60_000, 250);

  ip('link', 'set', hosts[3]!.veth, 'down');
  const txid = await move(rest('vp1'), name, 'a', 'b', 10);
  await eventually(() => txStatus(rest('vp1'), txid), (s) => s === 'committed', 60_000, 250);
  for (const id of ['vp0', 'vp1', 'vp2']) assert.equal(await eventually(() => queryValue(rest(id), name, 'a'), (v) => v === '90'), '90', id);

  ip('link', 'set', hosts[3]!.veth, 'up');
  const next = await move(rest('vp2'), name, 'a', 'b', 10);
  await eventually(() => txStatus(rest('vp3'), next), (s) => s === 'committed', 90_000, 250);
  for (const host of hosts) assert.equal(await eventually(() => queryValue(rest(host.id), name, 'a'), (v) => v === '80'), '80', host.id);
  const chainHeads = () => Promise.all(hosts.map(async (h) => (await getJson(rest(h.id), '/chain')).json.currentBlockHash as string));
  const chains = await eventually(chainHeads, (heads) => new Set(heads).size === 1);
  assert.equal(new Set(chains).size, 1);
});
