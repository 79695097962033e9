// The block explorer's routes on the REST port: the page itself (GET /explorer, static files from
// ./static, no build step, nothing fetched from elsewhere) and the weft extensions it reads, each
// bounded so a chain of 100,000 blocks costs a page of work, never the whole chain:
//   GET /weft/blocks?from=N&count=C         block summaries from N down (default: the head), C ≤ 100
//   GET /weft/blocks/N?offset=O&count=C     one block, C of its transactions decoded from O
//   GET /weft/transactions/TXID             a transaction decoded, with where it stands
//   GET /weft/chaincodes?after=NAME&count=C deployed chaincodes in name order
//   GET /weft/network                       this peer, its consensus view and primary, its peers' heights
// Parameters are validated; a bad one is answered 400 with {"Error": "..."} naming it.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LedgerApi, TransactionLocation } from '../ledger/types.ts';
import { CHAINCODE_REGISTRY } from '../peer/executor.ts';
import type { Block } from '../protocol/messages.ts';
import type { Json } from '../rest/fabric-json.ts';
import type { TransactionStatus } from '../rest/server.ts';
import { blockSummary, blockView, chaincodeView, transactionView } from './explorer-json.ts';
import type { PeerHeight } from './peer-heights.ts';

/** Block summaries per page. */
export const BLOCK_PAGE_MAX = 100;
const BLOCK_PAGE_DEFAULT = 20;
/** Transactions of one block decoded per page. */
export const TRANSACTION_PAGE_MAX = 500;
const TRANSACTION_PAGE_DEFAULT = 100;
/** Chaincodes per page. */
export const CHAINCODE_PAGE_MAX = 100;
const CHAINCODE_PAGE_DEFAULT = 50;
/** Bytes of a txid or chaincode name in a request. */
const ID_BYTES_MAX = 256;

/** What the explorer reads from the peer. */
export interface ExplorerSource {
  height(): number;
  getBlock(blockNumber: number): Promise<Block | undefined>;
  getBlockHash(blockNumber: number): Promise<Uint8Array | undefined>;
  getTransaction(txid: string): Promise<TransactionLocation | undefined>;
  transactionStatus(txid: string): Promise<TransactionStatus>;
  /** Deployed chaincodes (name → deployment record) in name order, names after `after` only. */
  chaincodes(after: string): Iterator<[string, Uint8Array]>;
  /** The peer's /weft/status. */
  status(): Record<string, unknown>;
  /** The connected members and their heights. */
  peerHeights(): Promise<PeerHeight[]>;
}

class BadParameter extends Error {}

/** The deployed chaincodes of a ledger's registry namespace, names after `after` only, in order. */
export function* deployedChaincodes(ledger: Pick<LedgerApi, 'rangeState'>, after: string): Generator<[string, Uint8Array]> {
  for (const entry of iterable(ledger.rangeState(CHAINCODE_REGISTRY, after, ''))) {
    if (entry[0] !== after) yield entry;
  }
}

function iterable<T>(iterator: Iterator<T>): Iterable<T> {
  return { [Symbol.iterator]: () => iterator };
}

const STATIC_DIR = new URL('./static/', import.meta.url);
const STATIC_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'explorer.js': 'text/javascript; charset=utf-8',
  'explorer.css': 'text/css; charset=utf-8',
};
// The page runs only its own script and style; it talks to this peer and to its event hub (another port).
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadParameter(`${name} must be given once`);
  return value;
}

/** An integer query parameter within [min, max], or the default when absent. */
function integer(value: unknown, name: string, min: number, max: number, fallback: number): number {
  const text = single(value, name);
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,16}$/.test(text)) throw new BadParameter(`${name} must be an integer from ${min} to ${max}, got "${text.slice(0, 40)}"`);
  const number = Number(text);
  if (number < min || number > max) throw new BadParameter(`${name} must be an integer from ${min} to ${max}, got ${text}`);
  return number;
}

function boundedId(value: string, name: string): string {
  if (Buffer.byteLength(value) > ID_BYTES_MAX) throw new BadParameter(`${name} is longer than ${ID_BYTES_MAX} bytes`);
  return value;
}

function send(reply: FastifyReply, status: number, body: Json): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}

/** A handler whose BadParameter becomes a 400 naming the parameter. */
function checked<R extends FastifyRequest>(handler: (request: R, reply: FastifyReply) => Promise<FastifyReply>) {
  return async (request: R, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      return await handler(request, reply);
    } catch (error) {
      if (error instanceof BadParameter) return send(reply, 400, { Error: error.message });
      throw error;
    }
  };
}

