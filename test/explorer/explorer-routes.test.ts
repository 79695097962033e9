// The explorer's routes against a fake chain of 100,000 blocks: a page reads exactly the blocks it
// shows (never the chain), every parameter is bounded and a bad one answered 400 naming it,
// transactions come with their arguments decoded (text or hex, cut to a bound), chaincodes page
// by name, and the page's static files are served with their types and a strict CSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerExplorerRoutes, deployedChaincodes, BLOCK_PAGE_MAX, type ExplorerSource } from '../../host/explorer/explorer-routes.ts';
import { chaincodeView, SHOWN_BYTES_MAX, transactionView } from '../../host/explorer/explorer-json.ts';
import { confidentialRecord } from '../../host/security/confidential-chaincodes.ts';
import { buildRestServer, type PeerApi } from '../../host/rest/server.ts';
import {
  ChaincodeDeploymentSpecCodec,
  ChaincodeInvocationSpecCodec,
  ConfidentialityLevel,
  TransactionType,
  emptyChaincodeSpec,
  emptyTransaction,
  type Block,
  type Transaction,
} from '../../host/protocol/messages.ts';

const HEIGHT = 100_000;
const utf8 = (text: string) => new TextEncoder().encode(text);

function invoke(txid: string, args: Uint8Array[]): Transaction {
  const spec = { ...emptyChaincodeSpec(), chaincodeID: { path: '', name: 'cc' }, ctorMsg: { args } };
  return { ...emptyTransaction(), txid, type: TransactionType.CHAINCODE_INVOKE, payload: ChaincodeInvocationSpecCodec.encode({ chaincodeSpec: spec, idGenerationAlg: '' }), timestamp: { seconds: 1_700_000_000, nanos: 5_000_000 } };
}

function deployRecord(path: string): Uint8Array {
  const spec = { ...emptyChaincodeSpec(), chaincodeID: { path, name: '' }, ctorMsg: { args: [utf8('init')] } };
  return ChaincodeDeploymentSpecCodec.encode({ chaincodeSpec: spec, codePackage: new Uint8Array(300), execEnv: 0 });
}

/** Block n holds two invokes (tx-n-0, tx-n-1) and one rejection; every read is counted. */
function fakeChain() {
  const reads = { blocks: 0, hashes: 0 };
  const registry = new Map([['alpha', deployRecord('chaincode/a')], ['beta', deployRecord('chaincode/b')], ['gamma', new Uint8Array([0xff, 0xff])]]);
  const block = (n: number): Block => ({
    version: 0,
    transactions:
      n === 7
        ? [invoke('tx-7-0', [utf8('invoke'), new Uint8Array([0, 1, 0xfe]), utf8('é'.repeat(SHOWN_BYTES_MAX))]), { ...emptyTransaction(), txid: 'tx-7-1', type: 2, payload: new Uint8Array([0xff, 0x01]) }]
        : [invoke(`tx-${n}-0`, [utf8('invoke'), utf8('a'), utf8('b'), utf8('10')]), invoke(`tx-${n}-1`, [utf8('query')])],
    stateHash: new Uint8Array([n & 0xff]),
    previousBlockHash: new Uint8Array([(n - 1) & 0xff]),
    consensusMetadata: new Uint8Array(0),
    nonHashData: {
      localLedgerCommitTimestamp: { seconds: 1_700_000_000 + n, nanos: 0 },
      chaincodeEvents: [{ chaincodeID: '', txID: '', eventName: '', payload: new Uint8Array(0) }, { chaincodeID: 'cc', txID: `tx-${n}-1`, eventName: 'moved', payload: utf8('{"n":1}') }],
      transactionResults: [{ txid: `bad-${n}`, result: new Uint8Array(0), errorCode: 1, error: 'Invalid transaction amount, expecting a integer value' }],
    },
  });
  const source: ExplorerSource = {
    height: () => HEIGHT,
    getBlock: async (n) => {
      reads.blocks++;
      return n >= 0 && n < HEIGHT ? block(n) : undefined;
    },
    getBlockHash: async (n) => {
      reads.hashes++;
      return new Uint8Array([0xab, n & 0xff]);
    },
    getTransaction: async (txid) => {
      const match = /^tx-(\d+)-([01])$/.exec(txid);
      if (match) return { blockNumber: Number(match[1]), index: Number(match[2]), transaction: block(Number(match[1])).transactions[Number(match[2])]! };
      if (txid === 'alpha') return { blockNumber: 3, index: 0, transaction: emptyTransaction() };
      return undefined;
    },
    transactionStatus: async (txid) => (txid === 'bad-9' ? { status: 'rejected', error: 'Invalid transaction amount, expecting a integer value', blockNumber: 9 } : { status: 'unknown' }),
    chaincodes: (after) => deployedChaincodes({ rangeState: () => [...registry.entries()].filter(([name]) => name >= after)[Symbol.iterator]() }, after),
    status: () => ({ id: 'vp0', height: HEIGHT, consensus: { plugin: 'pbft', view: 3, primary: 'vp3' }, events: '127.0.0.1:7053' }),
    peerHeights: async () => [{ id: 'vp1', address: '127.0.0.1:7151', validator: true, height: HEIGHT - 2 }],
  };
  return { source, reads };
}

