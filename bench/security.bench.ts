// Membership services costs, measured to choose implementations by the numbers:
// - ECDSA P-256 verification: node:crypto (OpenSSL) vs @noble/curves' p256, one signature;
// - a validator's whole check of one signed transaction (verifyTransaction): a certificate seen
//   for the first time (parse + CA signature + transaction signature) and one seen before;
// - signing a transaction (client side) and issuing TCerts (CA side).
// `--quick` runs fewer iterations.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { Membersrvc } from '../host/membersrvc/membersrvc.ts';
import { newInvokeTransaction, timestampNow } from '../host/peer/transactions.ts';
import { emptyChaincodeSpec } from '../host/protocol/messages.ts';
import { CaClient } from '../host/security/ca-client.ts';
import { parseCertificate, readCertFields } from '../host/security/cert-format.ts';
import { CertificateVerifier } from '../host/security/cert-verifier.ts';
import { deriveTCertPrivateKey, publicPoint, verifyBytes } from '../host/security/keys.ts';
import { signTransaction, verifyTransaction } from '../host/security/transaction-security.ts';
import { benchArgs } from './bench-args.ts';

const { quick } = benchArgs(import.meta.url, "Membership services' costs: ECDSA P-256 verification (node:crypto and @noble/curves), a validator's check of a signed transaction, signing one and issuing TCerts.");
const N = quick ? 500 : 3_000;

function rate(label: string, n: number, run: (i: number) => void, warmup = Math.min(50, n)): number {
  for (let i = 0; i < warmup; i++) run(i);
  const started = performance.now();
  for (let i = 0; i < n; i++) run(i);
  const us = ((performance.now() - started) * 1000) / n;
  process.stdout.write(`${label.padEnd(58)} ${us.toFixed(1).padStart(8)} µs/op  ${(1e6 / us).toFixed(0).padStart(7)} op/s\n`);
  return us;
}

// --- one signature, two implementations
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const message = createHash('sha256').update('weft').digest();
const der = new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }));
const point = publicPoint(publicKey);
const digest = new Uint8Array(createHash('sha256').update(message).digest());
const nodeUs = rate('ECDSA P-256 verify, node:crypto (OpenSSL)', N, () => {
  if (!verifyBytes(publicKey, message, der)) throw new Error('node:crypto verify failed');
});
const nobleUs = rate('ECDSA P-256 verify, @noble/curves p256', Math.max(100, N / 10), () => {
  if (!p256.verify(der, digest, point, { prehash: false, format: 'der', lowS: false })) throw new Error('noble verify failed');
});
process.stdout.write(`node:crypto is ${(nobleUs / nodeUs).toFixed(1)}× faster than @noble/curves: the verifier uses node:crypto\n\n`);

// --- the validator's check of a signed transaction, and the client and CA sides
const dir = mkdtempSync(join(tmpdir(), 'weft-secbench-'));
const ca = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'ca') });
try {
  const client = new CaClient(ca.url);
  const user = await client.enroll('test_user0', 'MS9qrN8hFjlE');
  const batch = quick ? 200 : 500;
  await client.tcerts(user, batch, []); // warm-up: code paths compiled, store opened
  const started = performance.now();
  const tcerts = await client.tcerts(user, batch, []);
  const issueMs = (performance.now() - started) / batch;
  process.stdout.write(`${`TCA: issue one TCert (batch of ${batch}, over HTTP, wall)`.padEnd(58)} ${(issueMs * 1000).toFixed(1).padStart(8)} µs/op  ${(1000 / issueMs).toFixed(0).padStart(7)} op/s\n`);
  const keys = tcerts.map((t) => deriveTCertPrivateKey(user.privateKey, user.kdfKey, readCertFields(parseCertificate(t)).tcertNonce!));
  const spec = { ...emptyChaincodeSpec(), chaincodeID: { path: '', name: 'x'.repeat(128) }, ctorMsg: { args: ['invoke', 'a', 'b', '1'].map((a) => new TextEncoder().encode(a)) } };
  const signed = tcerts.map((t, i) => signTransaction(newInvokeTransaction(spec, timestampNow()), t, keys[i]!));
  rate('client: sign a transaction with a TCert', N, (i) => {
    signTransaction(newInvokeTransaction(spec, timestampNow()), tcerts[i % batch]!, keys[i % batch]!);
  });
  const verifier = new CertificateVerifier(user.caCerts);
  // Each TCert once, no warm-up: every check parses and verifies a certificate it has not seen.
  rate('validator: check a transaction, TCert not seen before', batch, (i) => {
    if (!verifyTransaction(signed[i]!, verifier).ok) throw new Error('verification failed');
  }, 0);
  // New transactions under TCerts already checked: the certificate is remembered, the signature is not.
  const fresh = Array.from({ length: N + 50 }, (_, i) => signTransaction(newInvokeTransaction(spec, timestampNow()), tcerts[i % batch]!, keys[i % batch]!));
  rate('validator: check a transaction, TCert seen before (cached)', N, (i) => {
    if (!verifyTransaction(fresh[i]!, verifier).ok) throw new Error('verification failed');
  });
  // The submitting peer checks a transaction, then checks it again before it runs.
  rate('validator: check a transaction checked before (submitter)', N, (i) => {
    if (!verifyTransaction(fresh[i]!, verifier).ok) throw new Error('verification failed');
  }, 0);
} finally {
  await ca.stop();
  rmSync(dir, { recursive: true, force: true });
}
