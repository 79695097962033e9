// Privacy mode without a network: ECIES, confidential transactions (round trips
// and every way a validator refuses one, with the exact texts), the deterministic encryption of
// state values, confidential chaincodes' registry records and state views, and what a peer needs
// to start with privacy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { HostTrap } from '../../host/runtime/host-trap.ts';
import { StateOverlay, EMPTY_STATE } from '../../host/runtime/state-overlay.ts';
import type { CallerIdentity } from '../../host/runtime/types.ts';
import { CHAINCODE_REGISTRY } from '../../host/peer/executor.ts';
import { newDeployTransaction, newInvokeTransaction } from '../../host/peer/transactions.ts';
import {
  ChaincodeDeploymentSpecCodec,
  ChaincodeInvocationSpecCodec,
  ConfidentialityLevel,
  TransactionType,
  emptyChaincodeSpec,
  type ChaincodeSpec,
  type Transaction,
} from '../../host/protocol/messages.ts';
import type { Enrollment } from '../../host/security/ca-client.ts';
import { ConfidentialChaincodes, isConfidentialRecord } from '../../host/security/confidential-chaincodes.ts';
import {
  CONFIDENTIALITY_PROTOCOL_VERSION,
  ConfidentialityError,
  TO_VALIDATORS_BYTES_MAX,
  admitConfidentiality,
  decryptTransaction,
  encryptTransaction,
} from '../../host/security/confidentiality.ts';
import { ECIES_OVERHEAD_BYTES, EciesRecipient, eciesSeal } from '../../host/security/ecies.ts';
import { PrivacyMode, privacySettingsProblem } from '../../host/security/privacy-mode.ts';
import { CONFIDENTIAL_VALUE_BYTES_MAX, STATE_VALUE_OVERHEAD_BYTES, StateCipher } from '../../host/security/state-encryption.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** protobufjs answers Buffers; compare bytes as plain Uint8Arrays. */
const u8 = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);
const chain = EciesRecipient.generate();
const otherChain = EciesRecipient.generate();
const CODE = text('\0asm not really a module, but bytes to name and carry');

function spec(args: string[], name = 'cc'): ChaincodeSpec {
  return { ...emptyChaincodeSpec(), chaincodeID: { path: 'chaincode/x', name }, ctorMsg: { args: args.map(text) }, metadata: text('caller metadata') };
}

const invoke = (): Transaction => newInvokeTransaction(spec(['invoke', 'a', 'b', '10']), { seconds: 1_700_000_000, nanos: 0 });
const deploy = (): Transaction => newDeployTransaction(spec(['init', 'a', '100', 'b', '200']), CODE, { seconds: 1_700_000_000, nanos: 0 });

function contains(haystack: Uint8Array, needle: string): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

test('ECIES: what is sealed to a key opens with it, under the same label only; altered, truncated or foreign messages do not open', () => {
  const sealed = eciesSeal(chain.point, text('secret keys'), 'label A');
  assert.equal(sealed.length, ECIES_OVERHEAD_BYTES + 11);
  assert.deepEqual(chain.open(sealed, 'label A'), text('secret keys'));
  assert.equal(chain.open(sealed, 'label B'), undefined);
  assert.equal(otherChain.open(sealed, 'label A'), undefined);
  assert.equal(chain.open(flip(sealed, 70), 'label A'), undefined);
  assert.equal(chain.open(flip(sealed, 1), 'label A'), undefined); // the ephemeral point is no longer on the curve
  assert.equal(chain.open(sealed.subarray(0, sealed.length - 1), 'label A'), undefined);
  assert.equal(chain.open(new Uint8Array(10), 'label A'), undefined);
  // A key survives being stored as its scalar.
  assert.deepEqual(new EciesRecipient(chain.scalar()).open(sealed, 'label A'), text('secret keys'));
});

test('ECIES: a scalar with leading zero bytes (one key in 256) is still stored as its 32 bytes and opens what was sealed to it', () => {
  const scalar = new Uint8Array(32);
  scalar[1] = 0x01; // 0x00 0x01 …: node's ECDH reports it as 31 bytes
  scalar[31] = 0x2a;
  const key = new EciesRecipient(scalar);
  assert.deepEqual(key.scalar(), scalar);
  const sealed = eciesSeal(key.point, text('still mine'), 'label A');
  assert.deepEqual(new EciesRecipient(key.scalar()).open(sealed, 'label A'), text('still mine'));
  // generate() goes through the same padding: many keys, every scalar 32 bytes.
  for (let i = 0; i < 600; i++) assert.equal(EciesRecipient.generate().scalar().length, 32);
});

