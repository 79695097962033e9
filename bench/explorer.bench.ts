// The explorer's routes on a real ledger of 100,000 blocks (2 decoded invokes each): how long a
// page of the latest blocks, a page deep in the chain, one block with its transactions, a
// transaction by id and /metrics take, served through fastify as a browser would get them.
// The chain is appended in batches of 1,000 (as state transfer appends blocks), so building it
// takes seconds, not the minutes 100,000 synced commits would.
//
// Usage: node bench/explorer.bench.ts [--quick]   (--quick: 10,000 blocks)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerExplorerRoutes, deployedChaincodes } from '../host/explorer/explorer-routes.ts';
import { blockHashOf } from '../host/ledger/block-store.ts';
import { Ledger } from '../host/ledger/ledger.ts';
import { PeerMetrics } from '../host/metrics/peer-metrics.ts';
import { registerMetricsRoute } from '../host/metrics/metrics-route.ts';
import { PeerEvents } from '../host/peer/events.ts';
import { ChaincodeInvocationSpecCodec, TransactionType, emptyChaincodeSpec, emptyTransaction, type Block, type Transaction } from '../host/protocol/messages.ts';
import { buildRestServer, type PeerApi } from '../host/rest/server.ts';
import { benchArgs } from './bench-args.ts';

const BLOCKS = benchArgs(import.meta.url, "The explorer's routes on a real ledger of 100,000 blocks (10,000 with --quick).").quick ? 10_000 : 100_000;
const BATCH = 1_000;
const REPEAT = 50;
const utf8 = (text: string) => new TextEncoder().encode(text);

function invoke(txid: string, n: number): Transaction {
  const spec = { ...emptyChaincodeSpec(), chaincodeID: { path: '', name: 'example02' }, ctorMsg: { args: [utf8('invoke'), utf8('a'), utf8('b'), utf8(String(n % 100))] } };
  return { ...emptyTransaction(), txid, type: TransactionType.CHAINCODE_INVOKE, payload: ChaincodeInvocationSpecCodec.encode({ chaincodeSpec: spec, idGenerationAlg: '' }), timestamp: { seconds: 1_700_000_000 + n, nanos: 0 } };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dir = await mkdtemp(join(tmpdir(), 'weft-explorer-bench-'));
const ledger = await Ledger.open(join(dir, 'db'), { deltaHistorySize: 500 });
try {
  const built = performance.now();
  let previous = ledger.head().blockHash;
  for (let from = 1; from < BLOCKS; from += BATCH) {
    const blocks: Block[] = [];
    for (let n = from; n < Math.min(BLOCKS, from + BATCH); n++) {
      const block: Block = {
        version: 0,
        transactions: [invoke(`tx-${n}-0`, n), invoke(`tx-${n}-1`, n)],
        stateHash: ledger.head().stateHash,
        previousBlockHash: previous,
        consensusMetadata: new Uint8Array(0),
        nonHashData: { localLedgerCommitTimestamp: { seconds: 1_700_000_000 + n, nanos: 0 }, chaincodeEvents: [], transactionResults: [] },
      };
      previous = blockHashOf(block);
      blocks.push(block);
    }
    await ledger.appendBlocksWithoutState(blocks);
  }
  console.log(`chain of ${ledger.height().toLocaleString('en')} blocks built in ${((performance.now() - built) / 1000).toFixed(1)} s`);

  const metrics = new PeerMetrics(new PeerEvents(), { height: () => ledger.height(), consensus: () => null, connectedPeers: () => 0, eventHub: () => undefined }, { peerId: 'vp0', validator: true });
  const app = buildRestServer({ securityEnabled: false } as PeerApi, {
    onResponse: (sample) => metrics.observeRequest(sample),
    routes: [
      (a) => registerMetricsRoute(a, metrics),
      (a) =>
        registerExplorerRoutes(a, {
          height: () => ledger.height(),
          getBlock: (n) => ledger.getBlock(n),
          getBlockHash: (n) => ledger.getBlockHash(n),
          getTransaction: (txid) => ledger.getTransaction(txid),
          transactionStatus: async () => ({ status: 'unknown' }),
          chaincodes: (after) => deployedChaincodes(ledger, after),
          status: () => ({ id: 'vp0', height: ledger.height() }),
          peerHeights: async () => [],
        }),
    ],
  });
  await app.ready();
  // Each request asks for a different part of the chain, so the block cache does not serve them.
  const cases: Array<[string, (i: number) => string]> = [
    ['latest 20 block summaries', () => '/weft/blocks?count=20'],
    ['20 block summaries deep in the chain', (i) => `/weft/blocks?from=${1_000 + i * 37}&count=20`],
    // Pages spread over the second half of the chain, the last one ending inside it (--quick's chain too).
    ['100 block summaries deep in the chain', (i) => `/weft/blocks?from=${BLOCKS / 2 + i * Math.floor((BLOCKS / 2 - 100) / REPEAT)}&count=100`],
    ['one block, transactions decoded', (i) => `/weft/blocks/${BLOCKS / 4 + i * 13}`],
    ['a transaction by id', (i) => `/weft/transactions/tx-${Math.floor(BLOCKS / 3) + i * 17}-1`],
    ['GET /metrics', () => '/metrics'],
  ];
  for (const [name, url] of cases) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REPEAT; i++) {
      const started = performance.now();
      const response = await app.inject({ method: 'GET', url: url(i) });
      times.push(performance.now() - started);
      if (response.statusCode !== 200) throw new Error(`${url(i)}: HTTP ${response.statusCode} ${response.body}`);
      bytes = response.body.length;
    }
    console.log(`${name.padEnd(40)} median ${median(times).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms, ${(bytes / 1024).toFixed(1)} KiB`);
  }
  await app.close();
} finally {
  await ledger.close();
  await rm(dir, { recursive: true, force: true });
}
