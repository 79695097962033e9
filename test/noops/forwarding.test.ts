// A non-validating peer forwards each transaction to f+1 connected validators, rotating which,
// and refuses clearly when it cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ForwardingConsensus } from '../../network/forward/forwarding-consensus.ts';
import type { Channel, PeerInfo, PeerTransport } from '../../network/transport/types.ts';

function fakeTransport(peers: PeerInfo[]): { transport: PeerTransport; sent: Array<{ to: string; channel: Channel; payload: Uint8Array }> } {
  const sent: Array<{ to: string; channel: Channel; payload: Uint8Array }> = [];
  const transport: PeerTransport = {
    selfId: 'nvp0',
    start: async () => {},
    stop: async () => {},
    connected: () => peers,
    send: (to, channel, payload) => sent.push({ to, channel, payload }),
    broadcast: () => {},
    onMessage: () => {},
    request: async () => new Uint8Array(0),
    onRequest: () => {},
  };
  return { transport, sent };
}

const peer = (id: string, validator = true): PeerInfo => ({ id, address: '', validator, pkiID: id });

test('each transaction goes to f+1 validators on the transaction channel, never to a non-validator', async () => {
  const { transport, sent } = fakeTransport([peer('vp0'), peer('nvp1', false), peer('vp1'), peer('vp2'), peer('vp3')]);
  const forwarding = new ForwardingConsensus(transport, { plugin: 'pbft', fanout: 2, transactionBytesMax: 100 });
  await forwarding.start();
  await forwarding.submit(new Uint8Array([1]));
  await forwarding.submit(new Uint8Array([2]));
  assert.deepEqual(sent.map((s) => `${s.to}:${s.channel}:${s.payload[0]}`), ['vp0:transaction:1', 'vp1:transaction:1', 'vp1:transaction:2', 'vp2:transaction:2']);
  assert.equal(forwarding.status().forwarded, 2);
});

test('no validator connected, an oversized transaction or a stopped peer is refused with a reason', async () => {
  const none = new ForwardingConsensus(fakeTransport([peer('nvp1', false)]).transport, { plugin: 'pbft', fanout: 2, transactionBytesMax: 100 });
  await none.start();
  await assert.rejects(none.submit(new Uint8Array([1])), /no validating peer is connected/);
  const some = new ForwardingConsensus(fakeTransport([peer('vp0')]).transport, { plugin: 'noops', fanout: 1, transactionBytesMax: 4 });
  await some.start();
  await assert.rejects(some.submit(new Uint8Array(5)), /transaction of 5 bytes exceeds 4/);
  await some.stop();
  await assert.rejects(some.submit(new Uint8Array(1)), /stopping/);
  assert.throws(() => new ForwardingConsensus(fakeTransport([]).transport, { plugin: 'pbft', fanout: 0, transactionBytesMax: 4 }), /fanout/);
});