test('an invoke round-trips: chaincodeID, payload and metadata encrypted, the rest in clear, no state key', () => {
  const plain = invoke();
  const sealed = encryptTransaction(plain, chain.point);
  assert.equal(sealed.confidentialityLevel, ConfidentialityLevel.CONFIDENTIAL);
  assert.equal(sealed.confidentialityProtocolVersion, '1.2');
  assert.equal(sealed.txid, plain.txid);
  assert.deepEqual(sealed.timestamp, plain.timestamp);
  assert.equal(sealed.type, TransactionType.CHAINCODE_INVOKE);
  for (const field of ['chaincodeID', 'payload', 'metadata'] as const) assert.notDeepEqual(sealed[field], plain[field]);
  assert.equal(contains(sealed.payload, 'invoke'), false);
  assert.equal(contains(sealed.metadata, 'caller metadata'), false);
  assert.ok(sealed.toValidators.length <= TO_VALIDATORS_BYTES_MAX);
  const opened = decryptTransaction(sealed, chain);
  assert.ok(opened.ok);
  assert.deepEqual(opened.transaction, { ...sealed, chaincodeID: u8(plain.chaincodeID), payload: u8(plain.payload), metadata: u8(plain.metadata) });
  assert.equal(opened.stateKey, undefined);
  assert.deepEqual(ChaincodeInvocationSpecCodec.decode(opened.transaction.payload).chaincodeSpec.ctorMsg.args, ['invoke', 'a', 'b', '10'].map(text));
});

test('a deploy round-trips with a fresh 32-byte state key; each deploy gets its own', () => {
  const plain = deploy();
  const a = decryptTransaction(encryptTransaction(plain, chain.point), chain);
  const b = decryptTransaction(encryptTransaction(plain, chain.point), chain);
  assert.ok(a.ok && b.ok);
  assert.deepEqual(a.transaction.payload, u8(plain.payload));
  assert.equal(a.stateKey?.length, 32);
  assert.notDeepEqual(a.stateKey, b.stateKey);
});

test('a validator refuses a confidential transaction it cannot open, with the exact reason', () => {
  const sealed = encryptTransaction(invoke(), chain.point);
  const txid = sealed.txid;
  const refusal = (transaction: Transaction, key = chain): string => {
    const opened = decryptTransaction(transaction, key);
    assert.equal(opened.ok, false);
    return opened.ok ? '' : opened.error;
  };
  assert.equal(refusal({ ...sealed, payload: flip(sealed.payload, 3) }), `transaction ${txid}: its payload cannot be decrypted with its transaction key (tampered or truncated)`);
  assert.equal(refusal({ ...sealed, metadata: sealed.metadata.subarray(0, 8) }), `transaction ${txid}: its metadata cannot be decrypted with its transaction key (tampered or truncated)`);
  assert.equal(refusal({ ...sealed, chaincodeID: sealed.payload }), `transaction ${txid}: its chaincodeID cannot be decrypted with its transaction key (tampered or truncated)`);
  assert.equal(refusal({ ...sealed, toValidators: flip(sealed.toValidators, 80) }), `transaction ${txid}: toValidators cannot be decrypted with the chain key (tampered, or encrypted for another chain)`);
  assert.equal(refusal(sealed, otherChain), `transaction ${txid}: toValidators cannot be decrypted with the chain key (tampered, or encrypted for another chain)`);
  assert.equal(refusal({ ...sealed, toValidators: new Uint8Array(0) }), `transaction ${txid}: toValidators cannot be decrypted with the chain key (tampered, or encrypted for another chain)`);
  // The keys are bound to the txid: the same ciphertext under another txid does not open.
  assert.equal(refusal({ ...sealed, txid: 'another' }), 'transaction another: toValidators cannot be decrypted with the chain key (tampered, or encrypted for another chain)');
  // An invoke's keys presented as a deploy's: no state key.
  assert.equal(refusal({ ...sealed, type: TransactionType.CHAINCODE_DEPLOY }), `transaction ${txid}: toValidators is malformed: a deploy must carry its transaction key and a state key`);
  assert.equal(refusal({ ...sealed, confidentialityProtocolVersion: '1.1' }), `transaction ${txid}: confidentiality protocol version "1.1" is not supported (this network uses "1.2")`);
  assert.equal(refusal({ ...sealed, confidentialityProtocolVersion: '' }), `transaction ${txid}: confidentiality protocol version "" is not supported (this network uses "1.2")`);
  assert.equal(refusal({ ...sealed, toValidators: new Uint8Array(TO_VALIDATORS_BYTES_MAX + 1) }), `transaction ${txid}: toValidators of 257 bytes exceeds TO_VALIDATORS_BYTES_MAX (256)`);
  assert.equal(ConfidentialityError.version('t', 'x'.repeat(100)), `transaction t: confidentiality protocol version "${'x'.repeat(32)}" is not supported (this network uses "${CONFIDENTIALITY_PROTOCOL_VERSION}")`);
});

