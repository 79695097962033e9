// The CLI's -c/--ctor and -a/--attributes JSON, read as Fabric v0.6's peer command read them:
// {"Args":[…]} or {"Function":"f","Args":[…]}, keys case-insensitive, anything else refused.
import { CliError } from './cli-error.ts';

export type CtorMsg = { args: string[] } | { function: string; args: string[] };

const CTOR_KEYS_MESSAGE = "Non-empty JSON chaincode parameters must contain the following keys: 'Args' or 'Function' and 'Args'";

export function parseCtor(text: string): CtorMsg {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`Chaincode argument error: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(CTOR_KEYS_MESSAGE);
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) return { args: [] };
  let fn: unknown;
  let args: unknown;
  for (const [key, value] of entries) {
    const lower = key.toLowerCase();
    if (lower === 'function') fn = value;
    else if (lower === 'args') args = value;
    else throw new CliError(CTOR_KEYS_MESSAGE);
  }
  if (args === undefined) throw new CliError(CTOR_KEYS_MESSAGE);
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) throw new CliError('Chaincode argument error: Args must be an array of strings');
  if (fn === undefined) return { args: args as string[] };
  if (typeof fn !== 'string') throw new CliError('Chaincode argument error: Function must be a string');
  return { function: fn, args: args as string[] };
}

export function parseAttributes(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`Chaincode argument error: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.some((a) => typeof a !== 'string')) {
    throw new CliError('Chaincode argument error: attributes must be a JSON array of strings, e.g. ["position"]');
  }
  return parsed as string[];
}
