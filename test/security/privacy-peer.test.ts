// Privacy mode on one validator (noops) against real membership services, in this process:
// caller metadata and bindings still work through encryption (asset_management), and every
// transaction privacy mode must refuse is rejected before it reaches chaincode, with its reason —
// public, tampered, of another protocol version, sealed to another chain, oversized toValidators.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Peer } from '../../host/peer/peer.ts';
import { newInvokeTransaction, timestampNow } from '../../host/peer/transactions.ts';
import { ConfidentialityLevel, TransactionCodec, type Transaction } from '../../host/protocol/messages.ts';
import { encryptTransaction } from '../../host/security/confidentiality.ts';
import { EciesRecipient } from '../../host/security/ecies.ts';
import { chaincode } from '../chaincode/built.ts';
import { spec, startSecureFixture, type SecureFixture } from './secure-fixture.ts';

const USERS: Record<string, string> = { jim: '6avZQLwcUe9b', alice: 'CMS10pEQlB16', bob: 'NOE63pEQbL25', lukas: 'NPKYL39uKbkj' };

let fixture: SecureFixture;
let peer: Peer;
let name = '';
const ecerts = new Map<string, Uint8Array>();

before(async () => {
  fixture = await startSecureFixture(USERS, { env: { CORE_SECURITY_PRIVACY: 'true' } });
  peer = fixture.peer;
  for (const user of Object.keys(USERS)) ecerts.set(user, (await peer.security!.credentials.load(user))!.ecert);
});

after(async () => {
  await fixture?.close();
});

async function fate(txid: string): Promise<string> {
  const status = await fixture.waitFor(txid);
  return status.status === 'rejected' ? status.error : status.status;
}

const b64 = (user: string): string => Buffer.from(ecerts.get(user)!).toString('base64');

async function owner(asset: string): Promise<string> {
  return Buffer.from(await peer.query(spec(name, ['query', asset], 'lukas'))).toString('base64');
}

test('asset_management under privacy: the deploy metadata (the admin\'s ECert) and the metadata proofs reach chaincode decrypted; the chain holds them encrypted', async () => {
  name = await peer.deploy({ ...spec('', ['init'], 'jim', { metadata: ecerts.get('jim')! }), chaincodeID: { path: 'chaincode/asset_management', name: '' } }, chaincode('asset_management'));
  assert.equal(await fate(name), 'committed');
  const stored = await peer.getTransaction(name);
  assert.ok(stored);
  assert.equal(stored.confidentialityLevel, ConfidentialityLevel.CONFIDENTIAL);
  assert.equal(Buffer.from(stored.metadata).includes(Buffer.from(ecerts.get('jim')!.subarray(0, 64))), false);

  assert.equal(await fate(await peer.invoke(spec(name, ['assign', 'Picasso', b64('alice')], 'lukas'), '', { signMetadata: true })), 'The caller is not an administrator');
  assert.equal(await fate(await peer.invoke(spec(name, ['assign', 'Picasso', b64('alice')], 'jim'), '', { signMetadata: true })), 'committed');
  assert.equal(await owner('Picasso'), b64('alice'));
  assert.equal(await fate(await peer.invoke(spec(name, ['transfer', 'Picasso', b64('bob')], 'alice'), '', { signMetadata: true })), 'committed');
  assert.equal(await owner('Picasso'), b64('bob'));
});

/** A transaction signed by jim after `prepare` turned it into what is tested; executed as consensus would hand it over. */
async function executed(prepare: (transaction: Transaction) => Transaction): Promise<{ txid: string; fate: string }> {
  const transaction = newInvokeTransaction(spec(name, ['transfer', 'Picasso', b64('jim')], 'bob'), timestampNow());
  const signed = await peer.security!.sign(transaction, 'bob', [], { signMetadata: true, encrypt: prepare });
  await peer.executor.executeBatch({ transactions: [TransactionCodec.encode(signed)], consensusMetadata: new Uint8Array(0) });
  return { txid: signed.txid, fate: await fate(signed.txid) };
}

test('privacy refuses, before chaincode runs, what is public, altered, of another version or for another chain — each with its reason', async () => {
  const chainPoint = peer.security!.enrollment!.chainPublicKey!;
  const encrypt = (transaction: Transaction): Transaction => encryptTransaction(transaction, chainPoint);
  const flip = (bytes: Uint8Array): Uint8Array => {
    const copy = bytes.slice();
    copy[0] = (copy[0] ?? 0) ^ 1;
    return copy;
  };

  let run = await executed((t) => t);
  assert.equal(run.fate, `transaction ${run.txid} is public but this network runs with privacy (security.privacy): every transaction must be confidential`);
  run = await executed((t) => {
    const sealed = encrypt(t);
    return { ...sealed, payload: flip(sealed.payload) };
  });
  assert.equal(run.fate, `transaction ${run.txid}: its payload cannot be decrypted with its transaction key (tampered or truncated)`);
  run = await executed((t) => ({ ...encrypt(t), confidentialityProtocolVersion: '1.1' }));
  assert.equal(run.fate, `transaction ${run.txid}: confidentiality protocol version "1.1" is not supported (this network uses "1.2")`);
  run = await executed((t) => ({ ...encrypt(t), toValidators: new Uint8Array(4_096) }));
  assert.equal(run.fate, `transaction ${run.txid}: toValidators of 4096 bytes exceeds TO_VALIDATORS_BYTES_MAX (256)`);
  run = await executed((t) => encryptTransaction(t, EciesRecipient.generate().point));
  assert.equal(run.fate, `transaction ${run.txid}: toValidators cannot be decrypted with the chain key (tampered, or encrypted for another chain)`);
  // Altered after signing: the signature, checked before anything is decrypted, no longer verifies.
  const signed = await peer.security!.sign(newInvokeTransaction(spec(name, ['transfer', 'Picasso', b64('jim')], 'bob'), timestampNow()), 'bob', [], { signMetadata: true, encrypt });
  const altered = { ...signed, payload: flip(signed.payload) };
  await peer.executor.executeBatch({ transactions: [TransactionCodec.encode(altered)], consensusMetadata: new Uint8Array(0) });
  assert.equal(await fate(altered.txid), `transaction ${altered.txid}: signature does not verify with the transaction certificate (forged or altered)`);
  // None of them reached chaincode: bob still owns the Picasso.
  assert.equal(await owner('Picasso'), b64('bob'));
  // And a well-formed one does.
  run = await executed(encrypt);
  assert.equal(run.fate, 'committed');
  assert.equal(await owner('Picasso'), b64('jim'));
});
