// Privacy mode on a network: membership services and four validators with security and privacy
// on, ordering by PBFT over libp2p on 127.0.0.1, all in this process. example02 is deployed and
// invoked confidentially through two different peers; every validator answers the query, their
// state hashes are identical, and neither the blocks nor the world state nor anything in any
// peer's LevelDB holds the plaintext.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { CoreConfig } from '../../host/config/core-config.ts';
import { freeBasePort, peerEnvironment, planNetwork, type NetworkLayout } from '../../host/launcher/network-launcher.ts';
import { Membersrvc } from '../../host/membersrvc/membersrvc.ts';
import { Peer } from '../../host/peer/peer.ts';
import { CHAINCODE_REGISTRY } from '../../host/peer/executor.ts';
import { BlockCodec, ChaincodeInputCodec, ConfidentialityLevel, TransactionType, type Transaction } from '../../host/protocol/messages.ts';
import type { TransactionStatus } from '../../host/rest/server.ts';
import { isConfidentialRecord } from '../../host/security/confidential-chaincodes.ts';
import { PrivacyModeError } from '../../host/security/privacy-mode.ts';
import { loadOrCreatePeerIdentity } from '../../network/transport/index.ts';
import { chaincode, text } from '../chaincode/built.ts';
import { spec } from './secure-fixture.ts';

const VALIDATORS: Array<[string, string]> = [
  ['test_vp0', 'MwYpmSRjupbT'],
  ['test_vp1', '5wgHK9qqYaPy'],
  ['test_vp2', 'vQelbRvja7cJ'],
  ['test_vp3', '9LKqKH5peurL'],
];
/** The user logged in on each validator (a user enrolls once, so each peer has its own). */
const USERS: Array<[string, string]> = [
  ['jim', '6avZQLwcUe9b'],
  ['diego', 'DRJ23pEQl16a'],
  ['binhn', '7avZQLwcUe9q'],
  ['bob', 'NOE63pEQbL25'],
];
const WAIT_MS = 30_000;

let dir: string;
let ca: Membersrvc;
let layout: NetworkLayout;
let peers: Peer[] = [];
let name = '';
const code = chaincode('chaincode_example02');

function configOf(index: number): CoreConfig {
  const entry = layout.peers[index]!;
  const [enrollId, secret] = VALIDATORS[index]!;
  return CoreConfig.load({
    env: {
      ...peerEnvironment(layout, entry),
      CORE_SECURITY_ENABLED: 'true',
      CORE_SECURITY_PRIVACY: 'true',
      CORE_SECURITY_ENROLLID: enrollId,
      CORE_SECURITY_ENROLLSECRET: secret,
      CORE_SECURITY_TCERTBATCH_SIZE: '4',
      CORE_PEER_PKI_ECA_PADDR: ca.url,
    },
  });
}

async function until<T>(what: string, probe: () => Promise<T> | T, accept: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until every validator has the transaction; answers their statuses. */
function settledEverywhere(txid: string): Promise<TransactionStatus[]> {
  return until(`${txid} on every validator`, () => Promise.all(peers.map((peer) => peer.transactionStatus(txid))), (all) => all.every((s) => s.status !== 'unknown'));
}

async function allBlocks(peer: Peer): Promise<Transaction[]> {
  const out: Transaction[] = [];
  for (let n = 1; n < peer.ledger.height(); n++) out.push(...((await peer.getBlock(n))?.transactions ?? []));
  return out;
}

function includes(haystack: Uint8Array, needle: Uint8Array | string): boolean {
  return Buffer.from(haystack).includes(typeof needle === 'string' ? Buffer.from(needle) : Buffer.from(needle));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-privacy-net-'));
  ca = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'ca') });
  layout = planNetwork({ peers: 4, consensus: 'pbft', dataDir: join(dir, 'net'), basePort: await freeBasePort(4) });
  for (const entry of layout.peers) {
    await mkdir(entry.dataDir, { recursive: true });
    entry.peerId = (await loadOrCreatePeerIdentity(entry.dataDir)).peerId;
  }
  peers = layout.peers.map((_, i) => new Peer({ config: configOf(i) }));
  await Promise.all(peers.map((peer) => peer.start()));
  for (const [i, peer] of peers.entries()) await peer.security!.login(...USERS[i]!);
  await until('validators admitted to each other', () => peers.map((peer) => peer.peers().length), (counts) => counts.every((n) => n === 4));
});