const caller: CallerIdentity = {
  certificate: text('tcert'),
  metadata: new Uint8Array(0),
  binding: text('binding'),
  attributes: new Map([['position', text('Software Engineer')]]),
  verifySignature: () => false,
};

test('admission: with privacy a public transaction is refused and a confidential one runs decrypted, its caller seeing the plaintext metadata; without privacy the reverse', () => {
  const plain = invoke();
  const sealed = encryptTransaction(plain, chain.point);
  assert.deepEqual(admitConfidentiality(plain, caller, true, chain), {
    ok: false,
    error: `transaction ${plain.txid} is public but this network runs with privacy (security.privacy): every transaction must be confidential`,
  });
  assert.deepEqual(admitConfidentiality(sealed, caller, false, chain), {
    ok: false,
    error: `transaction ${plain.txid} is confidential but this network runs without privacy (security.privacy is false)`,
  });
  assert.deepEqual(admitConfidentiality({ ...sealed, confidentialityLevel: 7 }, caller, true, chain), {
    ok: false,
    error: `transaction ${plain.txid}: confidentialityLevel 7 is neither PUBLIC (0) nor CONFIDENTIAL (1)`,
  });
  assert.deepEqual(admitConfidentiality(sealed, caller, true, undefined), {
    ok: false,
    error: `transaction ${plain.txid} is confidential and this peer holds no chain key (only validators do)`,
  });
  const clear = admitConfidentiality(plain, caller, false, undefined);
  assert.ok(clear.ok);
  assert.equal(clear.transaction, plain);
  const admitted = admitConfidentiality(sealed, caller, true, chain);
  assert.ok(admitted.ok);
  assert.deepEqual(admitted.transaction.payload, u8(plain.payload));
  assert.deepEqual(admitted.caller.metadata, text('caller metadata'));
  assert.deepEqual(admitted.caller.certificate, text('tcert'));
  assert.deepEqual(admitted.caller.binding, text('binding'));
  assert.deepEqual(admitted.caller.attributes.get('position'), text('Software Engineer'));
});

test('state encryption is deterministic: the same key, value and state key give the same bytes; anything else differs and does not open', () => {
  const stateKey = new Uint8Array(32).fill(7);
  const cipher = new StateCipher(stateKey);
  const again = new StateCipher(stateKey.slice());
  const other = new StateCipher(new Uint8Array(32).fill(8));
  const sealed = cipher.seal('b', text('210'));
  assert.equal(sealed.length, 3 + STATE_VALUE_OVERHEAD_BYTES);
  assert.deepEqual(again.seal('b', text('210')), sealed);
  assert.notDeepEqual(other.seal('b', text('210')), sealed);
  assert.notDeepEqual(cipher.seal('a', text('210')), sealed);
  assert.notDeepEqual(cipher.seal('b', text('211')), sealed);
  assert.equal(contains(sealed, '210'), false);
  assert.deepEqual(again.open('b', sealed), text('210'));
  assert.equal(other.open('b', sealed), undefined);
  assert.equal(cipher.open('a', sealed), undefined); // a value copied under another key
  assert.equal(cipher.open('b', flip(sealed, 13)), undefined);
  assert.equal(cipher.open('b', sealed.subarray(0, 27)), undefined);
  assert.deepEqual(cipher.open('b', cipher.seal('b', new Uint8Array(0))), new Uint8Array(0));
  assert.throws(() => new StateCipher(new Uint8Array(16)), /^Error: a state key is 32 bytes, got 16$/);
});

