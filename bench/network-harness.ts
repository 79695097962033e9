// Networks of real peer processes for the benches: started in a temporary directory on free
// ports through the launcher, always stopped afterwards; and example02 deployed on them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChaincode, WEFT_ROOT } from '../host/chaincode/build.ts';
import { networkDown, networkUp, type NetworkLayout } from '../host/launcher/network-launcher.ts';
import { RestClient } from '../host/rest/client.ts';
import { freeBasePort } from '../test/integration/harness.ts';

export async function withNetwork(
  options: { peers: number; consensus: 'pbft' | 'noops'; env?: Record<string, string> },
  body: (layout: NetworkLayout, dataDir: string) => Promise<void>,
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'weft-bench-'));
  try {
    const layout = await networkUp({ ...options, env: options.env ?? {}, dataDir, basePort: await freeBasePort(options.peers) });
    await body(layout, dataDir);
  } finally {
    await networkDown(dataDir).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Deploys chaincode_example02 (a=100, b=200) through one peer and waits for the commit; returns its name. */
export async function runExample02Deploy(rest: string): Promise<string> {
  const { wasm } = await buildChaincode(join(WEFT_ROOT, 'chaincode', 'chaincode_example02'));
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