async function withApp(body: (get: (url: string) => Promise<{ status: number; json: any; text: string; headers: Record<string, unknown> }>, reads: { blocks: number; hashes: number }) => Promise<void>): Promise<void> {
  const { source, reads } = fakeChain();
  const app = buildRestServer({ securityEnabled: false } as PeerApi, { routes: [(a) => registerExplorerRoutes(a, source)] });
  try {
    await body(async (url) => {
      const response = await app.inject({ method: 'GET', url });
      const text = response.body;
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.statusCode, json, text, headers: response.headers };
    }, reads);
  } finally {
    await app.close();
  }
}

test('a page of blocks reads exactly the blocks it shows, newest first, on a chain of 100,000', async () => {
  await withApp(async (get, reads) => {
    const latest = await get('/weft/blocks');
    assert.equal(latest.status, 200);
    assert.equal(latest.json.height, HEIGHT);
    assert.deepEqual(latest.json.blocks.map((b: { number: number }) => b.number), Array.from({ length: 20 }, (_, i) => HEIGHT - 1 - i));
    assert.deepEqual(reads, { blocks: 20, hashes: 20 });
    assert.deepEqual(latest.json.blocks[0], {
      number: 99_999,
      hash: `ab${(99_999 & 0xff).toString(16)}`,
      previousHash: (99_998 & 0xff).toString(16).padStart(2, '0'),
      stateHash: (99_999 & 0xff).toString(16).padStart(2, '0'),
      committedAt: new Date((1_700_000_000 + 99_999) * 1000).toISOString(),
      transactions: 2,
      rejected: 1,
      events: 1,
      txids: ['tx-99999-0', 'tx-99999-1'],
    });
    const oldest = await get(`/weft/blocks?from=2&count=${BLOCK_PAGE_MAX}`);
    assert.deepEqual(oldest.json.blocks.map((b: { number: number }) => b.number), [2, 1, 0]);
    assert.deepEqual(reads, { blocks: 23, hashes: 23 });
  });
});

test('bad parameters are answered 400 with an error that names them', async () => {
  await withApp(async (get, reads) => {
    const cases: Array<[string, string]> = [
      ['/weft/blocks?from=100000', 'from must be an integer from 0 to 99999, got 100000'],
      ['/weft/blocks?from=-1', 'from must be an integer from 0 to 99999, got "-1"'],
      ['/weft/blocks?from=1e3', 'from must be an integer from 0 to 99999, got "1e3"'],
      ['/weft/blocks?count=0', 'count must be an integer from 1 to 100, got 0'],
      ['/weft/blocks?count=101', 'count must be an integer from 1 to 100, got 101'],
      ['/weft/blocks?count=99999999999999999999', 'count must be an integer from 1 to 100, got "99999999999999999999"'],
      ['/weft/blocks?from=1&from=2', 'from must be given once'],
      ['/weft/blocks/x1', 'block number must be an integer from 0 to 9007199254740991, got "x1"'],
      ['/weft/blocks/5?count=501', 'count must be an integer from 1 to 500, got 501'],
      ['/weft/chaincodes?count=101', 'count must be an integer from 1 to 100, got 101'],
      [`/weft/chaincodes?after=${'n'.repeat(257)}`, 'after is longer than 256 bytes'],
    ];
    for (const [url, error] of cases) {
      const answer = await get(url);
      assert.equal(answer.status, 400, url);
      assert.deepEqual(answer.json, { Error: error }, url);
    }
    assert.deepEqual(reads, { blocks: 0, hashes: 0 });
    const missing = await get('/weft/blocks/100000');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { Error: 'Block 100000 does not exist: the chain has 100000 blocks (0 to 99999)' });
  });
});

