// Networks `weft bench` and the benches start for themselves: N peer processes through the launcher, in a
// temporary directory (or one given) on free ports, with helpers to stop and restart a peer (the
// fault run) and to tear everything down. Also: targets given as addresses (--peer).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeBasePort, networkDown, networkUp, startPeer, stopPeer, type NetworkLayout } from '../launcher/network-launcher.ts';
import type { BenchTarget } from './driver.ts';
import { cleanupUntilDone } from './cleanups.ts';

/** Event hub port = REST port + this, as the launcher lays peers out (Fabric's 7050 / 7053). */
export const EVENTS_PORT_OFFSET = 3;
/** Lines of a peer's log quoted when it fails to start. */
const LOG_TAIL_LINES = 20;

/**
 * A target from "host:port" (REST; events at port + 3) or "host:port@host:port" (REST @ events),
 * with an optional http:// or ws:// on either part.
 */
export function parseTarget(text: string, index: number): BenchTarget {
  const strip = (part: string): string => part.trim().replace(/^(https?|wss?):\/\//, '').replace(/\/+$/, '');
  const [restPart, eventsPart, extra] = text.split('@');
  const rest = strip(restPart ?? '');
  const match = /^(.+):(\d{1,5})$/.exec(rest);
  if (extra !== undefined || !match || Number(match[2]) < 1 || Number(match[2]) > 65_535) {
    throw new RangeError(`--peer must be host:port or host:port@eventshost:port, got "${text}"`);
  }
  let events = eventsPart === undefined ? `${match[1]}:${Number(match[2]) + EVENTS_PORT_OFFSET}` : strip(eventsPart);
  if (!/^.+:\d{1,5}$/.test(events)) throw new RangeError(`--peer: the event hub address must be host:port, got "${eventsPart}"`);
  if (Number(events.split(':').pop()) > 65_535) throw new RangeError(`--peer: no port ${events.split(':').pop()}`);
  events = events.replace(/^0\.0\.0\.0:/, '127.0.0.1:');
  return { id: `peer${index}`, rest, events };
}

export interface BenchNetwork {
  layout: NetworkLayout;
  dataDir: string;
  targets: BenchTarget[];
  stop(id: string): Promise<void>;
  start(id: string): Promise<void>;
  down(): Promise<void>;
}

export interface BenchNetworkOptions {
  peers: number;
  consensus: 'pbft' | 'noops';
  /** CORE_* settings for every peer. */
  env?: Record<string, string>;
  /** CORE_* settings of single peers, by id (e.g. each validator's enrollment). */
  peerEnv?: Record<string, Record<string, string>>;
  /** Keep the network's data here (otherwise a temporary directory, removed afterwards). */
  dataDir?: string | undefined;
  progress?: (line: string) => void;
}

export async function startBenchNetwork(options: BenchNetworkOptions): Promise<BenchNetwork> {
  const keep = options.dataDir !== undefined;
  const dataDir = keep ? resolve(options.dataDir!) : await mkdtemp(join(tmpdir(), 'weft-bench-'));
  const stopAndRemove = async (): Promise<void> => {
    await networkDown(dataDir).catch(() => undefined);
    if (!keep) await rm(dataDir, { recursive: true, force: true });
  };
  // Until it is downed: what an interrupted standalone bench undoes (cleanups.ts).
  const done = cleanupUntilDone(stopAndRemove);
  const down = async (): Promise<void> => {
    done();
    await stopAndRemove();
  };
  try {
    const layout = await networkUp({
      peers: options.peers,
      consensus: options.consensus,
      dataDir,
      basePort: await freeBasePort(options.peers),
      env: options.env ?? {},
      ...(options.peerEnv ? { peerEnv: options.peerEnv } : {}),
      ...(options.progress ? { progress: options.progress } : {}),
      // A bench that dies (Ctrl-C, a crash, its output closed) must not leave its peers running.
      ownedBy: process.pid,
    });
    return {
      layout,
      dataDir,
      targets: layout.peers.map((p) => ({ id: p.id, rest: p.restAddress, events: p.eventsAddress })),
      stop: async (id) => void (await stopPeer(dataDir, id)),
      start: async (id) => void (await startPeer(dataDir, id)),
      down,
    };
  } catch (error) {
    // The launcher points at a peer's log; keep its end before a temporary directory goes away.
    const log = /see (\S+peer\.log)/.exec((error as Error).message)?.[1];
    const tail = log === undefined ? '' : await readFile(log, 'utf8').then((text) => text.split('\n').slice(-LOG_TAIL_LINES).join('\n'), () => '');
    await down();
    if (tail !== '') throw new Error(`${(error as Error).message}\n--- end of ${log}:\n${tail}`);
    throw error;
  }
}
