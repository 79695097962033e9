// Transport figures on this machine (standalone: node bench/transport.bench.ts [--quick]):
//  1. signing and verifying one message: node:crypto (Ed25519 over the whole payload, as the PBFT
//     signer does; and SHA-256 then Ed25519 over the digest, as wire v2 signed every frame — v3
//     frames are not signed), @noble/curves, @libp2p/crypto;
//  2. two local libp2p transports, each on its own thread (as two peer processes would use the two
//     cores): request/response round trip and one-way messages/s for 1 KiB and 64 KiB payloads
//     (flow-controlled by acks so no message is dropped);
//  3. broadcast from one of four nodes to the other three, all in this thread: the transport's
//     direct streams vs gossipsub, latency and messages/s (why the transport does not use gossipsub);
//     a message gossipsub loses is counted after STALL_MS without deliveries, not waited for.
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import { tcp } from '@libp2p/tcp';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createLibp2p } from 'libp2p';
import { FRAME_VERSION } from '../network/transport/frame.ts';
import { peerIdOf } from '../network/transport/identity.ts';
import { Libp2pTransport } from '../network/transport/libp2p-transport.ts';
import { benchArgs } from './bench-args.ts';

const { quick } = benchArgs(import.meta.url, 'Transport figures: signing and verifying a message, request/response and one-way messages over two real libp2p transports, and broadcast to three peers (direct streams against gossipsub).');
const KiB = 1024;

function timeOps(run: () => void, minMs: number): { perOpUs: number; opsPerSecond: number } {
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 16; i++) run();
    ops += 16;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return { perOpUs: (elapsed * 1000) / ops, opsPerSecond: (ops * 1000) / elapsed };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
}

// ---- 1. signatures ---------------------------------------------------------------------------

async function signatures(): Promise<void> {
  console.log('\n## Signing and verifying one message (µs per operation; ops/s)\n');
  console.log('| payload | scheme | sign µs | verify µs | verify/s |');
  console.log('|---|---|---|---|---|');
  const keys = generateKeyPairSync('ed25519');
  const noblePrivate = ed25519.utils.randomSecretKey();
  const noblePublic = ed25519.getPublicKey(noblePrivate);
  const libp2pKey = await generateKeyPair('Ed25519');
  const minMs = quick ? 150 : 500;
  for (const size of [KiB, 64 * KiB]) {
    const data = crypto.getRandomValues(new Uint8Array(size));
    const digest = () => createHash('sha256').update(data).digest();
    const rows: [string, () => Uint8Array, (sig: Uint8Array) => boolean][] = [
      ['node:crypto, SHA-256 then Ed25519 (wire v2 frames)', () => sign(null, digest(), keys.privateKey), (sig) => verify(null, digest(), keys.publicKey, sig)],
      ['node:crypto, Ed25519 over payload (PBFT signer)', () => sign(null, data, keys.privateKey), (sig) => verify(null, data, keys.publicKey, sig)],
      ['@noble/curves, SHA-256 then Ed25519', () => ed25519.sign(digest(), noblePrivate), (sig) => ed25519.verify(sig, digest(), noblePublic)],
      ['@libp2p/crypto key.sign/verify', () => libp2pKey.sign(data) as Uint8Array, (sig) => libp2pKey.publicKey.verify(data, sig) as boolean],
    ];
    for (const [name, signOnce, verifyOnce] of rows) {
      const signature = signOnce();
      if (!verifyOnce(signature)) throw new Error(`${name}: signature does not verify`);
      const signed = timeOps(signOnce, minMs);
      const verified = timeOps(() => verifyOnce(signature), minMs);
      console.log(`| ${size / KiB} KiB | ${name} | ${fmt(signed.perOpUs, 1)} | ${fmt(verified.perOpUs, 1)} | ${fmt(verified.opsPerSecond)} |`);
    }
  }
}

// ---- 2. two transports -------------------------------------------------------------------------

