// The peer's transport, built from its config: Fabric's peer.* keys plus weft's member list.
// A single peer without members and without PBFT runs with no transport at all.
import { Libp2pTransport, loadOrCreatePeerIdentity, parseMemberList } from '../../network/transport/index.ts';
import type { CoreConfig } from '../config/core-config.ts';
import type { Logger } from '../logging.ts';

/** Whether this peer takes part in a network (and so needs a transport). */
export function networked(config: CoreConfig): boolean {
  return (
    config.string('peer.discovery.members').trim() !== '' ||
    config.string('peer.discovery.rootnode').trim() !== '' ||
    config.string('peer.validator.consensus.plugin').toLowerCase() === 'pbft' ||
    !config.bool('peer.validator.enabled')
  );
}

export async function createPeerTransport(config: CoreConfig, dataDir: string, log: Logger): Promise<Libp2pTransport> {
  const members = parseMemberList(config.string('peer.discovery.members'));
  if (members.length === 0) {
    throw new Error('peer.discovery.members is empty: list the members of the network (CORE_PEER_DISCOVERY_MEMBERS="vp0=<peer id>@host:port,…"; `weft node id` prints each peer\'s entry)');
  }
  const identity = await loadOrCreatePeerIdentity(dataDir);
  if (identity.created) log.notice('Created the peer key', { file: identity.keyFile, peerId: identity.peerId });
  return new Libp2pTransport({
    selfId: config.string('peer.id'),
    privateKey: identity.privateKey,
    members,
    listenAddress: config.string('peer.listenAddress'),
    announceAddress: config.string('peer.address'),
    rootNodes: config.string('peer.discovery.rootnode'),
    networkId: config.string('peer.networkId'),
    discoveryPeriodMs: config.durationMs('peer.discovery.period'),
    validator: config.bool('peer.validator.enabled'),
    logger: log,
  });
}