test('a block with its transactions decoded: text arguments, hex for bytes, cut at the bound, undecodable payloads named', async () => {
  await withApp(async (get) => {
    const page = await get('/weft/blocks/7?offset=0&count=2');
    assert.equal(page.status, 200);
    const [first, second] = page.json.transactionList;
    assert.equal(first.txid, 'tx-7-0');
    assert.equal(first.type, 'invoke');
    assert.equal(first.chaincode, 'cc');
    assert.equal(first.timestamp, '2023-11-14T22:13:20.005Z');
    assert.deepEqual(first.args[0], { text: 'invoke' });
    assert.deepEqual(first.args[1], { hex: '0001fe' });
    // 'é' is two bytes: the cut at 1,024 bytes keeps 512 of them, and says how long the argument was.
    assert.deepEqual(first.args[2], { text: 'é'.repeat(SHOWN_BYTES_MAX / 2), truncated: true, bytes: SHOWN_BYTES_MAX * 2 });
    assert.equal(second.txid, 'tx-7-1');
    assert.match(second.payloadError, /^payload does not decode: /);
    assert.deepEqual(page.json.rejectedList, [{ txid: 'bad-7', error: 'Invalid transaction amount, expecting a integer value' }]);
    assert.deepEqual(page.json.eventList, [{ chaincodeID: 'cc', txID: 'tx-7-1', eventName: 'moved', payload: { text: '{"n":1}' } }]);
    const secondPage = await get('/weft/blocks/8?offset=1&count=1');
    assert.deepEqual(secondPage.json.transactionList.map((t: { txid: string }) => t.txid), ['tx-8-1']);
    assert.equal(secondPage.json.offset, 1);
  });
});

test('a transaction by id: committed with its place, rejected with its error, unknown as 404', async () => {
  await withApp(async (get) => {
    const committed = await get('/weft/transactions/tx-42-0');
    assert.equal(committed.status, 200);
    assert.equal(committed.json.status, 'committed');
    assert.equal(committed.json.blockNumber, 42);
    assert.equal(committed.json.index, 0);
    assert.deepEqual(committed.json.transaction.args.map((a: { text: string }) => a.text), ['invoke', 'a', 'b', '10']);
    const rejected = await get('/weft/transactions/bad-9');
    assert.deepEqual(rejected.json, { status: 'rejected', blockNumber: 9, error: 'Invalid transaction amount, expecting a integer value', txid: 'bad-9' });
    const unknown = await get('/weft/transactions/nope');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, { Error: 'Transaction nope is not known to this peer (not committed, not rejected)' });
  });
});

test('chaincodes page by name; a record that does not decode is shown as such', async () => {
  await withApp(async (get) => {
    const first = await get('/weft/chaincodes?count=2');
    assert.deepEqual(first.json, {
      chaincodes: [
        { name: 'alpha', path: 'chaincode/a', codeBytes: 300, deployedIn: 3, args: [{ text: 'init' }] },
        { name: 'beta', path: 'chaincode/b', codeBytes: 300, deployedIn: null, args: [{ text: 'init' }] },
      ],
      next: 'beta',
    });
    const rest = await get('/weft/chaincodes?count=2&after=beta');
    assert.equal(rest.json.next, null);
    assert.equal(rest.json.chaincodes.length, 1);
    assert.equal(rest.json.chaincodes[0].name, 'gamma');
    assert.match(rest.json.chaincodes[0].recordError, /^record does not decode: /);
  });
});

test('the network view: this peer\'s status and its peers\' heights', async () => {
  await withApp(async (get) => {
    const network = await get('/weft/network');
    assert.deepEqual(network.json, {
      self: { id: 'vp0', height: HEIGHT, consensus: { plugin: 'pbft', view: 3, primary: 'vp3' }, events: '127.0.0.1:7053' },
      peers: [{ id: 'vp1', address: '127.0.0.1:7151', validator: true, height: HEIGHT - 2 }],
    });
  });
});

test('the page: /explorer redirects to /explorer/, files have their types and a strict CSP, others are 404', async () => {
  await withApp(async (get) => {
    const redirect = await get('/explorer');
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, '/explorer/');
    const index = await get('/explorer/');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(String(index.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.match(index.text, /<script type="module" src="explorer\.js"><\/script>/);
    const script = await get('/explorer/explorer.js');
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    const style = await get('/explorer/explorer.css');
    assert.equal(style.headers['content-type'], 'text/css; charset=utf-8');
    const other = await get('/explorer/..%2Fexplorer-routes.ts');
    assert.equal(other.status, 404);
    assert.match(String(other.headers['content-type']), /^application\/json/);
    // Fabric's routes keep answering JSON.
    const fabric = await get('/no/such/thing');
    assert.equal(fabric.headers['content-type'], 'application/json');
  });
});

test('confidential transactions and chaincodes (privacy mode) show that they are confidential and their sizes, nothing decoded', () => {
  const payload = new Uint8Array(321).fill(0xab);
  const view = transactionView({ ...emptyTransaction(), txid: 'secret-1', type: TransactionType.CHAINCODE_INVOKE, payload, confidentialityLevel: ConfidentialityLevel.CONFIDENTIAL });
  assert.deepEqual(view, { txid: 'secret-1', type: 'invoke', timestamp: view.timestamp, confidential: true, payloadBytes: 321 });
  const record = confidentialRecord({ ...emptyTransaction(), txid: 'cc', type: TransactionType.CHAINCODE_DEPLOY, payload, confidentialityLevel: ConfidentialityLevel.CONFIDENTIAL });
  assert.deepEqual(chaincodeView('cc', record, 7), { name: 'cc', deployedIn: 7, confidential: true });
});
