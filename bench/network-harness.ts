// Networks of real peer processes for the benches: started in a temporary directory on free
// ports through the launcher, always stopped afterwards; and example02 deployed on them.
import { startBenchNetwork } from '../host/bench/bench-network.ts';
import type { NetworkLayout } from '../host/launcher/network-launcher.ts';

export async function withNetwork(
  options: { peers: number; consensus: 'pbft' | 'noops'; env?: Record<string, string> },
  body: (layout: NetworkLayout, dataDir: string) => Promise<void>,
): Promise<void> {
  const network = await startBenchNetwork(options);
  try {
    await body(network.layout, network.dataDir);
  } finally {
    await network.down();
  }
}

export { deployExample02 as runExample02Deploy } from '../test/integration/harness.ts';
