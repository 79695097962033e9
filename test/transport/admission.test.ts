// Admission beyond the member list (security.enabled): a member whose credential fails the check
// is hung up on and never appears in connected(); the others admit each other and talk.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdmissionCandidate, Libp2pTransport, TransportAdmission } from '../../network/transport/libp2p-transport.ts';
import { makePeers, startNetwork, waitFor } from './helpers.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const peers = await makePeers(['vp0', 'vp1', 'vp2']);
const checked: string[] = [];

/** Each peer presents "cert:<id>"; vp2 presents a forged one, which vp0's check refuses and vp1's accepts. */
function admission(self: string): TransportAdmission {
  return {
    credential: text(self === 'vp2' ? 'forged' : `cert:${self}`),
    check(member: AdmissionCandidate, credential: Uint8Array) {
      const shown = new TextDecoder().decode(credential);
      checked.push(`${self} checked ${member.id} (${member.peerId === peers.find((p) => p.id === member.id)?.peerId ? 'its key' : 'another key'}): ${shown}`);
      if (self === 'vp0' && shown !== `cert:${member.id}`) return { ok: false, reason: `${member.id} presented "${shown}"` };
      return { ok: true };
    },
  };
}

const transports: Libp2pTransport[] = await startNetwork(peers, (peer) => ({ admission: admission(peer.id) }));
const byId = (id: string) => transports.find((t) => t.selfId === id) as Libp2pTransport;
const received: string[] = [];
for (const t of transports) t.onMessage('consensus', (from, payload) => received.push(`${from}>${t.selfId}:${new TextDecoder().decode(payload)}`));
after(() => Promise.all(transports.map((t) => t.stop())));

test('a member whose credential fails is refused; the admitted ones talk; the refused one reaches only those who admit it', async () => {
  await waitFor('vp0 and vp1 admit each other, vp1 admits vp2', () =>
    byId('vp0').connected().map((p) => p.id).join() === 'vp1' && byId('vp1').connected().map((p) => p.id).join() === 'vp0,vp2');
  await waitFor('vp0 refuses vp2', () => byId('vp0').stats().refusedAdmissions >= 1);
  assert.ok(checked.includes('vp0 checked vp1 (its key): cert:vp1'));
  assert.ok(checked.includes('vp0 checked vp2 (its key): forged'));
  assert.ok(!byId('vp0').connected().some((p) => p.id === 'vp2'));

  byId('vp1').broadcast('consensus', text('from vp1'));
  byId('vp2').broadcast('consensus', text('from vp2'));
  byId('vp2').send('vp0', 'consensus', text('direct from vp2'));
  await waitFor('vp1 and vp2 messages', () => received.length >= 3);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual([...received].sort(), ['vp1>vp0:from vp1', 'vp1>vp2:from vp1', 'vp2>vp1:from vp2']);
});