async function transports(count: number): Promise<Libp2pTransport[]> {
  const keys = await Promise.all(Array.from({ length: count }, () => generateKeyPair('Ed25519')));
  const members = keys.map((key, i) => ({ id: `vp${i}`, peerId: peerIdOf(key) }));
  const first = new Libp2pTransport({ selfId: 'vp0', privateKey: keys[0]!, members, listenAddress: '127.0.0.1:0' });
  await first.start();
  const rest = keys.slice(1).map(
    (key, i) => new Libp2pTransport({ selfId: `vp${i + 1}`, privateKey: key, members, listenAddress: '127.0.0.1:0', rootNodes: first.listenAddresses()[0], reconnect: { initialMs: 50 }, discoveryPeriodMs: 100 }),
  );
  await Promise.all(rest.map((t) => t.start()));
  const all = [first, ...rest];
  const deadline = Date.now() + 10_000;
  while (!all.every((t) => t.connected().length === count - 1)) {
    if (Date.now() > deadline) throw new Error('the transports did not connect');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return all;
}

async function roundTrips(a: Libp2pTransport, size: number, count: number): Promise<number[]> {
  const payload = new Uint8Array(size);
  // Warm up the streams.
  for (let i = 0; i < 20; i++) await a.request('vp1', 'sync', payload, 5_000);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await a.request('vp1', 'sync', payload, 5_000);
    times.push(performance.now() - start);
  }
  return times.sort((x, y) => x - y);
}

/** The receiver acknowledges every this many messages (counts are multiples of it). */
const ACK_EVERY = 16;

