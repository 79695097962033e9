// membersrvc.yaml, read into typed values: the users (Fabric's "<roles> <secret> [affiliation]
// [registrar JSON]" lines), the affiliation tree, the attribute entries with their validity
// periods and the validity of each kind of certificate. The default file ships Fabric's users.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseDurationMs } from '../config/duration.ts';
import { ROLE_NAMES } from '../security/cert-format.ts';

export const DEFAULT_MEMBERSRVC_FILE = join(dirname(fileURLToPath(import.meta.url)), 'membersrvc.yaml');

/** Fabric's rest.validPatterns.enrollmentID, applied by the CA to every id it is asked about. */
export const ENROLLMENT_ID_PATTERN = /^\w{1,64}$/;
const ROLES_ALL = 15;

export interface RegistrarRights {
  /** Roles of the users this registrar may register. */
  roles: number;
  /** Roles those users may in turn register (Fabric's delegateRoles). */
  delegateRoles: number;
}

export interface UserEntry {
  id: string;
  roles: number;
  secret: string;
  affiliation: string;
  registrar: RegistrarRights | null;
}

export interface AttributeEntry {
  user: string;
  affiliation: string;
  name: string;
  value: string;
  validFrom: Date;
  validTo: Date | null;
}

export interface CaConfig {
  address: string;
  storeDir: string;
  ecertValidityMs: number;
  tcertValidityMs: number;
  validatorCertValidityMs: number;
  affiliations: Set<string>;
  users: UserEntry[];
  attributes: AttributeEntry[];
}

