// A peer with security.enabled against real membership services, both in this process: logins over
// /registrar with Fabric's messages, credentials kept 0600/0700, signed deploys and invokes of
// authorizable_counter for users with and without the attribute, and transactions that must never
// reach chaincode — unsigned, forged, replayed, from another CA, expired, revoked, wrong kind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Membersrvc } from '../../host/membersrvc/membersrvc.ts';
import { REJECTED_TXIDS } from '../../host/peer/executor.ts';
import { Peer } from '../../host/peer/peer.ts';
import { newInvokeTransaction, timestampNow } from '../../host/peer/transactions.ts';
import { TransactionCodec, type ChaincodeSpec, type Transaction } from '../../host/protocol/messages.ts';
import type { TransactionStatus } from '../../host/rest/server.ts';
import { CaClient } from '../../host/security/ca-client.ts';
import { parseCertificate, readCertFields } from '../../host/security/cert-format.ts';
import { deriveTCertPrivateKey } from '../../host/security/keys.ts';
import { signTransaction } from '../../host/security/transaction-security.ts';
import { chaincode } from '../chaincode/built.ts';
import { buildCli, CommanderError } from '../../host/cli/program.ts';
import { CliError } from '../../host/cli/cli-error.ts';
import { spec as fixtureSpec, startSecureFixture, type SecureFixture } from './secure-fixture.ts';

let fixture: SecureFixture;
let dir: string;
let ca: Membersrvc;
let otherCa: Membersrvc;
let peer: Peer;
let rest: string;
let counter = '';

function spec(name: string, args: string[], user: string, attributes: string[] = []): ChaincodeSpec {
  return fixtureSpec(name, args, user, { attributes });
}

const waitFor = (txid: string): Promise<TransactionStatus> => fixture.waitFor(txid);

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${rest}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function rpc(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  return (await call('POST', '/chaincode', { jsonrpc: '2.0', method, params, id: 1 })).json;
}

async function readCounter(): Promise<string> {
  return new TextDecoder().decode(await peer.query(spec(counter, ['read'], 'lukas')));
}

/** Runs raw transaction bytes through the executor, as consensus would hand them over. */
async function execute(transaction: Transaction): Promise<TransactionStatus> {
  await peer.executor.executeBatch({ transactions: [TransactionCodec.encode(transaction)], consensusMetadata: new Uint8Array(0) });
  return waitFor(transaction.txid);
}

before(async () => {
  fixture = await startSecureFixture({}, { tcertBatchSize: 5 });
  ({ dir, ca, peer } = fixture);
  otherCa = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'other-ca') });
  rest = peer.restUrl ?? '';
});

after(async () => {
  await otherCa?.stop();
  await fixture?.close();
});

test('login over /registrar with Fabric\'s messages; credentials are 0600 files in 0700 directories', async () => {
  assert.deepEqual(await call('POST', '/registrar', ''), { status: 400, json: { Error: 'Payload must contain object Secret with enrollId and enrollSecret fields.' } });
  assert.deepEqual(await call('POST', '/registrar', { enrollId: 'lukas', enrollSecret: '' }), { status: 400, json: { Error: 'enrollId and enrollSecret may not be blank.' } });
  assert.deepEqual(await call('POST', '/registrar', { enrollId: '../x', enrollSecret: 'y' }), { status: 400, json: { Error: 'Invalid enrollment ID parameter' } });
  assert.deepEqual(await call('POST', '/registrar', { enrollId: 'lukas', enrollSecret: 'wrong' }), { status: 401, json: { Error: 'Identity or token does not match.' } });
  assert.deepEqual(await call('POST', '/registrar', { enrollId: 'lukas', enrollSecret: 'NPKYL39uKbkj' }), { status: 200, json: { OK: "Login successful for user 'lukas'." } });
  assert.deepEqual(await call('POST', '/registrar', { enrollId: 'lukas', enrollSecret: 'NPKYL39uKbkj' }), { status: 200, json: { OK: 'User lukas is already logged in.' } });
  assert.deepEqual(await call('GET', '/registrar/lukas'), { status: 200, json: { OK: 'User lukas is already logged in.' } });
  assert.deepEqual(await call('GET', '/registrar/alex'), { status: 401, json: { Error: 'User alex must log in.' } });
  for (const [user, secret] of [['diego', 'DRJ23pEQl16a'], ['jim', '6avZQLwcUe9b'], ['bob', 'NOE63pEQbL25']] as const) {
    assert.equal((await call('POST', '/registrar', { enrollId: user, enrollSecret: secret })).status, 200);
  }
  const peerDir = join(dir, 'peer');
  assert.equal(statSync(join(peerDir, 'client', 'loginToken_lukas')).mode & 0o777, 0o600);
  assert.equal(statSync(join(peerDir, 'crypto', 'client', 'lukas')).mode & 0o777, 0o700);
  assert.equal(statSync(join(peerDir, 'crypto', 'client', 'lukas', 'enrollment.json')).mode & 0o777, 0o600);
  assert.equal(statSync(join(peerDir, 'crypto', 'client')).mode & 0o777, 0o700);
});

