// `weft chaincode deploy|invoke|query|build`: Fabric v0.6's `peer chaincode` flags, talking to a
// peer's REST API. Deploy builds a chaincode folder locally (or reads a .wasm) and sends the module.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { buildChaincode } from '../../chaincode/build.ts';
import { RestClient, RestError, type ChaincodeParams } from '../../rest/client.ts';
import { CliError } from '../cli-error.ts';
import { parseAttributes, parseCtor } from '../ctor.ts';
import { peerAddress, type CliContext } from '../context.ts';

interface ChaincodeFlags {
  lang: string;
  ctor: string;
  attributes: string;
  path?: string;
  name?: string;
  username?: string;
  tid?: string;
  peer?: string;
  wait?: string | boolean;
  raw?: boolean;
  hex?: boolean;
  metadata?: string;
  signMetadata?: boolean;
}

const LANGUAGES = ['golang', 'wasm', 'assemblyscript'];

function specFrom(flags: ChaincodeFlags, context: CliContext): ChaincodeParams {
  if (!LANGUAGES.includes(flags.lang.toLowerCase())) {
    throw new CliError(`Unknown chaincode language "${flags.lang}": weft runs Wasm chaincode (golang is accepted for Fabric compatibility)`);
  }
  const params: ChaincodeParams = {
    type: 1,
    chaincodeID: { path: flags.path ?? '', name: flags.name ?? '' },
    ctorMsg: parseCtor(flags.ctor),
    attributes: parseAttributes(flags.attributes),
  };
  const security = context.config().bool('security.enabled');
  if (flags.username) params.secureContext = flags.username;
  else if (security) throw new CliError('Must supply username for chaincode when security is enabled');
  const extra = params as ChaincodeParams & { metadata?: string; signMetadata?: boolean };
  if (flags.metadata !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(flags.metadata)) throw new CliError('--metadata must be base64');
    extra.metadata = flags.metadata;
  }
  if (flags.signMetadata) extra.signMetadata = true;
  return params;
}

/** A JSON-RPC call, with Fabric's CLI wording for a user who is not logged in on the peer. */
async function submit(client: RestClient, method: 'deploy' | 'invoke' | 'query', params: ChaincodeParams): Promise<string> {
  try {
    return await client.chaincode(method, params);
  } catch (error) {
    if (error instanceof RestError && error.code === -32000) {
      throw new CliError(`User '${params.secureContext ?? ''}' not logged in. Use the 'weft network login' command to obtain a security token.`);
    }
    throw error;
  }
}

function waitSeconds(flag: string | boolean | undefined): number | undefined {
  if (flag === undefined || flag === false) return undefined;
  if (flag === true) return 60;
  const seconds = Number(flag);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new CliError(`--wait takes a number of seconds, got "${flag}"`);
  return seconds;
}

async function reportCommit(client: RestClient, txid: string, seconds: number, context: CliContext): Promise<void> {
  context.io.stderr(`Waiting up to ${seconds}s for ${txid} to commit…`);
  const status = await client.waitForTransaction(txid, seconds * 1000);
  if (status.status === 'committed') context.io.stdout(`Committed in block ${status.blockNumber}`);
  else if (status.status === 'rejected') throw new CliError(`Transaction ${txid} was rejected in block ${status.blockNumber}: ${status.error}`);
  else throw new CliError(`Transaction ${txid} did not commit within ${seconds}s`);
}

async function readModule(path: string, context: CliContext): Promise<Uint8Array> {
  const absolute = resolve(context.cwd, path);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(absolute)).isDirectory();
  } catch {
    throw new CliError(`Chaincode path ${path} does not exist`);
  }
  if (isDirectory) {
    context.io.stderr(`Building ${path} with asc…`);
    const started = Date.now();
    const { wasm, outFile } = await buildChaincode(absolute);
    context.io.stderr(`Built ${outFile} (${wasm.length} bytes) in ${Date.now() - started} ms`);
    return wasm;
  }
  if (!absolute.endsWith('.wasm')) throw new CliError(`Chaincode path ${path} must be a chaincode folder or a .wasm file`);
  return new Uint8Array(await readFile(absolute));
}

