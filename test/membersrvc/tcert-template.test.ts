// The fast TCert path: a certificate issued from a per-batch template is byte for byte the
// TBSCertificate @peculiar/x509 generates for the same values, openssl reads and verifies every
// certificate of a batch (not only the first, which the CA checks itself), the TCA answers each
// TCert's nonce, and the template refuses fields of the wrong size.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPublicKey, generateKeyPairSync, randomBytes, type webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { Membersrvc } from '../../host/membersrvc/membersrvc.ts';
import { TCertTemplate, newTCertSerial } from '../../host/membersrvc/tcert-template.ts';
import { CaClient } from '../../host/security/ca-client.ts';
import {
  CertKind,
  ECDSA_P256,
  Oid,
  SIGNING_ALGORITHM,
  encodeAttributesExtension,
  encodeKindExtension,
  encodeOctetsExtension,
  parseCertificate,
  readCertFields,
  toPem,
  x509,
} from '../../host/security/cert-format.ts';
import { publicPoint, signBytes, tcertKeyDeriver, verifyBytes } from '../../host/security/keys.ts';

type CryptoKey = webcrypto.CryptoKey;

const dir = mkdtempSync(join(tmpdir(), 'weft-tcert-template-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const hasOpenssl = ['/usr/bin/openssl', '/bin/openssl', '/usr/local/bin/openssl'].some((p) => existsSync(p));

/** A self-signed stand-in TCA: its certificate and keys. */
async function stubTca(): Promise<{ cert: x509.X509Certificate; privateKey: ReturnType<typeof generateKeyPairSync>['privateKey']; signingCryptoKey: CryptoKey }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signingCryptoKey = (await privateKey.toCryptoKey(ECDSA_P256, true, ['sign'])) as CryptoKey;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=test TCA, O=weft',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys: { privateKey: signingCryptoKey, publicKey: (await publicKey.toCryptoKey(ECDSA_P256, true, ['verify'])) as CryptoKey },
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return { cert, privateKey, signingCryptoKey };
}

function tbsOf(der: Uint8Array): string {
  const parsed = asn1js.fromBER(der);
  const outer = parsed.result as asn1js.Sequence;
  return Buffer.from(outer.valueBlock.value[0]!.valueBeforeDecodeView).toString('hex');
}

test('a TCert from the template has the TBSCertificate @peculiar/x509 builds for the same values, and the TCA signature', async () => {
  const tca = await stubTca();
  const notBefore = new Date('2026-03-01T10:00:00Z');
  const notAfter = new Date('2026-03-31T10:00:00Z');
  const attributes = new Map([['position', new TextEncoder().encode('Software Engineer')]]);
  const template = await TCertTemplate.create({
    issuer: tca.cert,
    signingKey: tca.privateKey,
    signingCryptoKey: tca.signingCryptoKey,
    notBefore,
    notAfter,
    roles: 1,
    attributes,
    encryptedIdBytes: 33,
  });
  for (let i = 0; i < 3; i++) {
    const serial = newTCertSerial();
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const nonce = randomBytes(16);
    const encryptedId = randomBytes(33);
    const der = template.issue({ serial, point: publicPoint(key), nonce, encryptedId });
    const expected = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'),
      subject: `CN=${serial.toString('hex')}`,
      issuer: tca.cert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: (await key.toCryptoKey(ECDSA_P256, true, ['verify'])) as CryptoKey,
      signingKey: tca.signingCryptoKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        encodeKindExtension(CertKind.TCERT, 1),
        encodeOctetsExtension(Oid.TCERT_NONCE, nonce),
        encodeOctetsExtension(Oid.TCERT_ENROLLMENT_ID, encryptedId),
        encodeAttributesExtension(attributes),
      ],
    });
    assert.equal(tbsOf(der), tbsOf(new Uint8Array(expected.rawData)));
    const native = new X509Certificate(der);
    assert.equal(native.raw.length, der.length);
    assert.equal(native.verify(createPublicKey(tca.privateKey)), true);
    assert.equal(native.serialNumber.toLowerCase(), serial.toString('hex'));
    assert.equal(native.subject, `CN=${serial.toString('hex')}`);
    const fields = readCertFields(parseCertificate(der));
    assert.deepEqual(Buffer.from(fields.tcertNonce!), nonce);
    assert.deepEqual(Buffer.from(fields.encryptedEnrollmentId!), encryptedId);
    assert.equal(Buffer.from(fields.attributes.get('position')!).toString(), 'Software Engineer');
    assert.deepEqual(Buffer.from(publicPoint(native.publicKey)), Buffer.from(publicPoint(key)));
  }
});

