// Who belongs to the network. A permissioned network is a fixed list of members, each a Fabric id
// ("vp0"), the libp2p peer id of its Ed25519 key (which embeds the public key, so the list alone
// authenticates everyone) and optionally where it listens. A person writes the list for a
// multi-machine network as text (a config value or a file):
//
//     vp0=12D3KooW…@10.0.0.1:7051, vp1=12D3KooW…@10.0.0.2:7051
//     vp2=12D3KooW…@vp2.example.org:7051
//     nvp0=12D3KooW…            # a non-validating peer; no address: it dials us
//
// Entries are separated by commas, spaces or new lines; "#" starts a comment to the end of the
// line. An id of the form vpN is a validator (Fabric's rule: vpN is PBFT replica N); any other id
// is a non-validating peer. Each peer prints its own entry with `weft node id`.
import { peerIdFromString } from '@libp2p/peer-id';
import type { PeerId } from '@libp2p/interface';
import { formatHostPort, parseHostPort, type HostPort } from './addresses.ts';
import { MEMBER_ID_BYTES_MAX, MEMBERS_MAX } from './limits.ts';

export interface MemberInput {
  /** Fabric's peer id, e.g. "vp0". */
  id: string;
  /** libp2p peer id of the member's Ed25519 key, base58 ("12D3KooW…"). */
  peerId: string;
  /** Where it listens (host:port); members without one are reached when they dial in, or via discovery. */
  address?: string | undefined;
  /** Default: true for ids of the form vpN. */
  validator?: boolean | undefined;
}

export interface Member {
  id: string;
  peerId: string;
  address: HostPort | undefined;
  validator: boolean;
  /** The raw 32-byte Ed25519 public key, taken from the peer id. */
  publicKey: Uint8Array;
  /** libp2p's form of the peer id. */
  libp2pPeerId: PeerId;
}

export class MemberListError extends Error {
  override name = 'MemberListError';
}

const MEMBER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VALIDATOR_ID = /^vp(0|[1-9][0-9]{0,5})$/;

/** Whether an id names a validator under Fabric's vpN rule. */
export function isValidatorId(id: string): boolean {
  return VALIDATOR_ID.test(id);
}

/** The replica number of a vpN id, or undefined. */
export function replicaOf(id: string): number | undefined {
  return VALIDATOR_ID.test(id) ? Number(id.slice(2)) : undefined;
}

/** Checks a member id; returns the error text or undefined. */
export function memberIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'the id is empty';
  if (Buffer.byteLength(id) > MEMBER_ID_BYTES_MAX) return `the id is longer than ${MEMBER_ID_BYTES_MAX} bytes`;
  if (!MEMBER_ID.test(id)) return `the id "${id}" may hold only letters, digits, ".", "_" and "-"`;
  return undefined;
}

/** Parses a libp2p peer id of an Ed25519 key; throws with a clear text. */
export function parseEd25519PeerId(text: string): { peerId: PeerId; publicKey: Uint8Array } {
  let peerId: PeerId;
  try {
    peerId = peerIdFromString(text);
  } catch {
    throw new MemberListError(`"${text}" is not a libp2p peer id (expected base58 like 12D3KooW…)`);
  }
  if (peerId.type !== 'Ed25519' || peerId.publicKey === undefined) {
    throw new MemberListError(`"${text}" is not an Ed25519 peer id (its key is ${peerId.type}); weft members use Ed25519 keys (12D3KooW…)`);
  }
  return { peerId, publicKey: peerId.publicKey.raw };
}

/** Validates one member; `where` prefixes error texts. */
function toMember(input: MemberInput, where: string): Member {
  const idProblem = memberIdProblem(input.id);
  if (idProblem) throw new MemberListError(`${where}: ${idProblem}`);
  let parsed;
  try {
    parsed = parseEd25519PeerId(input.peerId);
  } catch (error) {
    throw new MemberListError(`${where}: ${(error as Error).message}`);
  }
  let address: HostPort | undefined;
  if (input.address !== undefined && input.address !== '') {
    try {
      address = parseHostPort(input.address, 'the address');
    } catch (error) {
      throw new MemberListError(`${where}: ${(error as Error).message}`);
    }
  }
  return {
    id: input.id,
    peerId: parsed.peerId.toString(),
    address,
    validator: input.validator ?? isValidatorId(input.id),
    publicKey: parsed.publicKey,
    libp2pPeerId: parsed.peerId,
  };
}

/**
 * Parses a member list written by a person (see the header). Throws MemberListError naming the
 * entry at fault. An empty text is an empty list.
 */
export function parseMemberList(text: string): MemberInput[] {
  const entries = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join(' ')
    .split(/[\s,]+/)
    .filter((entry) => entry !== '');
  if (entries.length > MEMBERS_MAX) throw new MemberListError(`The member list has ${entries.length} entries; at most ${MEMBERS_MAX} are allowed`);
  const parsed = entries.map((entry, index) => {
    const where = `member list entry ${index + 1} ("${entry.length > 120 ? `${entry.slice(0, 120)}…` : entry}")`;
    const match = /^([^=@]*)=([^=@]*)(?:@(.*))?$/.exec(entry);
    if (!match) throw new MemberListError(`${where}: expected id=peerId or id=peerId@host:port`);
    if (match[3] === '') throw new MemberListError(`${where}: nothing after "@"; give host:port or leave out the "@"`);
    const input: MemberInput = { id: match[1] ?? '', peerId: match[2] ?? '', address: match[3] };
    return { input, member: toMember(input, where) };
  });
  checkUnique(parsed.map(({ member }) => member));
  return parsed.map(({ input }) => input);
}

/** The text form of a member list, one that parseMemberList reads back. */
export function formatMemberList(members: readonly MemberInput[]): string {
  return members
    .map((member) => {
      const address = member.address ? `@${formatHostPort(parseHostPort(member.address, 'the address'))}` : '';
      return `${member.id}=${member.peerId}${address}`;
    })
    .join(',');
}

function checkUnique(members: Member[]): void {
  const ids = new Set<string>();
  const peerIds = new Map<string, string>();
  for (const member of members) {
    if (ids.has(member.id)) throw new MemberListError(`The member list names "${member.id}" twice`);
    ids.add(member.id);
    const other = peerIds.get(member.peerId);
    if (other !== undefined) throw new MemberListError(`"${other}" and "${member.id}" have the same peer id ${member.peerId}; each member needs its own key`);
    peerIds.set(member.peerId, member.id);
  }
}

/** The validated member list, looked up by Fabric id or by peer id. */
export class Membership {
  readonly #byId = new Map<string, Member>();
  readonly #byPeerId = new Map<string, Member>();

  constructor(inputs: readonly MemberInput[]) {
    if (inputs.length > MEMBERS_MAX) throw new MemberListError(`The member list has ${inputs.length} members; at most ${MEMBERS_MAX} are allowed`);
    const members = inputs.map((input, index) => toMember(input, `member ${index + 1} (${input.id})`));
    checkUnique(members);
    for (const member of members) {
      this.#byId.set(member.id, member);
      this.#byPeerId.set(member.peerId, member);
    }
  }

  get(id: string): Member | undefined {
    return this.#byId.get(id);
  }

  byPeerId(peerId: string): Member | undefined {
    return this.#byPeerId.get(peerId);
  }

  all(): Member[] {
    return [...this.#byId.values()];
  }

  get size(): number {
    return this.#byId.size;
  }
}
