// Membership services over its HTTP API: enrollment (right and wrong secrets, twice), ECerts and
// TCerts that openssl reads, TCert keys the owner can derive and no one else can link, attributes
// with validity periods, registration rights, revocation, validator certificates, bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadCaConfig } from '../../host/membersrvc/ca-config.ts';
import { CertificateAuthority } from '../../host/membersrvc/certificate-authority.ts';
import { buildCaServer } from '../../host/membersrvc/ca-server.ts';
import { CaClient, CaClientError, type Enrollment } from '../../host/security/ca-client.ts';
import { CertKind, parseCertificate, readCertFields, toPem } from '../../host/security/cert-format.ts';
import { CertificateVerifier } from '../../host/security/cert-verifier.ts';
import { deriveTCertPrivateKey, publicPoint, signBytes, verifyBytes } from '../../host/security/keys.ts';
import { revocationListBytes } from '../../host/security/ca-requests.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-ca-'));
let ca: CertificateAuthority;
let app: FastifyInstance;
let client: CaClient;

before(async () => {
  ca = await CertificateAuthority.open(loadCaConfig(undefined, { storeDir: join(dir, 'store') }));
  app = buildCaServer(ca);
  client = new CaClient(await app.listen({ host: '127.0.0.1', port: 0 }));
});

