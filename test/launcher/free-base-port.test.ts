// freeBasePort: every port of the layout it answers is free and below Linux's ephemeral range,
// where a peer's own outgoing connections could take a listening port before it is bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { freeBasePort, planNetwork } from '../../host/launcher/network-launcher.ts';

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

test('the ports of 1, 4 and 10 peers are free and below 32768', async () => {
  for (const peers of [1, 4, 10]) {
    const base = await freeBasePort(peers);
    const layout = planNetwork({ peers, consensus: peers >= 4 ? 'pbft' : 'noops', dataDir: '/tmp/unused', basePort: base });
    const ports = layout.peers.flatMap((p) => [p.restAddress, p.listenAddress, p.eventsAddress].map((a) => Number(a.split(':').at(-1))));
    assert.equal(ports.length, peers * 3);
    for (const port of ports) {
      assert.ok(port >= 20_000 && port < 32_768, `port ${port} of ${peers} peers`);
      assert.equal(await bindable(port), true, `port ${port} is free`);
    }
  }
});

test('a layout too wide to fit below the ephemeral range is refused with a clear error', async () => {
  await assert.rejects(freeBasePort(200), { message: 'no free ports for 200 peers below the ephemeral range (32768)' });
});
