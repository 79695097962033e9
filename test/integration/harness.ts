// Helpers for integration tests that run real peer processes on 127.0.0.1: free ports, a
// temporary network through the launcher, and the CLI run as its own process.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildChaincode } from '../../host/chaincode/build.ts';
import { freeBasePort, networkDown, networkUp, type NetworkLayout } from '../../host/launcher/network-launcher.ts';
import { RestClient } from '../../host/rest/client.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI_MAIN = join(REPO_ROOT, 'host', 'cli', 'main.ts');

export interface TestNetwork {
  layout: NetworkLayout;
  dataDir: string;
  down(): Promise<void>;
}

/** Starts a network of real peer processes in a temporary directory. */
export async function startNetwork(options: {
  peers: number;
  consensus: 'pbft' | 'noops';
  env?: Record<string, string>;
  peerEnv?: Record<string, Record<string, string>>;
}): Promise<TestNetwork> {
  const dataDir = await mkdtemp(join(tmpdir(), 'weft-it-'));
  const basePort = await freeBasePort(options.peers);
  const layout = await networkUp({
    peers: options.peers,
    consensus: options.consensus,
    dataDir,
    basePort,
    env: options.env ?? {},
    ...(options.peerEnv ? { peerEnv: options.peerEnv } : {}),
    readyTimeoutMs: 60_000,
    // A test process that dies (a timeout, Ctrl-C) takes its peers with it.
    ownedBy: process.pid,
  });
  return {
    layout,
    dataDir,
    async down() {
      await networkDown(dataDir).catch(() => undefined);
      if (!process.env.WEFT_KEEP_TEST_DATA) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The last lines of a peer's log, for failure messages: a flaky run on CI leaves nothing else behind. */
export async function peerLogTail(network: TestNetwork, id: string, lines = 40): Promise<string> {
  const text = await readFile(join(network.dataDir, id, 'peer.log'), 'utf8').catch((error: Error) => `(no log: ${error.message})`);
  return `--- ${id}/peer.log (last ${lines} lines)\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `weft <args>` as its own process (the same entry point a user's shell runs). */
export function weft(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runScript(CLI_MAIN, args, env);
}

/** Runs a script of this repository (the CLI, a bench) with Node, in the repository's root. */
export function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [script, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** One JSON-RPC call to /chaincode; returns the HTTP status and the parsed body. */
export async function rpc(restAddress: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`http://${restAddress}/chaincode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

export async function getJson(restAddress: string, path: string): Promise<{ status: number; json: any }> {
  const response = await fetch(`http://${restAddress}${path}`);
  return { status: response.status, json: JSON.parse(await response.text()) };
}

/** Polls until fn returns a value that satisfies accept, or the timeout passes (then returns the last value). */
export async function eventually<T>(fn: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 30_000, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    try {
      value = await fn();
      if (accept(value)) return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) {
      if (value === undefined) throw new Error('timed out');
      return value;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Deploys chaincode_example02 (a=100, b=200) through one peer and waits for the commit; returns its name. */
export async function deployExample02(rest: string): Promise<string> {
  const { wasm } = await buildChaincode(join(REPO_ROOT, 'chaincode', 'chaincode_example02'));
  const client = new RestClient(rest);
  const name = await client.chaincode('deploy', {
    type: 1,
    chaincodeID: { path: 'chaincode/chaincode_example02' },
    ctorMsg: { args: ['init', 'a', '100', 'b', '200'] },
    codePackage: Buffer.from(wasm).toString('base64'),
  });
  const status = await client.waitForTransaction(name, 60_000);
  if (status.status !== 'committed') throw new Error(`example02 deploy did not commit: ${JSON.stringify(status)}`);
  return name;
}

/** One example02 query over REST: the value, or the error text. */
export async function queryValue(rest: string, name: string, key: string): Promise<string> {
  const { json } = await rpc(rest, { jsonrpc: '2.0', method: 'query', params: { chaincodeID: { name }, ctorMsg: { args: ['query', key] } }, id: 1 });
  return json.result?.message ?? `error: ${json.error?.data}`;
}

/** Submits an example02 move over REST; returns the txid. */
export async function move(rest: string, name: string, from: string, to: string, amount: number): Promise<string> {
  const { json } = await rpc(rest, { jsonrpc: '2.0', method: 'invoke', params: { chaincodeID: { name }, ctorMsg: { args: ['invoke', from, to, String(amount)] } }, id: 1 });
  if (!json.result) throw new Error(`invoke refused: ${JSON.stringify(json)}`);
  return json.result.message as string;
}

/** Where a transaction stands on one peer (weft's /weft/transactions/{txid}/status). */
export async function txStatus(rest: string, txid: string): Promise<string> {
  return (await getJson(rest, `/weft/transactions/${txid}/status`)).json.status as string;
}
