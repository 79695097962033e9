// Validator identities on the wire: real libp2p transports admitting members by the validator
// certificates a real CA issued (host/peer/peer-transport.ts validatorAdmission). Two enrolled
// validators admit each other; a member presenting a validator certificate issued for another
// key is hung up on by both and never listed as connected.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { Membersrvc } from '../../host/membersrvc/membersrvc.ts';
import { validatorAdmission } from '../../host/peer/peer-transport.ts';
import { CaClient } from '../../host/security/ca-client.ts';
import { CertificateVerifier } from '../../host/security/cert-verifier.ts';
import type { Libp2pTransport } from '../../network/transport/libp2p-transport.ts';
import { makePeers, startNetwork, waitFor } from '../transport/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-vtransport-'));
const ca = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'ca') });
const client = new CaClient(ca.url);
const secrets: Record<string, string> = { vp0: 'MwYpmSRjupbT', vp1: '5wgHK9qqYaPy', vp2: 'vQelbRvja7cJ' };
const peers = await makePeers(['vp0', 'vp1', 'vp2']);
const admissions = await Promise.all(
  peers.map(async (peer) => {
    const enrollment = await client.enroll(`test_${peer.id}`, secrets[peer.id]!);
    const verifier = new CertificateVerifier(enrollment.caCerts);
    // vp2 is an impostor: its certificate binds test_vp2 to a key that is not its libp2p key.
    const certifiedKey = peer.id === 'vp2' ? (await generateKeyPair('Ed25519')).publicKey.raw : peer.key.publicKey.raw;
    const security = { verifier, validatorCertificate: (publicKey: Uint8Array) => client.validatorCert(enrollment, publicKey) };
    return validatorAdmission(security, certifiedKey, true);
  }),
);
const transports: Libp2pTransport[] = await startNetwork(peers, (peer) => ({ admission: admissions[peers.indexOf(peer)] }));
const byId = (id: string) => transports.find((t) => t.selfId === id) as Libp2pTransport;

after(async () => {
  await Promise.all(transports.map((t) => t.stop()));
  await ca.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('enrolled validators admit each other; a certificate for another key is refused by both', async () => {
  await waitFor('vp0 and vp1 admitted each other', () => byId('vp0').connected().map((p) => p.id).join() === 'vp1' && byId('vp1').connected().map((p) => p.id).join() === 'vp0');
  await waitFor('both refused vp2', () => byId('vp0').stats().refusedAdmissions >= 1 && byId('vp1').stats().refusedAdmissions >= 1, 15_000);
  assert.deepEqual(byId('vp0').connected().map((p) => p.id), ['vp1']);
  assert.deepEqual(byId('vp1').connected().map((p) => p.id), ['vp0']);
  const received: string[] = [];
  byId('vp0').onMessage('consensus', (from, payload) => received.push(`${from}:${new TextDecoder().decode(payload)}`));
  byId('vp1').broadcast('consensus', new TextEncoder().encode('prepare'));
  byId('vp2').send('vp0', 'consensus', new TextEncoder().encode('forged prepare'));
  await waitFor('the admitted message', () => received.length >= 1);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(received, ['vp1:prepare']);
});
