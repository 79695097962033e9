// The check that binds a libp2p peer identity to an enrolled validator: accepted with its
// enrollment id; refused, each with its reason, for an impostor presenting another validator's
// certificate, a certificate of the wrong kind or from another CA, an expired or revoked one, a
// malformed peer id, or the wrong validator for the replica.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { Membersrvc } from '../../host/membersrvc/membersrvc.ts';
import { CaClient, type Enrollment } from '../../host/security/ca-client.ts';
import { CertificateVerifier } from '../../host/security/cert-verifier.ts';
import { checkValidatorIdentity } from '../../host/security/validator-identity.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-vid-'));
let ca: Membersrvc;
let other: Membersrvc;
let client: CaClient;
let vp0: Enrollment;
let verifier: CertificateVerifier;

async function libp2pIdentity(): Promise<{ peerId: string; publicKey: Uint8Array }> {
  const key = await generateKeyPair('Ed25519');
  return { peerId: peerIdFromPrivateKey(key).toString(), publicKey: key.publicKey.raw };
}

before(async () => {
  ca = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'ca') });
  other = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'other') });
  client = new CaClient(ca.url);
  vp0 = await client.enroll('test_vp0', 'MwYpmSRjupbT');
  verifier = new CertificateVerifier(vp0.caCerts);
});

after(async () => {
  await ca?.stop();
  await other?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('an enrolled validator is accepted by peer id or by key, and named', async () => {
  const identity = await libp2pIdentity();
  const certificate = await client.validatorCert(vp0, identity.publicKey);
  assert.deepEqual(checkValidatorIdentity({ peerId: identity.peerId, certificate }, verifier), { ok: true, enrollId: 'test_vp0', roles: 4 });
  assert.deepEqual(checkValidatorIdentity({ publicKey: identity.publicKey, certificate, expectedEnrollId: 'test_vp0' }, verifier), { ok: true, enrollId: 'test_vp0', roles: 4 });
  assert.deepEqual(checkValidatorIdentity({ peerId: identity.peerId, certificate, expectedEnrollId: 'test_vp1' }, verifier), {
    ok: false,
    reason: 'validator certificate names test_vp0, expected test_vp1',
  });
});

test("an impostor presenting a validator's certificate with its own peer identity is refused", async () => {
  const real = await libp2pIdentity();
  const impostor = await libp2pIdentity();
  const certificate = await client.validatorCert(vp0, real.publicKey);
  assert.deepEqual(checkValidatorIdentity({ peerId: impostor.peerId, certificate }, verifier), {
    ok: false,
    reason: 'validator certificate of test_vp0 is bound to another peer identity',
  });
});

test('wrong kind, another CA, expired, revoked, malformed: each refused with its reason', async () => {
  const identity = await libp2pIdentity();
  assert.deepEqual(checkValidatorIdentity({ peerId: identity.peerId, certificate: vp0.ecert }, verifier), {
    ok: false,
    reason: 'validator certificate: an enrollment certificate (issued by the ECA) where one from the TLSCA is required',
  });
  const foreignClient = new CaClient(other.url);
  const foreignVp = await foreignClient.enroll('test_vp0', 'MwYpmSRjupbT');
  const foreign = await foreignClient.validatorCert(foreignVp, identity.publicKey);
  assert.deepEqual(checkValidatorIdentity({ peerId: identity.peerId, certificate: foreign }, verifier), {
    ok: false,
    reason: "validator certificate: certificate was not issued by this network's membership services",
  });
  const certificate = await client.validatorCert(vp0, identity.publicKey);
  const later = Date.now() + 2 * 365 * 24 * 3_600_000;
  const expired = checkValidatorIdentity({ peerId: identity.peerId, certificate }, verifier, later);
  assert.equal(expired.ok, false);
  assert.match((expired as { reason: string }).reason, /^validator certificate: certificate expired at \d{4}-\d\d-\d\dT/);
  assert.deepEqual(checkValidatorIdentity({ peerId: 'not-a-peer-id', certificate }, verifier).ok, false);
  assert.match((checkValidatorIdentity({ peerId: 'not-a-peer-id', certificate }, verifier) as { reason: string }).reason, /^malformed peer id not-a-peer-id: /);
  assert.deepEqual(checkValidatorIdentity({ peerId: identity.peerId, certificate: new Uint8Array([0x30, 0x03, 1, 2, 3]) }, verifier).ok, false);
  assert.deepEqual(checkValidatorIdentity({ peerId: identity.peerId, certificate: new Uint8Array(9_000) }, verifier), {
    ok: false,
    reason: 'validator certificate: certificate chain of 9000 bytes exceeds CERT_BYTES_MAX (8192): one certificate is expected',
  });
  // Revoked: the admin revokes test_vp0.
  const admin = await client.enroll('admin', 'Xurw3yU9zI0l');
  await client.revoke(admin, 'test_vp0');
  verifier.setRevoked((await client.revocationList()).serials);
  const revoked = checkValidatorIdentity({ peerId: identity.peerId, certificate }, verifier);
  assert.match((revoked as { reason: string }).reason, /^validator certificate: certificate [0-9A-F]+ is revoked$/);
});
