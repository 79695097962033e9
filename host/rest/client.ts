// A client of the peer's REST API (used by the CLI, the network launcher and tests): the
// JSON-RPC /chaincode calls and the ledger routes, with Fabric's errors surfaced as RestError.
import type { TransactionStatus } from './server.ts';

export class RestError extends Error {
  override name = 'RestError';
  readonly status: number;
  readonly code: number | undefined;

  constructor(message: string, status: number, code?: number) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface ChaincodeParams {
  type?: number;
  chaincodeID: { path?: string; name?: string };
  ctorMsg: { args: string[] } | { function: string; args: string[] };
  secureContext?: string;
  attributes?: string[];
  /** weft extension: the module, base64. */
  codePackage?: string;
}

export interface RestClientOptions {
  /** Milliseconds before a request is abandoned. */
  timeoutMs?: number;
}

/** http://host:port from "host:port", "0.0.0.0:7050" (→ 127.0.0.1) or a full URL. */
export function restBaseUrl(address: string): string {
  const trimmed = address.trim().replace(/\/+$/, '');
  if (/^https?:\/\//.test(trimmed)) return trimmed;
  const local = trimmed.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '127.0.0.1:').replace(/^:/, '127.0.0.1:');
  return `http://${local}`;
}

export class RestClient {
  readonly baseUrl: string;
  readonly #timeoutMs: number;
  #nextId = 1;

  constructor(address: string, options: RestClientOptions = {}) {
    this.baseUrl = restBaseUrl(address);
    this.#timeoutMs = options.timeoutMs ?? 120_000;
  }

  async #fetch(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; text: string }> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new RestError(`Cannot reach the peer at ${this.baseUrl}: ${reason}`, 0);
    }
    const text = await response.text();
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw new RestError(`The peer at ${this.baseUrl} answered ${path} with something that is not JSON (HTTP ${response.status})`, response.status);
      }
    }
    return { status: response.status, body, text };
  }

  async #get(path: string): Promise<unknown> {
    const { status, body } = await this.#fetch(path);
    if (status !== 200) {
      const message = (body as { Error?: string } | undefined)?.Error ?? `HTTP ${status}`;
      throw new RestError(message, status);
    }
    return body;
  }

  /** One JSON-RPC call; resolves with result.message, rejects with the error's data. */
  async chaincode(method: 'deploy' | 'invoke' | 'query', params: ChaincodeParams): Promise<string> {
    const id = this.#nextId++;
    const { status, body } = await this.#fetch('/chaincode', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id }),
    });
    const reply = body as { result?: { message?: string }; error?: { code: number; message: string; data?: string } } | undefined;
    if (reply?.error) throw new RestError(reply.error.data ?? reply.error.message, status, reply.error.code);
    if (status !== 200 || reply?.result?.message === undefined) throw new RestError(`Unexpected answer to ${method} (HTTP ${status})`, status);
    return reply.result.message;
  }

  chain(): Promise<{ height: number; currentBlockHash?: string; previousBlockHash?: string }> {
    return this.#get('/chain') as Promise<{ height: number; currentBlockHash?: string; previousBlockHash?: string }>;
  }

  block(blockNumber: number): Promise<Record<string, unknown>> {
    return this.#get(`/chain/blocks/${blockNumber}`) as Promise<Record<string, unknown>>;
  }

  transaction(txid: string): Promise<Record<string, unknown>> {
    return this.#get(`/transactions/${encodeURIComponent(txid)}`) as Promise<Record<string, unknown>>;
  }

  peers(): Promise<{ peers: Array<{ ID: { name: string }; address: string; type: number }> }> {
    return this.#get('/network/peers') as Promise<{ peers: Array<{ ID: { name: string }; address: string; type: number }> }>;
  }

  transactionStatus(txid: string): Promise<TransactionStatus> {
    return this.#get(`/weft/transactions/${encodeURIComponent(txid)}/status`) as Promise<TransactionStatus>;
  }

  /** Polls until the transaction is committed or rejected, or the timeout passes. */
  async waitForTransaction(txid: string, timeoutMs: number, pollMs = 100): Promise<TransactionStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.transactionStatus(txid);
      if (status.status !== 'unknown') return status;
      if (Date.now() >= deadline) return status;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}
