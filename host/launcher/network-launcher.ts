// Runs a local network: N peers (vp0…vpN-1) as separate `weft node start` processes on 127.0.0.1,
// each with its own data directory, ports and log file — Fabric's `docker-compose up` without
// Docker. The layout is written to <data>/network.json so `weft network stop|start|down` and
// other tools can find the peers; starting again resumes every peer from its data on disk.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMemberList, loadOrCreatePeerIdentity } from '../../network/transport/index.ts';
import { RestClient } from '../rest/client.ts';
import { processExists } from '../process-exists.ts';
import { OWNER_PID_ENV } from './owner-watch.ts';

export const NETWORK_FILE = 'network.json';
const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI_MAIN = join(REPO_ROOT, 'host', 'cli', 'main.ts');
const PEERS_MAX = 64;
const PORT_STRIDE = 100;
/** Milliseconds between progress lines naming the peers still starting. */
const WAITING_REPORT_MS = 5_000;

export interface PeerLayout {
  id: string;
  replica: number;
  restAddress: string;
  listenAddress: string;
  eventsAddress: string;
  dataDir: string;
  logFile: string;
  /** libp2p peer id of the peer's key (created in its data directory before any peer starts). */
  peerId?: string | undefined;
  /** CORE_* settings of this peer only (e.g. CORE_PBFT_GENERAL_BYZANTINE for one replica). */
  env?: Record<string, string> | undefined;
  pid?: number | undefined;
}

export interface NetworkLayout {
  consensus: 'pbft' | 'noops';
  basePort: number;
  /** CORE_* settings every peer gets (e.g. PBFT parameters). */
  env: Record<string, string>;
  peers: PeerLayout[];
}

export interface UpOptions {
  peers: number;
  consensus: 'pbft' | 'noops';
  dataDir: string;
  basePort: number;
  /** Extra CORE_* settings for every peer. */
  env?: Record<string, string>;
  /** Extra CORE_* settings per peer id, kept in the layout so a restart keeps them. */
  peerEnv?: Record<string, Record<string, string>>;
  /** Progress lines for a person. */
  progress?: (line: string) => void;
  /** Milliseconds to wait for each peer's REST API. */
  readyTimeoutMs?: number;
  /**
   * Tie the peers to this process (benches and tests pass their own pid): they stop by
   * themselves once it is gone (owner-watch.ts). Not kept in the layout; peers this process
   * restarts with startPeer stay tied to it.
   */
  ownedBy?: number;
}

export class NetworkError extends Error {
  override name = 'NetworkError';
}

function alive(pid: number | undefined): pid is number {
  return pid !== undefined && processExists(pid);
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolvePort(true)));
  });
}

/** Ports of one peer above its base: REST, peer (libp2p), events. */
const PEER_PORT_OFFSETS = [0, 1, 3] as const;
const PEER_PORT_OFFSET_MAX = 3;
/** Where freeBasePort draws base ports: 20,000 + 100·k, every port of the layout below EPHEMERAL_PORTS_FIRST. */
const FREE_BASE_FIRST = 20_000;
/**
 * Linux's first ephemeral port (ip_local_port_range; IANA's range starts higher, at 49,152).
 * Outgoing connections take ports from that range, so a listening port chosen inside it can be
 * taken by a peer's own dial between the check and the bind (a 10-peer start failed so: EADDRINUSE).
 */
const EPHEMERAL_PORTS_FIRST = 32_768;
const FREE_BASE_ATTEMPTS = 200;

/** A base port whose layout (planNetwork) is free on 127.0.0.1 for `peers` peers (tests, benches). */
export async function freeBasePort(peers: number): Promise<number> {
  const span = PORT_STRIDE * (peers - 1) + PEER_PORT_OFFSET_MAX;
  const slots = Math.floor((EPHEMERAL_PORTS_FIRST - span - FREE_BASE_FIRST) / PORT_STRIDE);
  if (slots < 1) throw new Error(`no free ports for ${peers} peers below the ephemeral range (${EPHEMERAL_PORTS_FIRST})`);
  for (let attempt = 0; attempt < FREE_BASE_ATTEMPTS; attempt++) {
    const base = FREE_BASE_FIRST + Math.floor(Math.random() * slots) * PORT_STRIDE;
    let free = true;
    for (let i = 0; i < peers && free; i++) for (const offset of PEER_PORT_OFFSETS) free &&= await portFree(base + PORT_STRIDE * i + offset);
    if (free) return base;
  }
  throw new Error(`no free ports for ${peers} peers`);
}

