// The REST API in the shape of Fabric v0.6's (core/rest/rest_api.go): the routes, JSON shapes,
// error texts and statuses a Fabric client expects, served by fastify.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Block, BlockchainInfo, ChaincodeSpec, Transaction } from '../protocol/messages.ts';
import { blockJson, blockchainInfoJson, transactionJson, type Json } from './fabric-json.ts';
import { RpcErrors, readChaincodeSpec, readEnvelope, type RpcError, type RpcId } from './chaincode-request.ts';
import { registerRegistrarRoutes, type RegistrarApi } from './registrar.ts';

/** A peer endpoint as /network/peers lists it. */
export interface PeerEndpoint {
  ID: { name: string };
  address: string;
  /** 1 VALIDATOR, 2 NON_VALIDATOR. */
  type: number;
  pkiID?: string;
}

/** How a secured transaction is signed (weft extension signMetadata: see host/security/peer-security.ts). */
export interface SecureOptions {
  signMetadata?: boolean;
}

/** An error whose message the REST layer passes on to the client as is. */
export class ClientError extends Error {
  override name = 'ClientError';
}

/** What the REST layer needs from the peer. */
export interface PeerApi {
  readonly securityEnabled: boolean;
  /** Logins and client certificates (/registrar); absent: the routes are not served. */
  readonly registrar?: RegistrarApi;
  /** Submits a deploy; resolves with the chaincode name once accepted for ordering. */
  deploy(spec: ChaincodeSpec, codePackage: Uint8Array | undefined, options?: SecureOptions): Promise<string>;
  /** Submits an invoke; resolves with the txid once accepted for ordering. */
  invoke(spec: ChaincodeSpec, idGenerationAlg?: string, options?: SecureOptions): Promise<string>;
  /** Runs a query on committed state; rejects with Fabric's composed message on failure. */
  query(spec: ChaincodeSpec, options?: SecureOptions): Promise<Uint8Array>;
  blockchainInfo(): BlockchainInfo;
  getBlock(blockNumber: number): Promise<Block | undefined>;
  getTransaction(txid: string): Promise<Transaction | undefined>;
  peers(): PeerEndpoint[];
  /** weft extension: where a transaction stands (committed, rejected with its error, or unknown). */
  transactionStatus(txid: string): Promise<TransactionStatus>;
  /** weft extension: the peer's id, height and consensus state (view, primary, …). */
  status?(): Record<string, unknown>;
}

export type TransactionStatus =
  | { status: 'committed'; blockNumber: number }
  | { status: 'rejected'; error: string; blockNumber: number }
  | { status: 'unknown' };

export interface RestOptions {
  /** Bytes a request body may have (a deploy may carry a module). */
  bodyLimitBytes?: number;
  logger?: boolean;
  /** Told of every response sent (metrics): method, route pattern ("unmatched" if none), status, seconds. */
  onResponse?: (sample: { method: string; route: string; status: number; seconds: number }) => void;
  /** More routes (weft's explorer and metrics), registered after Fabric's. */
  routes?: Array<(app: FastifyInstance) => void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route sets its own Content-Type (HTML, a script, Prometheus text); every other answer is JSON. */
    ownContentType?: boolean;
  }
}

const UINT64_MAX = 18446744073709551615n;
const TXID_MAX_LENGTH = 256;

function sendJson(reply: FastifyReply, status: number, body: Json): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}