after(async () => {
  await app.close();
  await ca.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rejects(promise: Promise<unknown>, status: number, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CaClientError, String(error));
    assert.equal(error.status, status);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

function opensslText(der: Uint8Array): string {
  const file = join(dir, `${createHash('sha256').update(der).digest('hex')}.pem`);
  writeFileSync(file, toPem(der));
  return execFileSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
}

const hasOpenssl = ['/usr/bin/openssl', '/bin/openssl', '/usr/local/bin/openssl'].some((p) => existsSync(p));

let jim: Enrollment;

test('enrollment: a wrong secret is refused, the right one gives an ECert, a second enrollment is refused', async () => {
  await rejects(client.enroll('jim', 'not-the-secret'), 401, 'Identity or token does not match.');
  await rejects(client.enroll('nobody', 'x'), 401, 'Identity or token does not match.');
  jim = await client.enroll('jim', '6avZQLwcUe9b');
  const cert = parseCertificate(jim.ecert);
  assert.equal(cert.subject, 'CN=jim, O=bank_a');
  assert.equal(cert.issuer, 'CN=weft ECA, O=weft');
  const fields = readCertFields(cert);
  assert.equal(fields.kind, CertKind.ECERT);
  assert.equal(fields.roles, 1);
  await rejects(client.enroll('jim', '6avZQLwcUe9b'), 401, 'User jim is already enrolled: an enrollment secret can be used only once.');
});

test('openssl reads the ECert and a TCert: P-256, ECDSA with SHA-256, issued by the ECA and TCA', { skip: !hasOpenssl && 'openssl not installed' }, async () => {
  const ecertText = opensslText(jim.ecert);
  assert.match(ecertText, /Issuer: CN = weft ECA, O = weft/);
  assert.match(ecertText, /Subject: CN = jim, O = bank_a/);
  assert.match(ecertText, /NIST CURVE: P-256/);
  assert.match(ecertText, /Signature Algorithm: ecdsa-with-SHA256/);
  const [tcert] = await client.tcerts(jim, 1, ['position']);
  const tcertText = opensslText(tcert!);
  assert.match(tcertText, /Issuer: CN = weft TCA, O = weft/);
  assert.doesNotMatch(tcertText, /jim/);
  assert.match(tcertText, /Project Manager/); // attributes are in the clear, as in Fabric's default
  // openssl verifies the TCert's signature against the TCA certificate.
  const caFile = join(dir, 'tca.pem');
  const certFile = join(dir, 'tcert.pem');
  writeFileSync(caFile, toPem(Buffer.from(jim.caCerts.tca, 'base64')));
  writeFileSync(certFile, toPem(tcert!));
  assert.equal(execFileSync('openssl', ['verify', '-CAfile', caFile, certFile], { encoding: 'utf8' }).trim(), `${certFile}: OK`);
});

test('TCerts: the owner derives each private key; the certificates do not name or link the owner; the CA can', async () => {
  const tcerts = await client.tcerts(jim, 3, ['position', 'company', 'not_held']);
  assert.equal(tcerts.length, 3);
  const verifier = new CertificateVerifier(jim.caCerts);
  const points = new Set<string>();
  for (const der of tcerts) {
    const fields = readCertFields(parseCertificate(der));
    assert.equal(fields.kind, CertKind.TCERT);
    assert.deepEqual(
      [...fields.attributes].map(([k, v]) => `${k}=${Buffer.from(v).toString()}`),
      ['position=Project Manager', 'company=ACompany'],
    );
    const checked = verifier.check(der, 'tca', Date.now(), 'tcert');
    assert.ok(checked.ok);
    const key = deriveTCertPrivateKey(jim.privateKey, jim.kdfKey, fields.tcertNonce!);
    const message = new TextEncoder().encode('hello');
    assert.equal(verifyBytes(checked.cert.publicKey, message, signBytes(key, message)), true);
    // The enrollment key does not verify for a TCert: the keys differ.
    assert.equal(verifyBytes(checked.cert.publicKey, message, signBytes(jim.privateKey, message)), false);
    assert.doesNotMatch(parseCertificate(der).subject, /jim/);
    points.add(Buffer.from(publicPoint(checked.cert.publicKey)).toString('hex'));
    assert.equal(ca.openTCert(der), 'jim');
  }
  assert.equal(points.size, 3);
  const ecertKey = new X509Certificate(jim.ecert).publicKey;
  assert.equal(points.has(Buffer.from(publicPoint(ecertKey)).toString('hex')), false);
});

test('attributes honour their validity periods: diego is a Software Engineer now, no longer Software Staff', async () => {
  const diego = await client.enroll('diego', 'DRJ23pEQl16a');
  const [tcert] = await client.tcerts(diego, 1, ['position']);
  assert.equal(Buffer.from(readCertFields(parseCertificate(tcert!)).attributes.get('position')!).toString(), 'Software Engineer');
  const [plain] = await client.tcerts(diego, 1);
  assert.equal(readCertFields(parseCertificate(plain!)).attributes.size, 0);
});

test('TCert requests: unsigned, wrongly signed, stale, too many or from a stranger are refused', async () => {
  const lukas = await client.enroll('lukas', 'NPKYL39uKbkj');
  const impostor = { enrollId: 'jim', privateKey: lukas.privateKey };
  await rejects(client.tcerts(impostor, 1), 401, "Signature of jim's request does not verify with its enrollment key.");
  await rejects(client.tcerts(jim, 501), 400, 'count must be an integer from 1 to 500');
  await rejects(client.tcerts(jim, 0), 400, 'count must be an integer from 1 to 500');
  await rejects(client.tcerts({ enrollId: 'bob', privateKey: jim.privateKey }, 1), 401, 'Identity bob is not enrolled.');
  const stale = await fetch(`${client.baseUrl}/tca/tcerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enrollId: 'jim', count: 1, attributes: [], timestamp: Date.now() - 3_600_000, signature: 'AAAA' }),
  });
  assert.equal(stale.status, 401);
  assert.deepEqual(await stale.json(), { Error: "Request timestamp is missing or more than 300 s from the CA's clock." });
  for (const body of ['not json', '[]', '{"enrollId":"../x"}']) {
    const response = await fetch(`${client.baseUrl}/tca/tcerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(response.status, 400, body);
    assert.equal(typeof ((await response.json()) as { Error: string }).Error, 'string');
  }
  const huge = await fetch(`${client.baseUrl}/eca/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'a'.repeat(100_000) }) });
  assert.equal(huge.status, 413);
  // Still serving.
  assert.equal((await client.tcerts(jim, 1)).length, 1);
});

let webAppAdmin: Enrollment;

test('registration: only a registrar with the role may register; the new user enrolls once with the secret', async () => {
  const user1 = await client.enroll('test_user1', 'jGlNl6ImkuDo');
  await rejects(client.register(user1, { id: 'carol', roles: ['client'], affiliation: 'bank_a' }), 403, 'test_user1 is not a registrar: it may not register users.');
  webAppAdmin = await client.enroll('WebAppAdmin', 'DJY27pEnl16d');
  await rejects(client.register(webAppAdmin, { id: 'carol', roles: ['validator'], affiliation: 'bank_a' }), 403, 'Registrar WebAppAdmin may not register users with the roles asked for.');
  await rejects(client.register(webAppAdmin, { id: 'carol', roles: ['client'], affiliation: 'bank_z' }), 400, 'Unknown affiliation "bank_z".');
  await rejects(client.register(webAppAdmin, { id: 'carol', roles: ['boss'], affiliation: 'bank_a' }), 400, 'roles: unknown role "boss" (client, peer, validator, auditor)');
  await rejects(
    client.register(webAppAdmin, { id: 'carol', roles: ['client'], affiliation: 'bank_a', registrar: { roles: ['client'], delegateRoles: [] } }),
    403,
    'Registrar WebAppAdmin may not delegate the registrar roles asked for.',
  );
  const secret = await client.register(webAppAdmin, { id: 'carol', roles: ['client'], affiliation: 'bank_a' });
  await rejects(client.register(webAppAdmin, { id: 'carol', roles: ['client'], affiliation: 'bank_a' }), 409, 'User carol is already registered.');
  const carol = await client.enroll('carol', secret);
  assert.equal(parseCertificate(carol.ecert).subject, 'CN=carol, O=bank_a');
  const admin = await client.enroll('admin', 'Xurw3yU9zI0l');
  const vpSecret = await client.register(admin, { id: 'new_vp', roles: ['validator'], affiliation: '' });
  assert.equal(readCertFields(parseCertificate((await client.enroll('new_vp', vpSecret)).ecert)).roles, 4);
});

test('revocation: a revoked user gets no more certificates and its certificates are on the signed CRL', async () => {
  const bob = await client.enroll('bob', 'NOE63pEQbL25');
  const [tcert] = await client.tcerts(bob, 1);
  const user3 = await client.enroll('test_user3', 'vWdLCE00vJy0');
  await rejects(client.revoke(user3, 'bob'), 403, 'Registrar test_user3 may not revoke bob.');
  assert.deepEqual((await client.revocationList()).serials, []);
  assert.equal(await client.revoke(webAppAdmin, 'bob'), 2); // the ECert and the TCert
  await rejects(client.tcerts(bob, 1), 403, 'Identity bob is revoked.');
  const crl = await client.revocationList();
  assert.equal(crl.serials.length, 2);
  const ecaKey = new X509Certificate(Buffer.from(bob.caCerts.eca, 'base64')).publicKey;
  assert.equal(verifyBytes(ecaKey, revocationListBytes({ serials: crl.serials, issuedAt: crl.issuedAt }), Buffer.from(crl.signature, 'base64')), true);
  const verifier = new CertificateVerifier(bob.caCerts);
  assert.equal(verifier.check(tcert!, 'tca', Date.now(), 'transaction t1').ok, true);
  verifier.setRevoked(crl.serials);
  const checked = verifier.check(tcert!, 'tca', Date.now(), 'transaction t1');
  assert.equal(checked.ok, false);
  assert.match((checked as { error: string }).error, /^transaction t1: certificate [0-9A-F]+ is revoked$/);
});

test('validator certificates: for validators only, bound to the Ed25519 key they were asked for', async () => {
  const vp0 = await client.enroll('test_vp0', 'MwYpmSRjupbT');
  const key = new Uint8Array(32).fill(7);
  const der = await client.validatorCert(vp0, key);
  const cert = parseCertificate(der);
  assert.equal(cert.subject, 'CN=test_vp0');
  assert.equal(cert.issuer, 'CN=weft TLSCA, O=weft');
  assert.equal(readCertFields(cert).kind, CertKind.VALIDATOR);
  const user2 = await client.enroll('test_user2', 'zMflqOKezFiA');
  await rejects(client.validatorCert(user2, key), 403, 'test_user2 is not a peer: only users with the validator or peer role get a network identity certificate.');
  await rejects(client.validatorCert(vp0, new Uint8Array(31)), 400, 'peerPublicKey must be a 32-byte Ed25519 public key');
  if (hasOpenssl) assert.match(opensslText(der), /ED25519/);
});

test('the CA keeps its keys and users across a restart', async () => {
  const before = ca.caCertificates();
  await app.close();
  await ca.close();
  ca = await CertificateAuthority.open(loadCaConfig(undefined, { storeDir: join(dir, 'store') }));
  app = buildCaServer(ca);
  client = new CaClient(await app.listen({ host: '127.0.0.1', port: 0 }));
  assert.deepEqual(ca.caCertificates(), before);
  await rejects(client.enroll('jim', '6avZQLwcUe9b'), 401, 'User jim is already enrolled: an enrollment secret can be used only once.');
  assert.equal((await client.tcerts(jim, 1)).length, 1);
});

