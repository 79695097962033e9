// The transport's public surface, for the peer (composition root), the CLI and tests.
//
//   const identity = await loadOrCreatePeerIdentity(config.peer.fileSystemPath);
//   const transport = new Libp2pTransport({
//     selfId: config.peer.id,
//     privateKey: identity.privateKey,
//     members: parseMemberList(config.peer.discovery.members),
//     listenAddress: config.peer.listenAddress,
//     announceAddress: config.peer.address,
//     rootNodes: config.peer.discovery.rootnode,
//     networkId: config.peer.networkId,
//     discoveryPeriodMs: config.peer.discovery.period,
//     logger: logger.child('transport'),
//   });
//   await transport.start();
export type { Channel, MessageSigner, PeerInfo, PeerTransport } from './types.ts';
export { Libp2pTransport, type AdmissionCandidate, type Libp2pTransportOptions, type TransportAdmission } from './libp2p-transport.ts';
export { MemoryHub, MemoryTransport, type InFlight, type MemoryHubOptions, type MemoryPeerOptions } from './memory-transport.ts';
export { IdentityError, loadOrCreatePeerIdentity, loadPeerIdentity, peerIdOf, peerKeyPath, type PeerIdentity } from './identity.ts';
export { formatMemberList, isValidatorId, Membership, MemberListError, parseMemberList, replicaOf, type Member, type MemberInput } from './members.ts';
export { Ed25519Signer } from './ed25519-signer.ts';
export { PeerUnreachableError, RemoteError, RequestRejectedError, RequestTimeoutError, TransportError } from './errors.ts';
export { PAYLOAD_BYTES_MAX, type TransportLimits } from './limits.ts';
export type { TransportLogger, TransportStats } from './transport-stats.ts';
