// Fabric's asset_management on a secured peer: the deployer's admin certificate, assign by the
// admin only, transfer by the owner only, proofs bound to their transaction (a copied proof
// fails), and the same chaincode refusing to start without security.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newInvokeTransaction, timestampNow } from '../../host/peer/transactions.ts';
import { TransactionCodec } from '../../host/protocol/messages.ts';
import { MockNetwork } from '../../host/testing/mock-network.ts';
import { chaincode } from '../chaincode/built.ts';
import { spec, startSecureFixture, type SecureFixture } from './secure-fixture.ts';

let f: SecureFixture;
let name = '';
const ecerts = new Map<string, Uint8Array>();

before(async () => {
  f = await startSecureFixture({ jim: '6avZQLwcUe9b', alice: 'CMS10pEQlB16', bob: 'NOE63pEQbL25', lukas: 'NPKYL39uKbkj' });
  for (const user of ['jim', 'alice', 'bob', 'lukas']) ecerts.set(user, (await f.peer.security!.credentials.load(user))!.ecert);
});

after(async () => {
  await f?.close();
});

const b64 = (user: string): string => Buffer.from(ecerts.get(user)!).toString('base64');

/** The fate of an invoke: "committed", or the rejection's error. */
async function invoke(user: string, args: string[], signMetadata = true): Promise<string> {
  const txid = await f.peer.invoke(spec(name, args, user), '', { signMetadata });
  const status = await f.waitFor(txid);
  return status.status === 'rejected' ? status.error : status.status;
}

async function owner(asset: string): Promise<string> {
  return Buffer.from(await f.peer.query(spec(name, ['query', asset], 'lukas'))).toString('base64');
}

test("deploy: the metadata (jim's ECert) becomes the admin", async () => {
  const deployed = await f.peer.deploy(
    { ...spec('', ['init'], 'jim', { metadata: ecerts.get('jim')! }), chaincodeID: { path: 'chaincode/asset_management', name: '' } },
    chaincode('asset_management'),
  );
  assert.equal((await f.waitFor(deployed)).status, 'committed');
  name = deployed;
});

test('assign: only the admin, proving it with a signature of payload and binding in the metadata', async () => {
  assert.equal(await invoke('lukas', ['assign', 'Picasso', b64('alice')]), 'The caller is not an administrator');
  assert.equal(await invoke('jim', ['assign', 'Picasso', b64('alice')], false), 'The caller is not an administrator');
  assert.equal(await invoke('jim', ['assign', 'Picasso', b64('alice')]), 'committed');
  assert.equal(await owner('Picasso'), b64('alice'));
  assert.equal(await invoke('jim', ['assign', 'Picasso', b64('bob')]), 'Asset was already assigned.');
  assert.equal(await invoke('jim', ['assign', 'Monet', 'not base64!']), 'Failed decodinf owner');
});

test('transfer: only the owner; a proof copied from another transaction does not verify', async () => {
  assert.equal(await invoke('bob', ['transfer', 'Picasso', b64('bob')]), 'The caller is not the owner of the asset');
  // alice's proof, lifted from one of her transactions into another one of the same content: the binding differs.
  const security = f.peer.security!;
  const aliceTx = await security.sign(newInvokeTransaction(spec(name, ['transfer', 'Picasso', b64('bob')], 'alice'), timestampNow()), 'alice', [], { signMetadata: true });
  const copy = await security.sign({ ...newInvokeTransaction(spec(name, ['transfer', 'Picasso', b64('bob')], 'bob'), timestampNow()), metadata: aliceTx.metadata }, 'bob', []);
  await f.peer.executor.executeBatch({ transactions: [TransactionCodec.encode(copy)], consensusMetadata: new Uint8Array(0) });
  const copied = await f.waitFor(copy.txid);
  assert.equal(copied.status === 'rejected' ? copied.error : copied.status, 'The caller is not the owner of the asset');
  assert.equal(await owner('Picasso'), b64('alice'));
  assert.equal(await invoke('alice', ['transfer', 'Picasso', b64('bob')]), 'committed');
  assert.equal(await owner('Picasso'), b64('bob'));
  assert.equal(await invoke('alice', ['transfer', 'Picasso', b64('alice')]), 'The caller is not the owner of the asset');
  assert.equal(await invoke('alice', ['transfer', 'Nothing', b64('alice')]), 'Invalid previous owner. Nil');
});

test('without security the identity calls answer SECURITY_DISABLED: init fails with Fabric\'s text', () => {
  const network = new MockNetwork();
  const result = network.deploy('asset_management', chaincode('asset_management'), ['init']);
  assert.equal(result.ok, false);
  assert.equal((result as { error: string }).error, 'Failed getting metadata.');
});
