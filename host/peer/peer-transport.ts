// The peer's transport, built from its config: Fabric's peer.* keys plus weft's member list.
// A single peer without members and without PBFT runs with no transport at all. With security
// on, a validator presents its validator certificate (TLSCA, bound to its libp2p key) to every
// member that connects, and admits a validator member only if its certificate passes the same
// check (docs/security.md, "Validator identities").
import { Libp2pTransport, loadOrCreatePeerIdentity, parseMemberList, type TransportAdmission } from '../../network/transport/index.ts';
import type { CoreConfig } from '../config/core-config.ts';
import type { Logger } from '../logging.ts';
import type { PeerSecurity } from '../security/peer-security.ts';
import { checkValidatorIdentity } from '../security/validator-identity.ts';

/** Whether this peer takes part in a network (and so needs a transport). */
export function networked(config: CoreConfig): boolean {
  return (
    config.string('peer.discovery.members').trim() !== '' ||
    config.string('peer.discovery.rootnode').trim() !== '' ||
    config.string('peer.validator.consensus.plugin').toLowerCase() === 'pbft' ||
    !config.bool('peer.validator.enabled')
  );
}

/**
 * Admission by network identity certificate: every peer presents one for its own libp2p key,
 * issued by this network's CA to its enrollment; a member the list marks as a validator must be
 * enrolled with the validator role, a non-validating member with the peer role (or validator).
 * The member list alone admits no one.
 */
export async function validatorAdmission(security: Pick<PeerSecurity, 'validatorCertificate' | 'verifier'>, publicKey: Uint8Array): Promise<TransportAdmission> {
  return {
    credential: await security.validatorCertificate(publicKey),
    check: (member, certificate) => checkValidatorIdentity({ peerId: member.peerId, certificate, as: member.validator ? 'validator' : 'peer' }, security.verifier),
  };
}

export async function createPeerTransport(config: CoreConfig, dataDir: string, log: Logger, security?: PeerSecurity): Promise<Libp2pTransport> {
  const members = parseMemberList(config.string('peer.discovery.members'));
  if (members.length === 0) {
    throw new Error('peer.discovery.members is empty: list the members of the network (CORE_PEER_DISCOVERY_MEMBERS="vp0=<peer id>@host:port,…"; `weft node id` prints each peer\'s entry)');
  }
  const identity = await loadOrCreatePeerIdentity(dataDir);
  if (identity.created) log.notice('Created the peer key', { file: identity.keyFile, peerId: identity.peerId });
  const validator = config.bool('peer.validator.enabled');
  const admission = security ? await validatorAdmission(security, identity.privateKey.publicKey.raw) : undefined;
  return new Libp2pTransport({
    selfId: config.string('peer.id'),
    privateKey: identity.privateKey,
    members,
    listenAddress: config.string('peer.listenAddress'),
    announceAddress: config.string('peer.address'),
    rootNodes: config.string('peer.discovery.rootnode'),
    networkId: config.string('peer.networkId'),
    discoveryPeriodMs: config.durationMs('peer.discovery.period'),
    validator,
    logger: log,
    admission,
  });
}
