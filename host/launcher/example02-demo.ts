// The `npm start` walk-through on a running network: deploy chaincode_example02 (a=100, b=200)
// unless it is already deployed, move 10 from a to b, and show what every peer answers.
import { join } from 'node:path';
import { buildChaincode, WEFT_ROOT } from '../chaincode/build.ts';
import { chaincodeName } from '../peer/transactions.ts';
import { RestClient } from '../rest/client.ts';
import type { NetworkLayout } from './network-launcher.ts';

const EXAMPLE02 = join(WEFT_ROOT, 'chaincode', 'chaincode_example02');
const INIT_ARGS = ['init', 'a', '100', 'b', '200'];
const COMMIT_TIMEOUT_MS = 60_000;

export interface DemoResult {
  name: string;
  deployed: boolean;
  answers: Array<{ peer: string; a: string; b: string }>;
}

async function waitCommitted(client: RestClient, txid: string, what: string): Promise<void> {
  const status = await client.waitForTransaction(txid, COMMIT_TIMEOUT_MS);
  if (status.status === 'rejected') throw new Error(`${what} was rejected: ${status.error}`);
  if (status.status !== 'committed') throw new Error(`${what} did not commit within ${COMMIT_TIMEOUT_MS / 1000}s`);
}

/** Waits until every peer answers a query (they may still be catching up with the block). */
async function queryEverywhere(layout: NetworkLayout, name: string, key: string, expected?: string): Promise<Map<string, string>> {
  const answers = new Map<string, string>();
  const deadline = Date.now() + COMMIT_TIMEOUT_MS;
  for (const peer of layout.peers) {
    const client = new RestClient(peer.restAddress);
    for (;;) {
      try {
        const value = await client.chaincode('query', { chaincodeID: { name }, ctorMsg: { args: ['query', key] } });
        if (expected === undefined || value === expected || Date.now() > deadline) {
          answers.set(peer.id, value);
          break;
        }
      } catch (error) {
        if (Date.now() > deadline) {
          answers.set(peer.id, `error: ${(error as Error).message}`);
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return answers;
}

export async function runExample02Demo(layout: NetworkLayout, print: (line: string) => void): Promise<DemoResult> {
  const entry = layout.peers[0];
  if (!entry) throw new Error('The network has no peers');
  const client = new RestClient(entry.restAddress);
  print(`Building chaincode_example02 with asc…`);
  const { wasm } = await buildChaincode(EXAMPLE02);
  const name = chaincodeName(wasm, INIT_ARGS.map((a) => new TextEncoder().encode(a)));
  let deployed = false;
  const status = await client.transactionStatus(name);
  if (status.status !== 'committed') {
    print(`Deploying chaincode_example02 through ${entry.id}: init a=100 b=200`);
    await client.chaincode('deploy', {
      type: 1,
      chaincodeID: { path: 'chaincode/chaincode_example02' },
      ctorMsg: { args: INIT_ARGS },
      codePackage: Buffer.from(wasm).toString('base64'),
    });
    await waitCommitted(client, name, 'The deploy');
    deployed = true;
  } else {
    print(`chaincode_example02 is already deployed`);
  }
  print(`Name: ${name}`);
  const beforeA = await client.chaincode('query', { chaincodeID: { name }, ctorMsg: { args: ['query', 'a'] } });
  const beforeB = await client.chaincode('query', { chaincodeID: { name }, ctorMsg: { args: ['query', 'b'] } });
  print(`Invoking through ${entry.id}: move 10 from a to b`);
  const txid = await client.chaincode('invoke', { chaincodeID: { name }, ctorMsg: { args: ['invoke', 'a', 'b', '10'] } });
  await waitCommitted(client, txid, 'The invoke');
  const expectedB = String(Number(beforeB) + 10);
  const aAnswers = await queryEverywhere(layout, name, 'a', String(Number(beforeA) - 10));
  const bAnswers = await queryEverywhere(layout, name, 'b', expectedB);
  const answers = layout.peers.map((peer) => ({ peer: peer.id, a: aAnswers.get(peer.id) ?? '?', b: bAnswers.get(peer.id) ?? '?' }));
  for (const answer of answers) print(`  ${answer.peer}: a = ${answer.a}, b = ${answer.b}`);
  return { name, deployed, answers };
}
