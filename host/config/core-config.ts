// The peer's configuration: core.yaml (Fabric's key names) with CORE_* environment overrides.
// Layers, later wins: the built-in defaults (host/config/core.yaml), the user's file, the
// environment, then explicit overrides (CLI flags). Only keys the defaults know can be set from
// the environment — as with Fabric's viper, which only resolves keys it is asked for.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseDurationMs } from './duration.ts';

export type ConfigValue = string | number | boolean | null | ConfigValue[] | { [key: string]: ConfigValue };
export type ConfigTree = { [key: string]: ConfigValue };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'core.yaml');

function isTree(value: ConfigValue | undefined): value is ConfigTree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readYamlTree(path: string): ConfigTree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Invalid YAML in ${path}: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isTree(parsed as ConfigValue)) throw new ConfigError(`Config file ${path} must hold a mapping at the top level`);
  return parsed as ConfigTree;
}

/** Finds a key case-insensitively, as viper does. */
function findKey(tree: ConfigTree, segment: string): string | undefined {
  if (segment in tree) return segment;
  const lower = segment.toLowerCase();
  return Object.keys(tree).find((key) => key.toLowerCase() === lower);
}

function mergeInto(target: ConfigTree, source: ConfigTree): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = findKey(target, key) ?? key;
    const current = target[existing];
    if (isTree(current) && isTree(value)) mergeInto(current, value);
    else target[existing] = value;
  }
}

/** Every leaf path of a tree ("peer.validator.enabled"). */
function leafPaths(tree: ConfigTree, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isTree(value)) paths.push(...leafPaths(value, path));
    else paths.push(path);
  }
  return paths;
}

/** An environment string as the type of the default it replaces. */
function coerce(raw: string, like: ConfigValue | undefined, name: string): ConfigValue {
  if (typeof like === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got "${raw}"`);
    return n;
  }
  if (typeof like === 'boolean') {
    const lower = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
    throw new ConfigError(`${name} must be true or false, got "${raw}"`);
  }
  return raw;
}

export interface LoadOptions {
  /** A core.yaml of the user's; its keys override the defaults. */
  file?: string | undefined;
  /** Environment to read CORE_* from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Highest-priority overrides by dotted path (from CLI flags). */
  overrides?: Record<string, ConfigValue>;
}

export class CoreConfig {
  readonly tree: ConfigTree;

  constructor(tree: ConfigTree) {
    this.tree = tree;
  }

  static load(options: LoadOptions = {}): CoreConfig {
    const tree = readYamlTree(DEFAULTS_FILE);
    const known = leafPaths(tree);
    if (options.file) mergeInto(tree, readYamlTree(options.file));
    const config = new CoreConfig(tree);
    const env = options.env ?? process.env;
    for (const path of known) {
      const name = `CORE_${path.replaceAll('.', '_').toUpperCase()}`;
      const raw = env[name];
      if (raw !== undefined) config.set(path, coerce(raw, config.get(path), name));
    }
    for (const [path, value] of Object.entries(options.overrides ?? {})) config.set(path, value);
    return config;
  }

  get(path: string): ConfigValue | undefined {
    let node: ConfigValue | undefined = this.tree;
    for (const segment of path.split('.')) {
      if (!isTree(node)) return undefined;
      const key = findKey(node, segment);
      node = key === undefined ? undefined : node[key];
    }
    return node;
  }

  set(path: string, value: ConfigValue): void {
    const segments = path.split('.');
    let node = this.tree;
    for (const segment of segments.slice(0, -1)) {
      const key = findKey(node, segment) ?? segment;
      const next = node[key];
      if (!isTree(next)) node[key] = {};
      node = node[key] as ConfigTree;
    }
    const last = segments[segments.length - 1] as string;
    node[findKey(node, last) ?? last] = value;
  }

  string(path: string): string {
    const value = this.get(path);
    if (value === undefined || value === null) return '';
    if (typeof value === 'object') throw new ConfigError(`${path} must be a value, not a mapping or list`);
    return String(value);
  }

  number(path: string): number {
    const value = this.get(path);
    const n = typeof value === 'number' ? value : Number(value);
    if (typeof value === 'boolean' || value === null || value === undefined || !Number.isFinite(n)) {
      throw new ConfigError(`${path} must be a number, got ${JSON.stringify(value)}`);
    }
    return n;
  }

  bool(path: string): boolean {
    const value = this.get(path);
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string') return coerce(value, true, path) as boolean;
    throw new ConfigError(`${path} must be true or false, got ${JSON.stringify(value)}`);
  }

  /** A Go duration ("1s", "500ms") in milliseconds. */
  durationMs(path: string): number {
    const value = this.get(path);
    if (typeof value !== 'string' && typeof value !== 'number') throw new ConfigError(`${path} must be a duration such as 1s`);
    try {
      return parseDurationMs(value);
    } catch (error) {
      throw new ConfigError(`${path}: ${(error as Error).message}`);
    }
  }
}