test('the template refuses fields of the wrong size', async () => {
  const tca = await stubTca();
  const template = await TCertTemplate.create({
    issuer: tca.cert,
    signingKey: tca.privateKey,
    signingCryptoKey: tca.signingCryptoKey,
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 3_600_000),
    roles: 1,
    attributes: new Map(),
    encryptedIdBytes: 30,
  });
  const point = publicPoint(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
  const good = { serial: newTCertSerial(), point, nonce: randomBytes(16), encryptedId: randomBytes(30) };
  assert.throws(() => template.issue({ ...good, serial: randomBytes(15) }), { message: 'TCert serial must be 16 bytes, first byte 0x01–0x7f' });
  assert.throws(() => template.issue({ ...good, serial: Buffer.concat([Buffer.of(0x80), randomBytes(15)]) }), { message: 'TCert serial must be 16 bytes, first byte 0x01–0x7f' });
  assert.throws(() => template.issue({ ...good, point: point.subarray(1) }), { message: 'TCert public key must be an uncompressed P-256 point' });
  assert.throws(() => template.issue({ ...good, nonce: randomBytes(17) }), { message: 'TCert nonce must be 16 bytes' });
  assert.throws(() => template.issue({ ...good, encryptedId: randomBytes(31) }), { message: 'TCert encrypted id must be 30 bytes' });
  assert.equal(new X509Certificate(template.issue(good)).verify(createPublicKey(tca.privateKey)), true);
});

test('every TCert of a batch from the TCA: openssl verifies it, its nonce is the one answered, the derived key signs for it', async () => {
  const ms = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'ca') });
  try {
    const client = new CaClient(ms.url);
    const alice = await client.enroll('alice', 'CMS10pEQlB16');
    const batch = await client.tcertBatch(alice, 20, ['role']);
    assert.equal(batch.length, 20);
    assert.equal(new Set(batch.map((t) => Buffer.from(t.der).toString('hex'))).size, 20);
    const derive = tcertKeyDeriver(alice.privateKey, alice.kdfKey);
    const caFile = join(dir, 'tca.pem');
    writeFileSync(caFile, toPem(Buffer.from(alice.caCerts.tca, 'base64')));
    for (const [i, { der, nonce }] of batch.entries()) {
      assert.deepEqual(Buffer.from(readCertFields(parseCertificate(der)).tcertNonce!), Buffer.from(nonce));
      const { privateKey, point } = derive(nonce);
      const certKey = new X509Certificate(der).publicKey;
      assert.deepEqual(Buffer.from(publicPoint(certKey)), Buffer.from(point));
      const message = new TextEncoder().encode(`tx ${i}`);
      assert.equal(verifyBytes(certKey, message, signBytes(privateKey, message)), true);
      assert.equal(ms.ca.openTCert(der), 'alice');
      if (hasOpenssl && (i === 0 || i === 19)) {
        const certFile = join(dir, `tcert-${i}.pem`);
        writeFileSync(certFile, toPem(der));
        assert.equal(execFileSync('openssl', ['verify', '-CAfile', caFile, certFile], { encoding: 'utf8' }).trim(), `${certFile}: OK`);
        assert.match(execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-text'], { encoding: 'utf8' }), /Issuer: CN = weft TCA, O = weft/);
      }
    }
  } finally {
    await ms.stop();
  }
});