export function registerExplorerRoutes(app: FastifyInstance, source: ExplorerSource): void {
  const files = new Map(Object.entries(STATIC_FILES).map(([name, type]) => [name, { type, body: readFileSync(new URL(name, STATIC_DIR)) }]));

  const serveFile = (name: string, reply: FastifyReply): FastifyReply => {
    const file = files.get(name);
    if (!file) return send(reply, 404, { Error: 'Openchain endpoint not found.' });
    return reply
      .code(200)
      .type(file.type)
      .header('Cache-Control', 'no-cache')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .send(file.body);
  };
  const ownType = { config: { ownContentType: true } };
  app.get('/explorer', ownType, async (_request, reply) => reply.redirect('/explorer/', 302));
  app.get('/explorer/', ownType, async (_request, reply) => serveFile('index.html', reply));
  app.get<{ Params: { file: string } }>('/explorer/:file', ownType, async (request, reply) => serveFile(request.params.file, reply));

  type Query = { Querystring: Record<string, unknown> };
  app.get<Query>('/weft/blocks', checked(async (request: FastifyRequest<Query>, reply) => {
    const height = source.height();
    const head = height - 1;
    const from = integer(request.query.from, 'from', 0, Math.max(0, head), head);
    const count = integer(request.query.count, 'count', 1, BLOCK_PAGE_MAX, BLOCK_PAGE_DEFAULT);
    const blocks: Json[] = [];
    for (let n = from; n >= 0 && n > from - count; n--) {
      const [block, hash] = await Promise.all([source.getBlock(n), source.getBlockHash(n)]);
      if (block) blocks.push(blockSummary(n, block, hash));
    }
    return send(reply, 200, { height, blocks });
  }));

  type BlockRequest = { Params: { number: string }; Querystring: Record<string, unknown> };
  app.get<BlockRequest>('/weft/blocks/:number', checked(async (request: FastifyRequest<BlockRequest>, reply) => {
    const height = source.height();
    const blockNumber = integer(request.params.number, 'block number', 0, Number.MAX_SAFE_INTEGER, 0);
    const offset = integer(request.query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER, 0);
    const count = integer(request.query.count, 'count', 1, TRANSACTION_PAGE_MAX, TRANSACTION_PAGE_DEFAULT);
    if (blockNumber >= height) return send(reply, 404, { Error: `Block ${blockNumber} does not exist: the chain has ${height} blocks (0 to ${height - 1})` });
    const [block, hash] = await Promise.all([source.getBlock(blockNumber), source.getBlockHash(blockNumber)]);
    if (!block) return send(reply, 404, { Error: `Block ${blockNumber} is not on this peer` });
    return send(reply, 200, blockView(blockNumber, block, hash, offset, count));
  }));

  type TxRequest = { Params: { txid: string } };
  app.get<TxRequest>('/weft/transactions/:txid', checked(async (request: FastifyRequest<TxRequest>, reply) => {
    const txid = boundedId(request.params.txid, 'txid');
    const location = await source.getTransaction(txid);
    if (location) {
      return send(reply, 200, { status: 'committed', blockNumber: location.blockNumber, index: location.index, transaction: transactionView(location.transaction) });
    }
    const status = await source.transactionStatus(txid);
    if (status.status === 'rejected') return send(reply, 200, { status: 'rejected', blockNumber: status.blockNumber, error: status.error, txid });
    if (status.status === 'committed') return send(reply, 200, { status: 'committed', blockNumber: status.blockNumber, txid });
    return send(reply, 404, { Error: `Transaction ${txid} is not known to this peer (not committed, not rejected)` });
  }));

  app.get<Query>('/weft/chaincodes', checked(async (request: FastifyRequest<Query>, reply) => {
    const after = boundedId(single(request.query.after, 'after') ?? '', 'after');
    const count = integer(request.query.count, 'count', 1, CHAINCODE_PAGE_MAX, CHAINCODE_PAGE_DEFAULT);
    const found: Array<[string, Uint8Array]> = [];
    const entries = source.chaincodes(after);
    for (let next = entries.next(); !next.done && found.length <= count; next = entries.next()) found.push(next.value);
    const page = found.slice(0, count);
    const chaincodes = await Promise.all(page.map(async ([name, record]) => chaincodeView(name, record, (await source.getTransaction(name))?.blockNumber)));
    return send(reply, 200, { chaincodes, next: found.length > count ? (page[page.length - 1]?.[0] ?? null) : null });
  }));

  app.get('/weft/network', async (_request, reply) => {
    const status = source.status();
    const peers = await source.peerHeights();
    return send(reply, 200, { self: status as Json, peers: peers as unknown as Json });
  });
}
