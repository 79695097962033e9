// Shared by the transport tests: keys, a network of real libp2p transports on 127.0.0.1, waiting.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { peerIdOf } from '../../network/transport/identity.ts';
import { Libp2pTransport, type Libp2pTransportOptions } from '../../network/transport/libp2p-transport.ts';
import type { MemberInput } from '../../network/transport/members.ts';

export interface TestPeer {
  id: string;
  key: Ed25519PrivateKey;
  peerId: string;
}

export async function makePeers(ids: string[]): Promise<TestPeer[]> {
  return Promise.all(
    ids.map(async (id) => {
      const key = await generateKeyPair('Ed25519');
      return { id, key, peerId: peerIdOf(key) };
    }),
  );
}

export function memberList(peers: TestPeer[]): MemberInput[] {
  return peers.map(({ id, peerId }) => ({ id, peerId }));
}

/** Fast reconnection and discovery so tests take seconds. */
export const FAST = { reconnect: { initialMs: 50, maxMs: 300 }, discoveryPeriodMs: 200 } as const;

export function transportFor(peer: TestPeer, members: MemberInput[], extra: Partial<Libp2pTransportOptions> = {}): Libp2pTransport {
  return new Libp2pTransport({ selfId: peer.id, privateKey: peer.key, members, listenAddress: '127.0.0.1:0', ...FAST, ...extra });
}

/**
 * Starts one transport per peer on ephemeral ports: the first alone, the others with the first
 * as their rootnode (Fabric's usual setup), so they find each other through discovery.
 */
export async function startNetwork(
  peers: TestPeer[],
  options: (peer: TestPeer) => Partial<Libp2pTransportOptions> = () => ({}),
): Promise<Libp2pTransport[]> {
  const members = memberList(peers);
  const [first, ...rest] = peers;
  if (!first) return [];
  const root = transportFor(first, members, options(first));
  await root.start();
  const rootAddress = root.listenAddresses()[0] as string;
  const others = rest.map((peer) => transportFor(peer, members, { rootNodes: rootAddress, ...options(peer) }));
  await Promise.all(others.map((transport) => transport.start()));
  return [root, ...others];
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every transport sees every other as connected. */
export function fullMesh(transports: Libp2pTransport[]): boolean {
  return transports.every((transport) => transport.connected().length === transports.length - 1);
}