/** One-way messages/s from `a` to vp1, with at most `window` messages unacknowledged. */
async function oneWay(a: Libp2pTransport, size: number, count: number, window: number): Promise<{ perSecond: number; mibPerSecond: number }> {
  let acked = 0;
  let wake: (() => void) | undefined;
  a.onMessage('transaction', () => {
    acked += ACK_EVERY;
    wake?.();
  });
  const payload = new Uint8Array(size);
  const dropsBefore = a.stats().dropped.queueFull;
  const start = performance.now();
  let sent = 0;
  while (acked < count) {
    while (sent < count && sent - acked < window) {
      a.send('vp1', 'consensus', payload);
      sent++;
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
  const seconds = (performance.now() - start) / 1000;
  if (a.stats().dropped.queueFull !== dropsBefore) throw new Error('messages were dropped: the window is too large for the queue bound');
  return { perSecond: count / seconds, mibPerSecond: (count * size) / seconds / (1024 * 1024) };
}

/** The far end of the two-node bench, on its own thread (so on the other core, like another process). */
async function receiverThread(): Promise<void> {
  const { key, members, rootNode } = workerData as { key: Uint8Array; members: { id: string; peerId: string }[]; rootNode: string };
  const transport = new Libp2pTransport({ selfId: 'vp1', privateKey: privateKeyFromProtobuf(key) as Ed25519PrivateKey, members, listenAddress: '127.0.0.1:0', rootNodes: rootNode });
  let received = 0;
  transport.onRequest('sync', async (_from, payload) => payload);
  transport.onMessage('consensus', () => {
    if (++received % ACK_EVERY === 0) transport.send('vp0', 'transaction', new Uint8Array(4));
  });
  await transport.start();
  parentPort?.on('message', () => {
    void transport.stop().then(() => parentPort?.close());
  });
}

async function twoNodes(): Promise<void> {
  const keys = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519')]);
  const members = keys.map((key, i) => ({ id: `vp${i}`, peerId: peerIdOf(key) }));
  const a = new Libp2pTransport({ selfId: 'vp0', privateKey: keys[0], members, listenAddress: '127.0.0.1:0' });
  await a.start();
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { key: privateKeyToProtobuf(keys[1]), members, rootNode: a.listenAddresses()[0] },
  });
  const deadline = Date.now() + 10_000;
  while (a.connected().length === 0) {
    if (Date.now() > deadline) throw new Error('the receiver did not connect');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  console.log(`\n## Two local transports, each on its own thread (127.0.0.1, Noise + Yamux, wire v${FRAME_VERSION})\n`);
  console.log('| payload | round trip median ms | p99 ms | one-way msg/s | one-way MiB/s |');
  console.log('|---|---|---|---|---|');
  for (const [size, rtts, messages, window] of [
    [KiB, quick ? 300 : 2_000, quick ? 8_000 : 48_000, 512],
    [64 * KiB, quick ? 100 : 500, quick ? 800 : 4_800, 64],
  ] as const) {
    const times = await roundTrips(a, size, rtts);
    const flow = await oneWay(a, size, messages, window);
    console.log(`| ${size / KiB} KiB | ${fmt(percentile(times, 50), 3)} | ${fmt(percentile(times, 99), 3)} | ${fmt(flow.perSecond)} | ${fmt(flow.mibPerSecond, 1)} |`);
  }
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.postMessage('stop');
  await exited;
  await a.stop();
}

// ---- 3. broadcast: direct streams vs gossipsub -----------------------------------------------

interface Broadcaster {
  /** Sends one message to the three others. */
  send(payload: Uint8Array): void;
  /** Called with every delivery at any of the three others. */
  onDelivery(listener: () => void): void;
  stop(): Promise<void>;
}

async function directBroadcaster(): Promise<Broadcaster> {
  const all = await transports(4);
  let listener = () => {};
  for (const t of all.slice(1)) t.onMessage('transaction', () => listener());
  return {
    send: (payload) => all[0]!.broadcast('transaction', payload),
    onDelivery: (l) => {
      listener = l;
    },
    stop: async () => {
      await Promise.all(all.map((t) => t.stop()));
    },
  };
}

async function gossipBroadcaster(): Promise<Broadcaster> {
  const topic = 'weft/transaction';
  const nodes = await Promise.all(
    Array.from({ length: 4 }, () =>
      createLibp2p({
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify(), pubsub: gossipsub({ emitSelf: false, heartbeatInterval: 200 }) },
      }),
    ),
  );
  for (const [i, a] of nodes.entries()) for (const b of nodes.slice(i + 1)) await a.dial(b.getMultiaddrs()[0]!);
  let listener = () => {};
  for (const node of nodes) node.services.pubsub.subscribe(topic);
  for (const node of nodes.slice(1)) node.services.pubsub.addEventListener('message', () => listener());
  const deadline = Date.now() + 10_000;
  while (nodes[0]!.services.pubsub.getSubscribers(topic).length < 3) {
    if (Date.now() > deadline) throw new Error('the gossipsub mesh did not form');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  let counter = 0;
  return {
    send: (payload) => {
      // gossipsub drops duplicates by content: make each message distinct.
      const unique = new Uint8Array(payload);
      new DataView(unique.buffer).setUint32(0, counter++);
      void nodes[0]!.services.pubsub.publish(topic, unique).catch(() => {});
    },
    onDelivery: (l) => {
      listener = l;
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** A broadcaster that delivers nothing for this long has lost messages (gossipsub can): stop waiting. */
const STALL_MS = 5_000;

interface BroadcastResult {
  medianMs: number;
  perSecond: number;
  /** Deliveries (message × recipient) that never arrived. */
  lost: number;
}

async function measureBroadcast(b: Broadcaster, size: number, latencyRuns: number, count: number, window: number): Promise<BroadcastResult> {
  let deliveries = 0;
  let lastDelivery = performance.now();
  let wake: (() => void) | undefined;
  b.onDelivery(() => {
    deliveries++;
    lastDelivery = performance.now();
    wake?.();
  });
  const payload = new Uint8Array(size);
  /** Waits until `target` deliveries; false when none came for STALL_MS. */
  const waitFor = async (target: number): Promise<boolean> => {
    while (deliveries < target) {
      const before = deliveries;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STALL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (deliveries === before) return false;
    }
    return true;
  };
  const times: number[] = [];
  let lost = 0;
  for (let i = 0; i < latencyRuns + 10; i++) {
    const start = performance.now();
    const target = deliveries + 3;
    b.send(payload);
    if (!(await waitFor(target))) {
      lost += target - deliveries;
      deliveries = target;
      continue;
    }
    if (i >= 10) times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  const base = deliveries;
  const start = performance.now();
  let sent = 0;
  let stalled = false;
  while (sent < count && !stalled) {
    while (sent < count && sent - (deliveries - base) / 3 < window) {
      b.send(payload);
      sent++;
    }
    stalled = !(await waitFor(base + Math.min(count, Math.floor((deliveries - base) / 3) + 1) * 3));
  }
  if (!stalled) await waitFor(base + count * 3);
  lost += sent * 3 - (deliveries - base);
  return { medianMs: percentile(times, 50), perSecond: (deliveries - base) / 3 / ((lastDelivery - start) / 1000), lost };
}

async function broadcasts(): Promise<void> {
  console.log('\n## Broadcast from one of four nodes to the other three, 1 KiB\n');
  console.log('| how | latency to all three, median ms | messages/s (each to three peers) | deliveries lost |');
  console.log('|---|---|---|---|');
  for (const [name, make] of [
    ['weft transport (direct streams)', directBroadcaster],
    ['gossipsub (StrictSign)', gossipBroadcaster],
  ] as const) {
    const broadcaster = await make();
    const result = await measureBroadcast(broadcaster, KiB, quick ? 100 : 500, quick ? 2_000 : 10_000, 256);
    console.log(`| ${name} | ${fmt(result.medianMs, 3)} | ${fmt(result.perSecond)} | ${fmt(result.lost)} |`);
    await broadcaster.stop();
  }
}

if (isMainThread) {
  console.log(`# weft transport bench (node ${process.version}, ${quick ? 'quick' : 'full'} run)`);
  await signatures();
  await twoNodes();
  await broadcasts();
} else {
  await receiverThread();
}