after(async () => {
  await Promise.all(peers.map((peer) => peer.stop()));
  await ca?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('privacy needs security: a peer with security.privacy and security off refuses to start', async () => {
  const peer = new Peer({ config: CoreConfig.load({ env: { CORE_SECURITY_PRIVACY: 'true', CORE_PEER_FILESYSTEMPATH: join(dir, 'refused') } }) });
  await assert.rejects(peer.start(), (error: unknown) => {
    assert.ok(error instanceof PrivacyModeError);
    assert.equal(error.message, 'security.privacy is true but security.enabled is false: privacy mode needs security (membership services and signed transactions)');
    return true;
  });
});

test('example02 deployed and invoked confidentially: every validator answers b = 210 and all four state hashes are identical', async () => {
  name = await peers[0]!.deploy({ ...spec('', ['init', 'a', '100', 'b', '200'], 'jim'), chaincodeID: { path: 'chaincode/chaincode_example02', name: '' } }, code);
  assert.deepEqual((await settledEverywhere(name)).map((s) => s.status), ['committed', 'committed', 'committed', 'committed']);
  // Submitted through another peer, by another user.
  const moved = await peers[1]!.invoke(spec(name, ['invoke', 'a', 'b', '10'], 'diego'));
  assert.deepEqual((await settledEverywhere(moved)).map((s) => s.status), ['committed', 'committed', 'committed', 'committed']);
  for (const [i, peer] of peers.entries()) assert.equal(text(await peer.query(spec(name, ['query', 'b'], USERS[i]![0]))), '210');
  const height = peers[0]!.ledger.height();
  await until('equal heights', () => peers.map((peer) => peer.ledger.height()), (heights) => heights.every((h) => h === height));
  const hashes = peers.map((peer) => Buffer.from(peer.ledger.stateHash()).toString('hex'));
  assert.equal(new Set(hashes).size, 1, `state hashes differ: ${hashes.join(' ')}`);
  assert.equal(hashes[0]!.length > 0, true);
});

test('the blocks hold the transactions encrypted: no plaintext arguments, code or chaincode name in any payload', async () => {
  const invokeArgs = ChaincodeInputCodec.encode({ args: ['invoke', 'a', 'b', '10'].map((a) => new TextEncoder().encode(a)) });
  const initArgs = ChaincodeInputCodec.encode({ args: ['init', 'a', '100', 'b', '200'].map((a) => new TextEncoder().encode(a)) });
  const codeSample = code.subarray(code.length >> 1, (code.length >> 1) + 64);
  for (const peer of peers) {
    const transactions = await allBlocks(peer);
    assert.deepEqual(transactions.map((t) => t.type), [TransactionType.CHAINCODE_DEPLOY, TransactionType.CHAINCODE_INVOKE]);
    for (const transaction of transactions) {
      assert.equal(transaction.confidentialityLevel, ConfidentialityLevel.CONFIDENTIAL);
      assert.equal(transaction.confidentialityProtocolVersion, '1.2');
      assert.ok(transaction.toValidators.length > 0 && transaction.cert.length > 0 && transaction.signature.length > 0);
      for (const field of [transaction.payload, transaction.chaincodeID]) {
        assert.equal(includes(field, invokeArgs), false);
        assert.equal(includes(field, initArgs), false);
        assert.equal(includes(field, 'invoke'), false);
        assert.equal(includes(field, codeSample), false);
      }
      // An invoke's chaincodeID no longer names the chaincode (a deploy's txid does, as in Fabric).
      if (transaction.type === TransactionType.CHAINCODE_INVOKE) assert.equal(includes(transaction.chaincodeID, name.slice(0, 32)), false);
    }
    for (let n = 1; n < peer.ledger.height(); n++) {
      const block = BlockCodec.encode((await peer.getBlock(n))!);
      assert.equal(includes(block, invokeArgs) || includes(block, initArgs) || includes(block, codeSample), false, `block ${n} of ${peer.id}`);
    }
  }
});

test('the world state holds ciphertext: no value of example02 is its plaintext, and the registry keeps the deploy encrypted', () => {
  for (const peer of peers) {
    const a = peer.ledger.getState(name, 'a');
    const b = peer.ledger.getState(name, 'b');
    assert.ok(a && b);
    assert.equal(a.length, 2 + 28);
    assert.equal(b.length, 3 + 28);
    assert.notEqual(Buffer.from(a).toString(), '90');
    assert.notEqual(Buffer.from(b).toString(), '210');
    assert.equal(includes(b, '210'), false);
    const record = peer.ledger.getState(CHAINCODE_REGISTRY, name);
    assert.ok(record && isConfidentialRecord(record));
  }
  // Every validator wrote the same bytes.
  assert.equal(new Set(peers.map((peer) => Buffer.from(peer.ledger.getState(name, 'b')!).toString('hex'))).size, 1);
});

test('no peer\'s LevelDB holds a plaintext value; a restarted validator re-derives the state key and answers the query', async () => {
  const codeSample = Buffer.from(code.subarray(code.length >> 1, (code.length >> 1) + 64));
  const restarted = 3;
  await peers[restarted]!.stop();
  const db = new Level<Uint8Array, Uint8Array>(join(layout.peers[restarted]!.dataDir, 'db'), { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  let values = 0;
  try {
    for await (const [key, value] of db.iterator()) {
      values++;
      const bytes = Buffer.from(value);
      assert.equal(['210', '90', '100', '200'].includes(bytes.toString()), false, `plaintext value under key ${Buffer.from(key).toString('hex')}`);
      assert.equal(bytes.includes(codeSample), false, `code in clear under key ${Buffer.from(key).toString('hex')}`);
    }
  } finally {
    await db.close();
  }
  assert.ok(values > 10);
  peers[restarted] = new Peer({ config: configOf(restarted) });
  await peers[restarted]!.start();
  // bob's login was kept on disk across the restart.
  assert.equal(text(await peers[restarted]!.query(spec(name, ['query', 'a'], USERS[restarted]![0]))), '90');
});