function addCommonFlags(command: Command): Command {
  return command
    .option('-l, --lang <language>', 'chaincode language (Wasm; "golang" accepted for Fabric compatibility)', 'golang')
    .option('-c, --ctor <json>', 'constructor/arguments: {"Args":[…]} or {"Function":"f","Args":[…]}', '{}')
    .option('-a, --attributes <json>', 'transaction certificate attributes to request, e.g. ["position"]', '[]')
    .option('-p, --path <path>', 'chaincode folder (built with asc) or .wasm file')
    .option('-n, --name <name>', 'chaincode name (as returned by deploy)')
    .option('-u, --username <user>', 'enrolled user, logged in on the peer (required when security is enabled)')
    .option('--metadata <base64>', "caller metadata the chaincode reads with getCallerMetadata (e.g. an admin's ECert)")
    .option('--sign-metadata', "weft: the peer puts the user's ECert signature of payload and binding in the metadata (asset_management)")
    .option('--peer <address>', "peer REST address (default: rest.address of the config, or CORE_REST_ADDRESS)");
}

export function registerChaincodeCommands(program: Command, context: CliContext): void {
  const chaincode = program.command('chaincode').description('deploy, invoke and query chaincode; build chaincode folders');

  addCommonFlags(chaincode.command('deploy').description('deploy a chaincode: prints its name'))
    .option('--wait [seconds]', 'wait until the deploy commits (default 60 s) and report the outcome')
    .action(async (flags: ChaincodeFlags) => {
      if (!flags.path) throw new CliError('Must supply value for chaincode path parameter.');
      const params = specFrom(flags, context);
      const code = await readModule(flags.path, context);
      params.codePackage = Buffer.from(code).toString('base64');
      const client = new RestClient(peerAddress(flags.peer, context));
      const name = await submit(client, 'deploy', params);
      context.io.stdout(`Deploy chaincode: ${name}`);
      const seconds = waitSeconds(flags.wait);
      if (seconds !== undefined) await reportCommit(client, name, seconds, context);
    });

  addCommonFlags(chaincode.command('invoke').description('invoke a chaincode: prints the transaction id'))
    .option('-t, --tid <algorithm>', 'transaction id algorithm: sha256 (a hash of the arguments) instead of a UUID')
    .option('--wait [seconds]', 'wait until the transaction commits (default 60 s) and report the outcome')
    .action(async (flags: ChaincodeFlags) => {
      if (!flags.name) throw new CliError('Must supply value for chaincode name parameter.');
      const params = specFrom(flags, context);
      if (flags.tid) {
        if (flags.tid !== 'sha256') throw new CliError(`Unknown transaction id algorithm "${flags.tid}": only sha256 is supported`);
        (params as ChaincodeParams & { idGenerationAlg?: string }).idGenerationAlg = flags.tid;
      }
      const client = new RestClient(peerAddress(flags.peer, context));
      const txid = await submit(client, 'invoke', params);
      context.io.stdout(`Successfully invoked transaction: ${txid}`);
      const seconds = waitSeconds(flags.wait);
      if (seconds !== undefined) await reportCommit(client, txid, seconds, context);
    });

  addCommonFlags(chaincode.command('query').description('query a chaincode (read-only, on the receiving peer)'))
    .option('-r, --raw', 'print the raw result bytes')
    .option('-x, --hex', 'print the result in hexadecimal')
    .action(async (flags: ChaincodeFlags) => {
      if (flags.raw && flags.hex) throw new CliError('Options --raw (-r) and --hex (-x) are not compatible');
      if (!flags.name) throw new CliError('Must supply value for chaincode name parameter.');
      const client = new RestClient(peerAddress(flags.peer, context));
      const result = await submit(client, 'query', specFrom(flags, context));
      if (flags.hex) context.io.stdout(`Query Result: ${Buffer.from(result, 'utf8').toString('hex')}`);
      else if (flags.raw) context.io.stdout(`Query Result (Raw): ${result}`);
      else context.io.stdout(`Query Result: ${result}`);
    });

  chaincode
    .command('build')
    .description('compile an AssemblyScript chaincode folder to Wasm with asc')
    .argument('<dir>', 'chaincode folder (index.ts or assembly/index.ts)')
    .option('-o, --out <file>', 'output file (default <dir>/build/<dir name>.wasm)')
    .action(async (dir: string, flags: { out?: string }) => {
      const started = Date.now();
      context.io.stderr(`Building ${dir} with asc…`);
      const result = await buildChaincode(resolve(context.cwd, dir), flags.out ? { outFile: resolve(context.cwd, flags.out) } : {});
      if (result.diagnostics.trim()) context.io.stderr(result.diagnostics.trim());
      context.io.stdout(`Built ${result.outFile} (${result.wasm.length} bytes) in ${Date.now() - started} ms`);
    });
}