/** The layout of N peers: ports basePort + 100·i (+0 REST, +1 peer, +3 events, as Fabric's 7050/7051/7053). */
export function planNetwork(options: UpOptions): NetworkLayout {
  if (!Number.isInteger(options.peers) || options.peers < 1 || options.peers > PEERS_MAX) {
    throw new NetworkError(`--peers must be an integer from 1 to ${PEERS_MAX}, got ${options.peers}`);
  }
  if (options.consensus === 'pbft' && options.peers < 4) {
    throw new NetworkError('PBFT needs at least 4 peers (N >= 3f + 1 with f >= 1); use --consensus noops for fewer');
  }
  const last = options.basePort + PORT_STRIDE * (options.peers - 1) + 3;
  if (!Number.isInteger(options.basePort) || options.basePort < 1024 || last > 65_535) {
    throw new NetworkError(`--base-port must leave room for ${options.peers} peers below 65535`);
  }
  const dataDir = resolve(options.dataDir);
  const peers: PeerLayout[] = [];
  for (let i = 0; i < options.peers; i++) {
    const base = options.basePort + PORT_STRIDE * i;
    peers.push({
      id: `vp${i}`,
      replica: i,
      restAddress: `127.0.0.1:${base}`,
      listenAddress: `127.0.0.1:${base + 1}`,
      eventsAddress: `127.0.0.1:${base + 3}`,
      dataDir: join(dataDir, `vp${i}`),
      logFile: join(dataDir, `vp${i}`, 'peer.log'),
      env: options.peerEnv?.[`vp${i}`],
    });
  }
  return { consensus: options.consensus, basePort: options.basePort, env: options.env ?? {}, peers };
}

/** CORE_* settings of one peer of the layout. */
export function peerEnvironment(layout: NetworkLayout, peer: PeerLayout): Record<string, string> {
  const root = layout.peers[0];
  const others = layout.peers.filter((p) => p.id !== peer.id).map((p) => p.listenAddress);
  return {
    ...layout.env,
    ...peer.env,
    CORE_PEER_ID: peer.id,
    CORE_PEER_NETWORKID: 'weft-local',
    CORE_PEER_LISTENADDRESS: peer.listenAddress,
    CORE_PEER_ADDRESS: peer.listenAddress,
    CORE_PEER_FILESYSTEMPATH: peer.dataDir,
    CORE_REST_ADDRESS: peer.restAddress,
    CORE_PEER_VALIDATOR_EVENTS_ADDRESS: peer.eventsAddress,
    CORE_PEER_VALIDATOR_CONSENSUS_PLUGIN: layout.consensus,
    CORE_PEER_DISCOVERY_ROOTNODE: peer.id === root?.id ? others.join(',') : (root?.listenAddress ?? ''),
    CORE_PEER_DISCOVERY_MEMBERS: memberList(layout),
    CORE_PBFT_GENERAL_N: String(layout.peers.length),
    CORE_PBFT_GENERAL_F: String(Math.floor((layout.peers.length - 1) / 3)),
  };
}

/** Every peer of the layout as a member-list entry: who may connect, and where it listens. */
export function memberList(layout: NetworkLayout): string {
  return formatMemberList(
    layout.peers.flatMap((peer) => (peer.peerId ? [{ id: peer.id, peerId: peer.peerId, address: peer.listenAddress }] : [])),
  );
}

/** Creates (or reads) every peer's key so that each peer can be told the whole member list. */
async function ensureIdentities(layout: NetworkLayout): Promise<void> {
  for (const peer of layout.peers) {
    await mkdir(peer.dataDir, { recursive: true });
    peer.peerId = (await loadOrCreatePeerIdentity(peer.dataDir)).peerId;
  }
}