test('/registrar/{id}/ecert and /tcert: URL-encoded PEM; count defaults to 1, is clamped, and must be a non-negative integer', async () => {
  const ecert = await call('GET', '/registrar/lukas/ecert');
  assert.equal(ecert.status, 200);
  const pem = new URLSearchParams(`v=${ecert.json.OK as string}`).get('v') ?? '';
  assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
  assert.equal(parseCertificate(new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'))).subject, 'CN=lukas, O=bank_a');
  assert.equal(((await call('GET', '/registrar/lukas/tcert')).json.OK as string[]).length, 1);
  assert.equal(((await call('GET', '/registrar/lukas/tcert?count=0')).json.OK as string[]).length, 1);
  assert.equal(((await call('GET', '/registrar/lukas/tcert?count=3')).json.OK as string[]).length, 3);
  assert.deepEqual(await call('GET', '/registrar/lukas/tcert?count=-1'), { status: 400, json: { Error: 'Count query parameter must be a non-negative integer.' } });
  assert.deepEqual(await call('GET', '/registrar/lukas/tcert?count=x'), { status: 400, json: { Error: 'Count query parameter must be a non-negative integer.' } });
  assert.deepEqual(await call('GET', '/registrar/alex/ecert'), { status: 401, json: { Error: 'User alex must log in.' } });
});

test('JSON-RPC with security on: a user is required and must be logged in on this peer', async () => {
  const params = { type: 1, chaincodeID: { name: 'x' }, ctorMsg: { args: ['read'] } };
  assert.deepEqual((await rpc('query', params)).error, { code: -32602, message: 'Invalid params', data: 'Must supply username for chaincode when security is enabled.' });
  assert.deepEqual((await rpc('query', { ...params, secureContext: 'alex' })).error, {
    code: -32000,
    message: 'Registration missing',
    data: "User not logged in. Use the '/registrar' endpoint to obtain a security token.",
  });
});

test('authorizable_counter: deployed signed; only a caller with position = Software Engineer increments it', async () => {
  const deployed = await peer.deploy({ ...spec('', ['init'], 'lukas'), chaincodeID: { path: 'chaincode/authorizable_counter', name: '' } }, chaincode('authorizable_counter'));
  assert.equal((await waitFor(deployed)).status, 'committed');
  counter = deployed;
  const stored = await peer.getTransaction(deployed);
  assert.ok(stored && stored.cert.length > 0 && stored.signature.length > 0 && stored.nonce.length > 0);
  assert.equal(readCertFields(parseCertificate(stored.cert)).kind, 'tcert');

  const diego = await peer.invoke(spec(counter, ['increment'], 'diego', ['position']));
  assert.equal((await waitFor(diego)).status, 'committed');
  assert.equal(await readCounter(), '1');
  // jim is a Project Manager; lukas holds no position; diego without asking for the attribute has none in his TCert.
  for (const [user, attributes] of [['jim', ['position']], ['lukas', ['position']], ['diego', []]] as const) {
    const txid = await peer.invoke(spec(counter, ['increment'], user, [...attributes]));
    assert.equal((await waitFor(txid)).status, 'committed');
  }
  assert.equal(await readCounter(), '1');
  // Over REST with "attributes".
  const answer = await rpc('invoke', { type: 1, chaincodeID: { name: counter }, ctorMsg: { args: ['increment'] }, secureContext: 'diego', attributes: ['position'] });
  assert.equal((await waitFor((answer.result as { message: string }).message)).status, 'committed');
  assert.equal(await readCounter(), '2');
});

async function signedBy(user: 'lukas' | 'bob', args: string[]): Promise<Transaction> {
  const security = peer.security;
  assert.ok(security);
  return security.sign(newInvokeTransaction(spec(counter, args, user, ['position']), timestampNow()), user, []);
}

test('transactions that fail verification are rejected with their reason and never reach chaincode', async () => {
  const before = await readCounter();
  const unsigned = newInvokeTransaction(spec(counter, ['increment'], 'diego'), timestampNow());
  assert.deepEqual(await execute(unsigned), {
    status: 'rejected',
    blockNumber: (await waitFor(unsigned.txid) as { blockNumber: number }).blockNumber,
    error: `transaction ${unsigned.txid} is not signed: security is enabled and every transaction must carry a transaction certificate and a signature`,
  });

  // Signed over different bytes: the args changed after signing.
  const signed = await signedBy('lukas', ['increment']);
  const altered = { ...signed, payload: newInvokeTransaction(spec(counter, ['other'], 'lukas'), timestampNow()).payload };
  const forged = await execute(altered);
  assert.equal(forged.status, 'rejected');
  assert.equal((forged as { error: string }).error, `transaction ${signed.txid}: signature does not verify with the transaction certificate (forged or altered)`);

  // A TCert from another CA, with a valid signature by its own key.
  const client = new CaClient(otherCa.url);
  const stranger = await client.enroll('lukas', 'NPKYL39uKbkj');
  const [foreign] = await client.tcerts(stranger, 1);
  const key = deriveTCertPrivateKey(stranger.privateKey, stranger.kdfKey, readCertFields(parseCertificate(foreign!)).tcertNonce!);
  const fromOtherCa = signTransaction(newInvokeTransaction(spec(counter, ['increment'], 'lukas'), timestampNow()), foreign!, key);
  const other = await execute(fromOtherCa);
  assert.equal((other as { error: string }).error, `transaction ${fromOtherCa.txid}: certificate was not issued by this network's membership services`);

  // An ECert where a TCert is required (wrong kind), signed by its own key.
  const asEcert = signTransaction(newInvokeTransaction(spec(counter, ['increment'], 'lukas'), timestampNow()), stranger.ecert, stranger.privateKey);
  const ecertResult = await execute({ ...asEcert, cert: (await peer.security!.credentials.load('lukas'))!.ecert });
  assert.match((ecertResult as { error: string }).error, /an enrollment certificate \(issued by the ECA\) where one from the TCA is required$/);

  // Dated outside the TCert's validity (the check uses the transaction's own timestamp).
  const late = await peer.security!.sign({ ...newInvokeTransaction(spec(counter, ['increment'], 'lukas'), { seconds: 4_000_000_000, nanos: 0 }) }, 'lukas', []);
  assert.match(((await execute(late)) as { error: string }).error, /: certificate expired at \d{4}-/);
  assert.match(peer.security!.checkForSubmission(late).ok ? '' : (peer.security!.checkForSubmission(late) as { error: string }).error, /timestamp is more than 300 s from this peer's clock/);

  // An oversized "chain" in the cert field.
  const chain = { ...signed, txid: 'chain-1', cert: new Uint8Array(20_000) };
  assert.equal(((await execute(chain)) as { error: string }).error, 'transaction chain-1: certificate chain of 20000 bytes exceeds CERT_BYTES_MAX (8192): one certificate is expected');
  const garbage = { ...signed, txid: 'garbage-1', cert: new Uint8Array(300).fill(0x30) };
  assert.match(((await execute(garbage)) as { error: string }).error, /^transaction garbage-1: malformed certificate: /);

  assert.equal(await readCounter(), before);
});

test('a replayed transaction is refused: in the recent window and from the committed index', async () => {
  const signed = await peer.security!.sign(newInvokeTransaction(spec(counter, ['increment'], 'diego', ['position']), timestampNow()), 'diego', ['position']);
  assert.equal((await execute(signed)).status, 'committed');
  const count = await readCounter();
  await peer.executor.executeBatch({ transactions: [TransactionCodec.encode(signed)], consensusMetadata: new Uint8Array(0) });
  // Outside the recent window only the committed index knows it: the executor reads it per block.
  assert.deepEqual([...(await peer.ledger.committedTxids([signed.txid, 'never-submitted']))], [signed.txid]);
  assert.equal((peer.security!.checkForExecution(signed, null)).ok, true);
  assert.equal((peer.security!.checkForExecution(signed, 'committed') as { error: string }).error, `transaction ${signed.txid} is a replay of a committed transaction`);
  // Past the executor's recent window (256 blocks), the executor's read of the index refuses it.
  for (let i = 0; i < 257; i++) await peer.executor.executeBatch({ transactions: [], consensusMetadata: new Uint8Array(0) });
  await peer.executor.executeBatch({ transactions: [TransactionCodec.encode(signed)], consensusMetadata: new Uint8Array(0) });
  assert.deepEqual(await peer.executor.transactionStatus(signed.txid), {
    status: 'rejected',
    error: `transaction ${signed.txid} is a replay of a committed transaction`,
    blockNumber: peer.ledger.height() - 1,
  });
  assert.equal(await readCounter(), count);
});

test('a replay of a transaction that was admitted and then failed in chaincode is refused, also within one batch; a forged copy does not burn its txid', async () => {
  const failing = await signedBy('lukas', ['decrement']);
  const status = () => peer.executor.transactionStatus(failing.txid) as Promise<{ status: string; error?: string }>;
  // A copy with a bad signature, ordered first, is refused at admission and leaves no record.
  const forgedCopy = { ...failing, signature: new Uint8Array(failing.signature).map((b, i) => (i === 10 ? b ^ 1 : b)) };
  await execute(forgedCopy);
  assert.match((await status()).error ?? '', /signature does not verify/);
  assert.equal(peer.ledger.getState(REJECTED_TXIDS, failing.txid), undefined);
  // The genuine one is admitted and fails in chaincode: recorded, in state, with its block.
  await execute(failing);
  assert.deepEqual(await status(), { status: 'rejected', error: 'Invalid invoke function name. Expecting "increment"', blockNumber: peer.ledger.height() - 1 });
  assert.equal(new TextDecoder().decode(peer.ledger.getState(REJECTED_TXIDS, failing.txid)), String(peer.ledger.height() - 1));
  // Its replay, later, is refused before chaincode, whatever chaincode would say this time.
  await execute(failing);
  assert.equal((await status()).error, `transaction ${failing.txid} is a replay of a rejected transaction`);
  assert.equal(peer.security!.checkForExecution(failing, 'rejected').ok, false);
  // Twice in one batch: the second is refused by the record the first just made.
  const twice = await signedBy('lukas', ['decrement']);
  const before = peer.ledger.height();
  await peer.executor.executeBatch({ transactions: [TransactionCodec.encode(twice), TransactionCodec.encode(twice)], consensusMetadata: new Uint8Array(0) });
  assert.equal(peer.ledger.height(), before + 1);
  assert.equal(((await peer.executor.transactionStatus(twice.txid)) as { error: string }).error, `transaction ${twice.txid} is a replay of a rejected transaction`);
});

test('revoked: once the CA revokes a user and the peer has the list, the peer refuses to submit for it; execution does not depend on the list', async () => {
  const signed = await signedBy('bob', ['increment']);
  assert.equal(peer.security!.checkForSubmission(signed).ok, true);
  const admin = await new CaClient(ca.url).enroll('WebAppAdmin', 'DJY27pEnl16d');
  await new CaClient(ca.url).revoke(admin, 'bob');
  peer.security!.verifier.setRevoked((await new CaClient(ca.url).revocationList()).serials);
  const refused = peer.security!.checkForSubmission(signed);
  assert.match((refused as { error: string }).error, new RegExp(`^transaction ${signed.txid}: certificate [0-9A-F]+ is revoked$`));
  await assert.rejects(peer.invoke(spec(counter, ['increment'], 'bob')), /certificate [0-9A-F]+ is revoked$/);
  // Validators may hold different copies of the list: what they execute must not depend on it.
  assert.equal(peer.security!.checkForExecution(signed, null).ok, true);
});

async function weft(args: string[]): Promise<{ out: string; error: string }> {
  let out = '';
  const io = { stdout: (line: string) => (out += `${line}\n`), stderr: () => undefined };
  const { program } = buildCli(io, process.cwd(), { CORE_SECURITY_ENABLED: 'true' });
  try {
    await program.parseAsync(['node', 'weft', ...args]);
    return { out, error: '' };
  } catch (error) {
    if (error instanceof CliError || error instanceof CommanderError) return { out, error: error.message };
    throw error;
  }
}

test('CLI: network login, then invoke and query with -u and -a; without -u or login, Fabric\'s messages', async () => {
  assert.deepEqual(await weft(['network', 'login', 'binhn', '-p', 'nope', '--peer', rest]), { out: '', error: "Login failed for user 'binhn': Identity or token does not match." });
  assert.deepEqual(await weft(['network', 'login', 'binhn', '-p', '7avZQLwcUe9q', '--peer', rest]), { out: "Login successful for user 'binhn'.\n", error: '' });
  assert.deepEqual(await weft(['network', 'login', 'binhn', '--peer', rest]), { out: "User 'binhn' is already logged in\n", error: '' });
  const before = await readCounter();
  const invoke = await weft(['chaincode', 'invoke', '--peer', rest, '-n', counter, '-c', '{"Args":["increment"]}', '-u', 'diego', '-a', '["position"]', '--wait', '30']);
  assert.equal(invoke.error, '');
  assert.match(invoke.out, /Committed in block \d+/);
  assert.equal(await readCounter(), String(Number(before) + 1));
  assert.deepEqual(await weft(['chaincode', 'query', '--peer', rest, '-n', counter, '-c', '{"Args":["read"]}', '-u', 'binhn']), { out: `Query Result: ${Number(before) + 1}\n`, error: '' });
  assert.equal((await weft(['chaincode', 'query', '--peer', rest, '-n', counter, '-c', '{"Args":["read"]}'])).error, 'Must supply username for chaincode when security is enabled');
  assert.equal(
    (await weft(['chaincode', 'query', '--peer', rest, '-n', counter, '-c', '{"Args":["read"]}', '-u', 'alex'])).error,
    "User 'alex' not logged in. Use the 'weft network login' command to obtain a security token.",
  );
});

test('logout: the token and keys are deleted, and the user can no longer transact here', async () => {
  assert.deepEqual(await call('DELETE', '/registrar/lukas'), { status: 200, json: { OK: 'Deleted login token and directory for user lukas.' } });
  assert.deepEqual(await call('DELETE', '/registrar/lukas'), { status: 200, json: { OK: 'User lukas is not logged in.' } });
  assert.equal((await rpc('invoke', { chaincodeID: { name: counter }, ctorMsg: { args: ['increment'] }, secureContext: 'lukas' })).error !== undefined, true);
  // Enrollment is once: logging in again is refused by the CA, as in Fabric.
  assert.deepEqual(await call('POST', '/registrar', { enrollId: 'lukas', enrollSecret: 'NPKYL39uKbkj' }), {
    status: 401,
    json: { Error: 'User lukas is already enrolled: an enrollment secret can be used only once.' },
  });
  // The peer still serves.
  assert.equal((await call('GET', '/chain')).status, 200);
});
