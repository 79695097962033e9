// Network identities on the wire: real libp2p transports admitting members by the certificates
// a real CA issued (host/peer/peer-transport.ts validatorAdmission). Enrolled validators admit
// each other and an enrolled non-validating peer; a member presenting a certificate issued for
// another key, or none, is hung up on and never listed as connected; a validator slot needs the
// validator role, and the CA gives no network certificate to a client.
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
import { checkValidatorIdentity } from '../../host/security/validator-identity.ts';
import type { Libp2pTransport } from '../../network/transport/libp2p-transport.ts';
import { makePeers, startNetwork, waitFor } from '../transport/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-vtransport-'));
const ca = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'ca') });
const client = new CaClient(ca.url);
// nvp1 enrolls as test_nvp1 but presents no certificate at all.
const enrollAs: Record<string, [string, string]> = {
  vp0: ['test_vp0', 'MwYpmSRjupbT'],
  vp1: ['test_vp1', '5wgHK9qqYaPy'],
  vp2: ['test_vp2', 'vQelbRvja7cJ'],
  nvp0: ['test_nvp0', 'iywrPBDEPl0K'],
  nvp1: ['test_nvp1', 'DcYXuRSocuqd'],
};
const peers = await makePeers(['vp0', 'vp1', 'vp2', 'nvp0', 'nvp1']);
const enrollments = new Map(await Promise.all(peers.map(async (peer) => [peer.id, await client.enroll(...enrollAs[peer.id]!)] as const)));
const admissions = await Promise.all(
  peers.map(async (peer) => {
    const enrollment = enrollments.get(peer.id)!;
    const verifier = new CertificateVerifier(enrollment.caCerts);
    // vp2 is an impostor: its certificate binds test_vp2 to a key that is not its libp2p key.
    const certifiedKey = peer.id === 'vp2' ? (await generateKeyPair('Ed25519')).publicKey.raw : peer.key.publicKey.raw;
    const security = { verifier, validatorCertificate: (publicKey: Uint8Array) => client.validatorCert(enrollment, publicKey) };
    const admission = await validatorAdmission(security, certifiedKey);
    return peer.id === 'nvp1' ? { ...admission, credential: new Uint8Array(0) } : admission;
  }),
);
const transports: Libp2pTransport[] = await startNetwork(peers, (peer) => ({ admission: admissions[peers.indexOf(peer)] }));
const byId = (id: string) => transports.find((t) => t.selfId === id) as Libp2pTransport;

after(async () => {
  await Promise.all(transports.map((t) => t.stop()));
  await ca.stop();
  rmSync(dir, { recursive: true, force: true });
});

const connectedTo = (id: string): string => byId(id).connected().map((p) => p.id).sort().join();

test('enrolled validators admit each other and an enrolled non-validating peer; a certificate for another key, or none, is refused', async () => {
  await waitFor('vp0, vp1 and nvp0 admitted each other', () => connectedTo('vp0') === 'nvp0,vp1' && connectedTo('vp1') === 'nvp0,vp0' && connectedTo('nvp0') === 'vp0,vp1', 15_000);
  await waitFor('vp2 and nvp1 refused', () => byId('vp0').stats().refusedAdmissions >= 2 && byId('vp1').stats().refusedAdmissions >= 2, 15_000);
  assert.equal(connectedTo('vp0'), 'nvp0,vp1');
  assert.equal(connectedTo('vp1'), 'nvp0,vp0');
  const received: string[] = [];
  byId('vp0').onMessage('consensus', (from, payload) => received.push(`${from}:${new TextDecoder().decode(payload)}`));
  byId('vp1').broadcast('consensus', new TextEncoder().encode('prepare'));
  byId('vp2').send('vp0', 'consensus', new TextEncoder().encode('forged prepare'));
  await waitFor('the admitted message', () => received.length >= 1);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(received, ['vp1:prepare']);
});

test('a validator slot needs the validator role; the CA issues no network certificate to a client', async () => {
  const verifier = new CertificateVerifier(enrollments.get('vp0')!.caCerts);
  const nvp0 = peers.find((p) => p.id === 'nvp0')!;
  const certificate = await client.validatorCert(enrollments.get('nvp0')!, nvp0.key.publicKey.raw);
  assert.deepEqual(checkValidatorIdentity({ peerId: nvp0.peerId, certificate, as: 'peer' }, verifier), { ok: true, enrollId: 'test_nvp0', roles: 2 });
  assert.deepEqual(checkValidatorIdentity({ peerId: nvp0.peerId, certificate }, verifier), { ok: false, reason: 'test_nvp0 is not enrolled as a validator' });
  const lukas = await client.enroll('lukas', 'NPKYL39uKbkj');
  await assert.rejects(client.validatorCert(lukas, nvp0.key.publicKey.raw), /lukas is not a peer: only users with the validator or peer role get a network identity certificate\./);
});