test('confidential chaincodes: the registry keeps the encrypted deploy; a validator opens it and sees its state decrypted, a peer without the chain key is refused', () => {
  const plain = deploy();
  const sealed = encryptTransaction(plain, chain.point);
  const opened = decryptTransaction(sealed, chain);
  assert.ok(opened.ok);
  const records = new ConfidentialChaincodes(chain);
  const record = records.record(sealed, opened.transaction);
  assert.ok(isConfidentialRecord(record));
  assert.equal(contains(record, 'init'), false);
  assert.equal(contains(record, 'not really a module'), false);
  // A clear deploy keeps its deployment spec, as before.
  assert.deepEqual(records.record(plain, plain), plain.payload);
  assert.equal(isConfidentialRecord(plain.payload), false);

  const name = plain.txid;
  assert.deepEqual(u8(records.deployment(name, record).codePackage), CODE);
  assert.deepEqual(records.deployment(name, plain.payload), ChaincodeDeploymentSpecCodec.decode(plain.payload));

  const state = new StateOverlay(EMPTY_STATE);
  state.putState(CHAINCODE_REGISTRY, name, record);
  const view = records.view(name, state.view(name), state);
  view.put('a', text('100'));
  view.put('b', text('200'));
  const stored = state.getState(name, 'b');
  assert.ok(stored);
  assert.equal(stored.length, 3 + STATE_VALUE_OVERHEAD_BYTES);
  assert.equal(contains(stored, '200'), false);
  assert.deepEqual(view.get('b'), text('200'));
  assert.equal(view.get('c'), undefined);
  const range: string[] = [];
  for (let it = view.range('', ''), next = it.next(); !next.done; next = it.next()) range.push(`${next.value[0]}=${new TextDecoder().decode(next.value[1])}`);
  assert.deepEqual(range, ['a=100', 'b=200']);
  // Another validator (a fresh object with the same chain key) writes the same bytes.
  const elsewhere = new StateOverlay(EMPTY_STATE);
  elsewhere.putState(CHAINCODE_REGISTRY, name, record);
  new ConfidentialChaincodes(new EciesRecipient(chain.scalar())).view(name, elsewhere.view(name), elsewhere).put('b', text('200'));
  assert.deepEqual(elsewhere.getState(name, 'b'), stored);
  assert.throws(
    () => view.put('big', new Uint8Array(CONFIDENTIAL_VALUE_BYTES_MAX + 1)),
    (error: unknown) => error instanceof HostTrap && error.kind === 'limit' && error.message === 'value of 1048549 bytes exceeds CONFIDENTIAL_VALUE_BYTES_MAX (1048548)',
  );
  state.putState(name, 'a', stored); // b's ciphertext under a: does not decrypt
  assert.throws(() => view.get('a'), (error: unknown) => error instanceof HostTrap && error.message === `state of confidential chaincode ${name}: the value of "a" does not decrypt with its state key`);

  const outsider = new ConfidentialChaincodes(undefined);
  const refusal = `chaincode ${name} is confidential and this peer holds no chain key: only validators can run or query it`;
  assert.throws(() => outsider.deployment(name, record), { message: refusal });
  assert.throws(() => outsider.view(name, state.view(name), state), { message: refusal });
  assert.throws(() => new ConfidentialChaincodes(otherChain).deployment(name, record), {
    message: `the registry record of confidential chaincode ${name} does not open: transaction ${name}: toValidators cannot be decrypted with the chain key (tampered, or encrypted for another chain)`,
  });
  // A clear chaincode's namespace is left as it is.
  const clearView = state.view('clear');
  assert.equal(records.view('clear', clearView, state), clearView);
});

test('privacy mode on a peer: refused without security, without the peer\'s enrollment, without a chain key, and on a validator without the private key', () => {
  assert.equal(privacySettingsProblem(true, false), 'security.privacy is true but security.enabled is false: privacy mode needs security (membership services and signed transactions)');
  assert.equal(privacySettingsProblem(true, true), undefined);
  assert.equal(privacySettingsProblem(false, false), undefined);
  const enrollment = (id: string, keys: Partial<Enrollment>): Enrollment => ({
    enrollId: id,
    privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    ecert: new Uint8Array(0),
    kdfKey: new Uint8Array(0),
    caCerts: { eca: '', tca: '', tlsca: '' },
    ...keys,
  });
  assert.throws(() => PrivacyMode.forPeer({ privacy: true, validator: true, enrollment: undefined }), {
    name: 'PrivacyModeError',
    message: "security.privacy needs the peer's own enrollment (security.enrollID): its enrollment answer carries the chain key",
  });
  assert.throws(() => PrivacyMode.forPeer({ privacy: true, validator: false, enrollment: enrollment('test_nvp0', {}) }), {
    message: 'security.privacy: the enrollment of test_nvp0 kept by this peer carries no chain key (it predates privacy mode); start the peer on a fresh data directory with an identity not yet enrolled',
  });
  assert.throws(() => PrivacyMode.forPeer({ privacy: true, validator: true, enrollment: enrollment('test_nvp0', { chainPublicKey: chain.point }) }), {
    message: 'security.privacy: validator test_nvp0 holds no chain private key: membership services give it only to enrollments with the validator role (4 in eca.users)',
  });
  // A non-validating peer submits confidential transactions with the public key alone.
  const submitter = PrivacyMode.forPeer({ privacy: true, validator: false, enrollment: enrollment('test_nvp0', { chainPublicKey: chain.point }) });
  assert.equal(submitter.enabled, true);
  const sealed = submitter.encrypt!(invoke());
  assert.equal(sealed.confidentialityLevel, ConfidentialityLevel.CONFIDENTIAL);
  assert.ok(decryptTransaction(sealed, chain).ok);
  // Without privacy nothing is encrypted, whatever keys the peer holds.
  assert.equal(PrivacyMode.forPeer({ privacy: false, validator: true, enrollment: enrollment('test_vp0', { chainPublicKey: chain.point, chainPrivateKey: chain }) }).encrypt, undefined);
});
