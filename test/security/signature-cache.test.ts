// The verifier remembers successful signature checks (the submitting peer checks a transaction,
// then checks it again before it runs). The memory must never let anything through that a fresh
// check would refuse: another signature, other bytes or another certificate are checked anew.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Membersrvc } from '../../host/membersrvc/membersrvc.ts';
import { newInvokeTransaction, timestampNow } from '../../host/peer/transactions.ts';
import { emptyChaincodeSpec, type Transaction } from '../../host/protocol/messages.ts';
import { CaClient, type Enrollment } from '../../host/security/ca-client.ts';
import { CertificateVerifier } from '../../host/security/cert-verifier.ts';
import { signBytes, tcertKeyDeriver } from '../../host/security/keys.ts';
import { signTransaction, signedBytes, verifyTransaction } from '../../host/security/transaction-security.ts';

const dir = mkdtempSync(join(tmpdir(), 'weft-sigcache-'));
let ms: Membersrvc;
let user: Enrollment;
let tcerts: Array<{ der: Uint8Array; key: import('node:crypto').KeyObject }>;

before(async () => {
  ms = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'ca') });
  const client = new CaClient(ms.url);
  user = await client.enroll('bob', 'NOE63pEQbL25');
  const derive = tcertKeyDeriver(user.privateKey, user.kdfKey);
  tcerts = (await client.tcertBatch(user, 2)).map(({ der, nonce }) => ({ der, key: derive(nonce).privateKey }));
});

after(async () => {
  await ms.stop();
  rmSync(dir, { recursive: true, force: true });
});

function invoke(args: string[]): Transaction {
  const spec = { ...emptyChaincodeSpec(), chaincodeID: { path: '', name: 'cc' }, ctorMsg: { args: args.map((a) => new TextEncoder().encode(a)) } };
  return newInvokeTransaction(spec, timestampNow());
}

const forgedText = (tx: Transaction): string => `transaction ${tx.txid}: signature does not verify with the transaction certificate (forged or altered)`;

test('a remembered signature does not vouch for other signatures, other bytes or another certificate', () => {
  const verifier = new CertificateVerifier(user.caCerts);
  const tcert = tcerts[0]!;
  const signed = signTransaction(invoke(['a']), tcert.der, tcert.key);
  assert.equal(verifyTransaction(signed, verifier).ok, true);
  assert.equal(verifyTransaction(signed, verifier).ok, true); // remembered

  // The same bytes signed by another key (the enrollment key) under the same certificate.
  const wrongKey = { ...signed, signature: signBytes(user.privateKey, signedBytes(signed)) };
  assert.deepEqual(verifyTransaction(wrongKey, verifier), { ok: false, error: forgedText(signed) });

  // The remembered signature on altered bytes.
  const altered = { ...signed, payload: invoke(['b']).payload };
  assert.deepEqual(verifyTransaction(altered, verifier), { ok: false, error: forgedText(signed) });

  // The remembered signature and bytes under another certificate of the same owner.
  const otherCert = { ...signed, cert: tcerts[1]!.der };
  assert.deepEqual(verifyTransaction(otherCert, verifier), { ok: false, error: forgedText(signed) });

  // A second valid signature of the same bytes (ECDSA signatures differ each time) is checked and accepted.
  const resigned = { ...signed, signature: signBytes(tcert.key, signedBytes(signed)) };
  assert.notDeepEqual(resigned.signature, signed.signature);
  assert.equal(verifyTransaction(resigned, verifier).ok, true);

  // A signature refused once is refused again (failures are not remembered as anything).
  assert.deepEqual(verifyTransaction(wrongKey, verifier), { ok: false, error: forgedText(signed) });
});

test("the peer's own signatures are remembered exactly: the same certificate, bytes and signature, nothing else", () => {
  const verifier = new CertificateVerifier(user.caCerts);
  const tcert = tcerts[1]!;
  const signed = signTransaction(invoke(['own']), tcert.der, tcert.key);
  verifier.rememberOwnSignature(tcert.der, signedBytes(signed), signed.signature);
  assert.equal(verifyTransaction(signed, verifier).ok, true);
  const altered = { ...signed, payload: invoke(['other']).payload };
  assert.deepEqual(verifyTransaction(altered, verifier), { ok: false, error: forgedText(signed) });
  const underOtherCert = { ...signed, cert: tcerts[0]!.der };
  assert.deepEqual(verifyTransaction(underOtherCert, verifier), { ok: false, error: forgedText(signed) });
});