function rpcErrorBody(error: RpcError, id: RpcId | null): Json {
  return { jsonrpc: '2.0', error: { code: error.code, message: error.message, data: error.data }, id };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function handleChaincode(peer: PeerApi, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const body = typeof request.body === 'string' ? request.body : '';
  const envelope = readEnvelope(body);
  // A notification (no id) still runs, but Fabric writes no body for it, not even for errors.
  const respond = (status: number, payload: Json): FastifyReply =>
    envelope.notification ? reply.code(200).type('application/json').send('') : sendJson(reply, status, payload);
  if (envelope.kind === 'error') return respond(envelope.httpStatus, rpcErrorBody(envelope.error, envelope.id));

  const { method, params, id } = envelope;
  const parsed = readChaincodeSpec(method, params, { enabled: peer.securityEnabled });
  if (!parsed.ok) {
    // A field of the wrong type fails Go's decoding of the whole payload: a 400 parse error without id.
    if (parsed.error.code === -32700) return respond(400, rpcErrorBody(parsed.error, null));
    return respond(200, rpcErrorBody(parsed.error, id));
  }
  const ok = (message: string): FastifyReply => respond(200, { jsonrpc: '2.0', result: { status: 'OK', message }, id });
  if (peer.securityEnabled && peer.registrar) {
    const user = parsed.spec.secureContext;
    if (!peer.registrar.enrollmentIdPattern.test(user) || !(await peer.registrar.isLoggedIn(user))) return respond(200, rpcErrorBody(RpcErrors.registrationMissing(), id));
  }
  const secure = { signMetadata: parsed.signMetadata };
  try {
    if (method === 'deploy') return ok(await peer.deploy(parsed.spec, parsed.codePackage, secure));
    if (method === 'invoke') return ok(await peer.invoke(parsed.spec, parsed.idGenerationAlg, secure));
    const result = await peer.query(parsed.spec, secure);
    return ok(Buffer.from(result.buffer, result.byteOffset, result.byteLength).toString('utf8'));
  } catch (error) {
    const message = errorMessage(error);
    const rpcError =
      method === 'deploy' ? RpcErrors.deployFailure(message) : method === 'invoke' ? RpcErrors.invokeFailure(message) : RpcErrors.queryFailure(message);
    return respond(200, rpcErrorBody(rpcError, id));
  }
}

export function buildRestServer(peer: PeerApi, options: RestOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 8 * 1024 * 1024,
    // Txids and block numbers come in the path; keep them bounded.
    routerOptions: { maxParamLength: TXID_MAX_LENGTH },
  });

  // Bodies are read raw: Fabric answers a body it cannot parse with JSON-RPC errors, not a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.routeOptions.config?.ownContentType) reply.header('Content-Type', 'application/json');
    reply.header('Access-Control-Allow-Origin', '*');
    reply.header('Access-Control-Allow-Headers', 'accept, content-type');
    return payload;
  });

  app.setNotFoundHandler((_request, reply) => sendJson(reply, 404, { Error: 'Openchain endpoint not found.' }));
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return sendJson(reply, status, { Error: error.message });
  });

  const onResponse = options.onResponse;
  if (onResponse) {
    app.addHook('onResponse', async (request, reply) => {
      onResponse({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, seconds: reply.elapsedTime / 1000 });
    });
  }

  app.post('/chaincode', (request, reply) => handleChaincode(peer, request, reply));
  if (peer.registrar) registerRegistrarRoutes(app, peer.registrar);

  app.get('/chain', async (_request, reply) => {
    const info = peer.blockchainInfo();
    if (info.height === 0) return sendJson(reply, 400, { Error: 'No blocks in blockchain.' });
    return sendJson(reply, 200, blockchainInfoJson(info));
  });

  app.get<{ Params: { id: string } }>('/chain/blocks/:id', async (request, reply) => {
    const text = request.params.id;
    if (!/^\d{1,20}$/.test(text) || BigInt(text) > UINT64_MAX) {
      return sendJson(reply, 400, { Error: 'Block id must be an integer (uint64).' });
    }
    const blockNumber = Number(text);
    const block = Number.isSafeInteger(blockNumber) ? await peer.getBlock(blockNumber) : undefined;
    if (!block) return sendJson(reply, 404, { Error: 'openchain: resource not found' });
    return sendJson(reply, 200, blockJson(block));
  });

  app.get<{ Params: { txid: string } }>('/transactions/:txid', async (request, reply) => {
    const { txid } = request.params;
    let transaction: Transaction | undefined;
    try {
      transaction = await peer.getTransaction(txid);
    } catch (error) {
      return sendJson(reply, 500, { Error: `Error retrieving transaction ${txid}: ${errorMessage(error)}.` });
    }
    if (!transaction) return sendJson(reply, 404, { Error: `Transaction ${txid} is not found.` });
    return sendJson(reply, 200, transactionJson(transaction));
  });

  app.get('/network/peers', async (_request, reply) => sendJson(reply, 200, { peers: peer.peers() as unknown as Json }));

  // weft extension (not in Fabric): the fate of a transaction, so a client can tell a rejected
  // transaction (which Fabric leaves out of the block, 404 forever) from one still pending.
  app.get<{ Params: { txid: string } }>('/weft/transactions/:txid/status', async (request, reply) =>
    sendJson(reply, 200, (await peer.transactionStatus(request.params.txid)) as unknown as Json),
  );

  // weft extension: what the peer is doing (consensus view and primary, transport counters).
  app.get('/weft/status', async (_request, reply) => sendJson(reply, 200, (peer.status?.() ?? {}) as Json));

  for (const register of options.routes ?? []) register(app);
  return app;
}
