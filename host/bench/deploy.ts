// Getting a workload's chaincode onto the peers for `weft bench`: its module from
// chaincode/<label>/build (built first if missing or stale), deployed through one peer with a
// fresh constructor argument (so each run starts from empty state under a new chaincode name,
// even on a network that ran the workload before), and awaited on every peer.
import { readFile } from 'node:fs/promises';
import { buildAll } from '../chaincode/build-all.ts';
import { RestClient } from '../rest/client.ts';
import type { BenchTarget } from './driver.ts';

export class BenchSetupError extends Error {
  override name = 'BenchSetupError';
}

/** The built module of a chaincode folder (a build-all label such as `blockbench/kvstore`). */
export async function chaincodeModule(label: string): Promise<Uint8Array> {
  const lines: string[] = [];
  const [outcome] = await buildAll({ only: [label], log: (line) => lines.push(line) });
  if (outcome === undefined) throw new BenchSetupError(`No chaincode folder chaincode/${label}`);
  if (outcome.status === 'failed') throw new BenchSetupError(`chaincode/${label} does not build:\n${lines.join('\n')}`);
  return new Uint8Array(await readFile(outcome.folder.outFile));
}

/** Deploys the module through the first target and waits until every target has committed it; returns the chaincode's name. */
export async function deployOnAll(targets: BenchTarget[], label: string, wasm: Uint8Array, nonce: string, timeoutMs: number): Promise<string> {
  const first = targets[0];
  if (first === undefined) throw new BenchSetupError('no peers to deploy on');
  const name = await new RestClient(first.rest).chaincode('deploy', {
    type: 1,
    chaincodeID: { path: `chaincode/${label}` },
    ctorMsg: { args: ['init', nonce] },
    codePackage: Buffer.from(wasm).toString('base64'),
  });
  await Promise.all(
    targets.map(async (target) => {
      const status = await new RestClient(target.rest).waitForTransaction(name, timeoutMs);
      if (status.status === 'rejected') throw new BenchSetupError(`The deploy of ${label} was rejected on ${target.id}: ${status.error}`);
      if (status.status !== 'committed') throw new BenchSetupError(`The deploy of ${label} did not commit on ${target.id} within ${timeoutMs / 1000} s`);
    }),
  );
  return name;
}