export async function readLayout(dataDir: string): Promise<NetworkLayout> {
  const file = join(resolve(dataDir), NETWORK_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new NetworkError(`No network in ${resolve(dataDir)} (no ${NETWORK_FILE}); start one with: weft network up`);
  }
  try {
    return JSON.parse(text) as NetworkLayout;
  } catch (error) {
    throw new NetworkError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

async function writeLayout(dataDir: string, layout: NetworkLayout): Promise<void> {
  const file = join(resolve(dataDir), NETWORK_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(layout, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

/** Owner pid of each network (by data directory) this process started with `ownedBy`. */
const owners = new Map<string, number>();

function ownerEnv(dataDir: string): Record<string, string> {
  const owner = owners.get(resolve(dataDir));
  return owner === undefined ? {} : { [OWNER_PID_ENV]: String(owner) };
}

/** Starts one peer process, detached, logging to its log file. */
async function spawnPeer(layout: NetworkLayout, peer: PeerLayout, extraEnv: Record<string, string> = {}): Promise<number> {
  await mkdir(peer.dataDir, { recursive: true });
  const log = openSync(peer.logFile, 'a');
  try {
    const child = spawn(process.execPath, [CLI_MAIN, 'node', 'start'], {
      cwd: REPO_ROOT,
      // An owner is only ever the one this launcher names: never one inherited from its own environment.
      env: { ...process.env, [OWNER_PID_ENV]: undefined, ...peerEnvironment(layout, peer), ...extraEnv, CORE_LOGGING_FORMAT: process.env.CORE_LOGGING_FORMAT ?? 'text' },
      detached: true,
      stdio: ['ignore', log, log],
    });
    if (child.pid === undefined) throw new NetworkError(`Could not start ${peer.id}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

async function waitReady(peer: PeerLayout, timeoutMs: number): Promise<void> {
  const client = new RestClient(peer.restAddress, { timeoutMs: 2_000 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.chain();
      return;
    } catch {
      if (!alive(peer.pid)) throw new NetworkError(`${peer.id} exited during start-up; see ${peer.logFile}`);
      if (Date.now() > deadline) throw new NetworkError(`${peer.id} did not answer on ${peer.restAddress} within ${timeoutMs / 1000}s; see ${peer.logFile}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

/** Starts the network (or resumes one already laid out in dataDir); returns its layout. */
export async function networkUp(options: UpOptions): Promise<NetworkLayout> {
  const progress = options.progress ?? (() => {});
  let layout: NetworkLayout;
  try {
    layout = await readLayout(options.dataDir);
    progress(`Resuming the ${layout.peers.length}-peer ${layout.consensus} network in ${resolve(options.dataDir)}`);
  } catch (error) {
    if (!(error instanceof NetworkError) || !/No network/.test(error.message)) throw error;
    layout = planNetwork(options);
    await mkdir(resolve(options.dataDir), { recursive: true });
    progress(`Laying out ${layout.peers.length} ${layout.consensus} peers in ${resolve(options.dataDir)}`);
  }
  if (options.ownedBy !== undefined) owners.set(resolve(options.dataDir), options.ownedBy);
  else owners.delete(resolve(options.dataDir));
  await ensureIdentities(layout);
  for (const peer of layout.peers) {
    if (alive(peer.pid)) continue;
    for (const address of [peer.restAddress, peer.listenAddress, peer.eventsAddress]) {
      const port = Number(address.split(':').pop());
      if (!(await portFree(port))) throw new NetworkError(`Port ${port} (${peer.id}) is in use; pick another --base-port or stop what uses it`);
    }
  }
  for (const peer of layout.peers) {
    if (alive(peer.pid)) {
      progress(`${peer.id} already running (pid ${peer.pid})`);
      continue;
    }
    peer.pid = await spawnPeer(layout, peer, ownerEnv(options.dataDir));
    progress(`${peer.id} starting (pid ${peer.pid}), log ${peer.logFile}`);
  }
  await writeLayout(options.dataDir, layout);
  const timeout = options.readyTimeoutMs ?? 60_000;
  const waiting = new Set(layout.peers.map((peer) => peer.id));
  const started = performance.now();
  // A peer replaying a long chain can take a while: say which ones are still starting.
  const ticker = setInterval(() => {
    progress(`waiting for ${[...waiting].join(', ')} (${Math.round((performance.now() - started) / 1000)} s; logs in ${resolve(options.dataDir)}/<peer>/peer.log)`);
  }, WAITING_REPORT_MS);
  try {
    await Promise.all(
      layout.peers.map(async (peer) => {
        await waitReady(peer, timeout);
        waiting.delete(peer.id);
        progress(`${peer.id} ready at http://${peer.restAddress} (${layout.peers.length - waiting.size}/${layout.peers.length})`);
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  return layout;
}

async function stopPid(pid: number, timeoutMs: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function findPeer(layout: NetworkLayout, id: string): PeerLayout {
  const peer = layout.peers.find((p) => p.id === id);
  if (!peer) throw new NetworkError(`No peer ${id} in this network; peers are ${layout.peers.map((p) => p.id).join(', ')}`);
  return peer;
}

/** Stops one peer (like `docker-compose stop vp3`): SIGTERM, then SIGKILL after the timeout. */
export async function stopPeer(dataDir: string, id: string, timeoutMs = 30_000): Promise<PeerLayout> {
  const layout = await readLayout(dataDir);
  const peer = findPeer(layout, id);
  if (alive(peer.pid)) await stopPid(peer.pid, timeoutMs);
  peer.pid = undefined;
  await writeLayout(dataDir, layout);
  return peer;
}

/** Starts one stopped peer again; it resumes from its data directory. */
export async function startPeer(dataDir: string, id: string, readyTimeoutMs = 60_000): Promise<PeerLayout> {
  const layout = await readLayout(dataDir);
  const peer = findPeer(layout, id);
  if (!alive(peer.pid)) {
    peer.pid = await spawnPeer(layout, peer, ownerEnv(dataDir));
    await writeLayout(dataDir, layout);
  }
  await waitReady(peer, readyTimeoutMs);
  return peer;
}

/** Stops every peer; the data stays, so `up` resumes the same network. */
export async function networkDown(dataDir: string, progress: (line: string) => void = () => {}): Promise<void> {
  const layout = await readLayout(dataDir);
  await Promise.all(
    layout.peers.map(async (peer) => {
      if (alive(peer.pid)) {
        await stopPid(peer.pid, 30_000);
        progress(`${peer.id} stopped`);
      }
      peer.pid = undefined;
    }),
  );
  await writeLayout(dataDir, layout);
}

/** Each peer with whether its process is alive. */
export async function networkStatus(dataDir: string): Promise<Array<PeerLayout & { running: boolean }>> {
  const layout = await readLayout(dataDir);
  return layout.peers.map((peer) => ({ ...peer, running: alive(peer.pid) }));
}
