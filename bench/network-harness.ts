// Networks of real peer processes for the benches: started in a temporary directory on free
// ports through the launcher, always stopped afterwards; and example02 deployed on them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupUntilDone } from '../host/bench/cleanups.ts';
import { freeBasePort, networkDown, networkUp, type NetworkLayout } from '../host/launcher/network-launcher.ts';

export async function withNetwork(
  options: { peers: number; consensus: 'pbft' | 'noops'; env?: Record<string, string> },
  body: (layout: NetworkLayout, dataDir: string) => Promise<void>,
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'weft-bench-'));
  const cleanup = async (): Promise<void> => {
    await networkDown(dataDir).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  const done = cleanupUntilDone(cleanup);
  try {
    const layout = await networkUp({ ...options, env: options.env ?? {}, dataDir, basePort: await freeBasePort(options.peers), ownedBy: process.pid });
    await body(layout, dataDir);
  } finally {
    done();
    await cleanup();
  }
}

export { deployExample02 as runExample02Deploy } from '../test/integration/harness.ts';
