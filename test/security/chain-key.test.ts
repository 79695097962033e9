// Privacy mode's chain key at membership services: every enrollment answer carries the chain
// public key; only a validator's carries the private key, sealed to that validator's own key; the
// key is the same for every validator and survives a restart of the CA; peers keep it with their
// credentials.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Membersrvc } from '../../host/membersrvc/membersrvc.ts';
import { CaClient } from '../../host/security/ca-client.ts';
import { requestBytes, type EnrollResponse } from '../../host/security/ca-requests.ts';
import { openChainKey } from '../../host/security/chain-key.ts';
import { CredentialStore } from '../../host/security/credentials.ts';
import { eciesSeal } from '../../host/security/ecies.ts';
import { signBytes } from '../../host/security/keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-chainkey-'));
let ca = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'ca') });

after(async () => {
  await ca.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** An enrollment as the CA answers it on the wire (not through CaClient, which would drop what it does not expect). */
async function rawEnroll(enrollId: string, enrollSecret: string): Promise<{ answer: Record<string, unknown>; privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'] }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = Buffer.from(publicKey.export({ format: 'der', type: 'spki' })).toString('base64');
  const signature = Buffer.from(signBytes(privateKey, requestBytes('enroll', [enrollId, spki]))).toString('base64');
  const response = await fetch(`${ca.url}/eca/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enrollId, enrollSecret, publicKey: spki, signature }),
  });
  assert.equal(response.status, 200);
  return { answer: (await response.json()) as Record<string, unknown>, privateKey };
}

test('a client\'s enrollment answer carries the chain public key and no private key; a validator\'s carries the private key sealed to its own key', async () => {
  const client = await rawEnroll('jim', '6avZQLwcUe9b');
  assert.deepEqual(Object.keys(client.answer).sort(), ['caCerts', 'chainPublicKey', 'ecert', 'kdfKey']);
  const chainPublicKey = new Uint8Array(Buffer.from(client.answer.chainPublicKey as string, 'base64'));
  assert.equal(chainPublicKey.length, 65);
  assert.equal(chainPublicKey[0], 4);

  const validator = await rawEnroll('test_vp1', '5wgHK9qqYaPy');
  assert.deepEqual(Object.keys(validator.answer).sort(), ['caCerts', 'chainPrivateKey', 'chainPublicKey', 'ecert', 'kdfKey']);
  assert.equal(validator.answer.chainPublicKey, client.answer.chainPublicKey);
  const sealed = new Uint8Array(Buffer.from(validator.answer.chainPrivateKey as string, 'base64'));
  const chainKey = openChainKey(sealed, validator.privateKey, 'test_vp1', chainPublicKey);
  assert.deepEqual(chainKey.point, chainPublicKey);
  // What a submitting peer seals to the public key, the validator opens.
  assert.deepEqual(chainKey.open(eciesSeal(chainPublicKey, Uint8Array.of(1, 2, 3), 'x'), 'x'), Uint8Array.of(1, 2, 3));
  // Sealed to test_vp1's key and id: no one else opens it, and it is not good for another id.
  assert.throws(() => openChainKey(sealed, client.privateKey, 'test_vp1', chainPublicKey), {
    message: 'the chain private key in the enrollment answer of test_vp1 is not sealed to its enrollment key',
  });
  assert.throws(() => openChainKey(sealed, validator.privateKey, 'test_vp2', chainPublicKey), {
    message: 'the chain private key in the enrollment answer of test_vp2 is not sealed to its enrollment key',
  });
  const otherPoint = new Uint8Array(chainPublicKey);
  otherPoint[64] = (otherPoint[64] ?? 0) ^ 1;
  assert.throws(() => openChainKey(sealed, validator.privateKey, 'test_vp1', otherPoint), {
    message: 'the chain private key in the enrollment answer of test_vp1 does not match its chain public key',
  });
});

test('CaClient: a validator\'s enrollment holds the chain private key and a client\'s does not; both keep their keys in their credentials (0600)', async () => {
  const client = new CaClient(ca.url);
  const diego = await client.enroll('diego', 'DRJ23pEQl16a');
  const vp2 = await client.enroll('test_vp2', 'vQelbRvja7cJ');
  assert.equal(diego.chainPrivateKey, undefined);
  assert.ok(diego.chainPublicKey && vp2.chainPrivateKey);
  assert.deepEqual(vp2.chainPrivateKey.point, diego.chainPublicKey);

  const store = new CredentialStore(join(dir, 'peer'));
  await store.save(vp2);
  await store.save(diego);
  assert.equal(statSync(join(store.cryptoDir('test_vp2'), 'enrollment.json')).mode & 0o777, 0o600);
  const loadedVp2 = await store.load('test_vp2');
  const loadedDiego = await store.load('diego');
  assert.deepEqual(loadedVp2?.chainPublicKey, vp2.chainPublicKey);
  assert.deepEqual(loadedVp2?.chainPrivateKey?.scalar(), vp2.chainPrivateKey.scalar());
  assert.deepEqual(loadedDiego?.chainPublicKey, diego.chainPublicKey);
  assert.equal(loadedDiego?.chainPrivateKey, undefined);
});

test('the chain key survives a restart of membership services', async () => {
  const before = (await rawEnroll('bob', 'NOE63pEQbL25')).answer.chainPublicKey;
  await ca.stop();
  ca = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'ca') });
  const { answer, privateKey } = await rawEnroll('test_vp3', '9LKqKH5peurL');
  assert.equal(answer.chainPublicKey, before);
  const point = new Uint8Array(Buffer.from(answer.chainPublicKey as string, 'base64'));
  assert.deepEqual(openChainKey(new Uint8Array(Buffer.from((answer as unknown as EnrollResponse).chainPrivateKey ?? '', 'base64')), privateKey, 'test_vp3', point).point, point);
});