export class CaConfigError extends Error {
  override name = 'CaConfigError';
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A role list (["client","validator"]) as Fabric's bitmask. */
export function rolesFromNames(names: unknown, where: string): number {
  if (!Array.isArray(names)) throw new CaConfigError(`${where}: roles must be a list of client, peer, validator, auditor`);
  let mask = 0;
  for (const name of names) {
    const bit = typeof name === 'string' ? ROLE_NAMES[name.toLowerCase()] : undefined;
    if (bit === undefined) throw new CaConfigError(`${where}: unknown role ${JSON.stringify(name)} (client, peer, validator, auditor)`);
    mask |= bit;
  }
  return mask;
}

export function parseRegistrar(json: unknown, where: string): RegistrarRights | null {
  if (json === undefined || json === null) return null;
  if (!isTree(json) || !isTree(json['registrar'])) throw new CaConfigError(`${where}: expected {"registrar":{"roles":[…],"delegateRoles":[…]}}`);
  const registrar = json['registrar'];
  return {
    roles: rolesFromNames(registrar['roles'] ?? [], where),
    delegateRoles: rolesFromNames(registrar['delegateRoles'] ?? [], where),
  };
}

function parseUserLine(id: string, line: unknown): UserEntry {
  if (!ENROLLMENT_ID_PATTERN.test(id)) throw new CaConfigError(`eca.users: invalid enrollment id "${id}" (letters, digits, _)`);
  if (typeof line !== 'string') throw new CaConfigError(`eca.users.${id}: expected "<roles> <secret> [affiliation] [registrar JSON]"`);
  const match = /^\s*(\d+)\s+(\S+)(?:\s+([^\s{]+))?(?:\s+(\{.*\}))?\s*$/.exec(line);
  if (!match) throw new CaConfigError(`eca.users.${id}: expected "<roles> <secret> [affiliation] [registrar JSON]", got "${line}"`);
  const roles = Number(match[1]);
  if (roles < 1 || roles > ROLES_ALL) throw new CaConfigError(`eca.users.${id}: roles must be a bitmask 1-15 (1 client, 2 peer, 4 validator, 8 auditor)`);
  let registrarJson: unknown;
  if (match[4]) {
    try {
      registrarJson = JSON.parse(match[4]);
    } catch (error) {
      throw new CaConfigError(`eca.users.${id}: invalid registrar JSON: ${(error as Error).message}`);
    }
  }
  return { id, roles, secret: match[2] ?? '', affiliation: match[3] ?? '', registrar: parseRegistrar(registrarJson, `eca.users.${id}`) };
}

function parseDate(text: string, where: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new CaConfigError(`${where}: invalid date "${text}"`);
  return date;
}

function parseAttributeLine(key: string, line: unknown): AttributeEntry {
  const where = `aca.attributes.${key}`;
  if (typeof line !== 'string') throw new CaConfigError(`${where}: expected "user;affiliation;name;value;validFrom;validTo"`);
  const parts = line.split(';');
  if (parts.length < 6) throw new CaConfigError(`${where}: expected "user;affiliation;name;value;validFrom;validTo", got "${line}"`);
  const [user = '', affiliation = '', name = '', value = '', from = '', to = ''] = parts;
  if (name === '') throw new CaConfigError(`${where}: the attribute name is empty`);
  return {
    user,
    affiliation,
    name,
    value,
    validFrom: from === '' ? new Date(0) : parseDate(from, where),
    validTo: to === '' ? null : parseDate(to, where),
  };
}

function affiliationsOf(tree: unknown, out: Set<string>): void {
  if (typeof tree === 'string') out.add(tree);
  else if (Array.isArray(tree)) for (const item of tree) affiliationsOf(item, out);
  else if (isTree(tree)) {
    for (const [name, value] of Object.entries(tree)) {
      out.add(name);
      affiliationsOf(value, out);
    }
  }
}

function duration(value: unknown, fallback: string, where: string): number {
  try {
    return parseDurationMs(typeof value === 'string' || typeof value === 'number' ? value : fallback);
  } catch (error) {
    throw new CaConfigError(`${where}: ${(error as Error).message}`);
  }
}

/** Reads membersrvc.yaml (the shipped default when no file is given). */
export function loadCaConfig(file = DEFAULT_MEMBERSRVC_FILE, overrides: { address?: string; storeDir?: string } = {}): CaConfig {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CaConfigError(`Cannot read membership services config ${file}: ${(error as Error).message}`);
  }
  if (!isTree(parsed)) throw new CaConfigError(`${file} must hold a mapping at the top level`);
  const server = isTree(parsed['server']) ? parsed['server'] : {};
  const eca = isTree(parsed['eca']) ? parsed['eca'] : {};
  const tca = isTree(parsed['tca']) ? parsed['tca'] : {};
  const tlsca = isTree(parsed['tlsca']) ? parsed['tlsca'] : {};
  const aca = isTree(parsed['aca']) ? parsed['aca'] : {};
  const affiliations = new Set<string>();
  affiliationsOf(eca['affiliations'], affiliations);
  const users = Object.entries(isTree(eca['users']) ? eca['users'] : {}).map(([id, line]) => parseUserLine(id, line));
  for (const user of users) {
    if (user.affiliation !== '' && !affiliations.has(user.affiliation)) {
      throw new CaConfigError(`eca.users.${user.id}: unknown affiliation "${user.affiliation}"`);
    }
  }
  const attributes = Object.entries(isTree(aca['attributes']) ? aca['attributes'] : {}).map(([key, line]) => parseAttributeLine(key, line));
  const rootpath = typeof server['rootpath'] === 'string' ? server['rootpath'] : '.weft/membersrvc';
  const cadir = typeof server['cadir'] === 'string' ? server['cadir'] : '.membersrvc';
  return {
    address: overrides.address ?? (typeof server['address'] === 'string' ? server['address'] : '0.0.0.0:7054'),
    storeDir: overrides.storeDir ?? join(rootpath, cadir),
    ecertValidityMs: duration(eca['validity'], '8760h', 'eca.validity'),
    tcertValidityMs: duration(tca['validity'], '720h', 'tca.validity'),
    validatorCertValidityMs: duration(tlsca['validity'], '8760h', 'tlsca.validity'),
    affiliations,
    users,
    attributes,
  };
}
