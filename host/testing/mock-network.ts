// An in-memory weft network for chaincode tests, in the spirit of Fabric's shim.MockStub but
// running the real thing: the built .wasm goes through the same prepare (validation, fuel and
// depth instrumentation) and the same sandbox as on a peer, over an in-memory world state.
// Deploy, invoke and query behave as on a peer: an invoke's writes (and those of chaincodes it
// called) are committed only if it succeeds; a query is read-only on committed state.
import { readFileSync } from 'node:fs';
import { ChaincodeRuntime, type RuntimeOptions } from '../runtime/runtime.ts';
import { EMPTY_STATE, StateOverlay } from '../runtime/state-overlay.ts';
import type { EntryPoint } from '../runtime/abi.ts';
import type { CallerIdentity, ExecutionResult, FailureKind, PreparedChaincode } from '../runtime/types.ts';

export type { CallerIdentity, FailureKind } from '../runtime/types.ts';

export interface MockTxOptions {
  /** Default: `mock-tx-<n>`, n counting the network's transactions from 1. */
  txid?: string;
  /** Default: MOCK_EPOCH_SECONDS + n seconds, 0 nanos. */
  timestamp?: { seconds: number; nanos: number };
  /** Default: the network's fuel limit. */
  fuelLimit?: number;
  /** Default: null (security off: membership calls answer SECURITY_DISABLED). */
  caller?: CallerIdentity | null;
  /** What get_payload returns (a ChaincodeSpec on a peer). Default: empty. */
  payload?: Uint8Array;
}

export type MockResult =
  | { ok: true; payload: Uint8Array; text: string; event: { eventName: string; payload: Uint8Array } | null; fuelUsed: number; logs: string[] }
  | { ok: false; error: string; kind: FailureKind; event: { eventName: string; payload: Uint8Array } | null; fuelUsed: number; logs: string[] };

/** Timestamp of the mock network's first transaction minus one second (2023-11-14). */
export const MOCK_EPOCH_SECONDS = 1_700_000_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytesOf(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

export class MockNetwork {
  readonly runtime: ChaincodeRuntime;
  readonly #fuelLimit: number | undefined;
  readonly #committed = new StateOverlay(EMPTY_STATE);
  readonly #chaincodes = new Map<string, PreparedChaincode>();
  #transactions = 0;

  constructor(options: { fuelLimit?: number; runtime?: RuntimeOptions } = {}) {
    this.runtime = new ChaincodeRuntime(options.runtime);
    this.#fuelLimit = options.fuelLimit;
  }

  /** Prepares the module (throws the prepare error if invalid) and runs init; registers `name` only if init succeeds. */
  deploy(name: string, wasm: Uint8Array, args: Array<string | Uint8Array>, options: MockTxOptions = {}): MockResult {
    const prepared = this.runtime.prepare(wasm);
    const result = this.#run(name, prepared, 'init', args, options);
    if (result.ok) this.#chaincodes.set(name, prepared);
    return result;
  }

  /** Runs invoke; its writes (and those of chaincodes it called) are committed only if it succeeds. */
  invoke(name: string, args: Array<string | Uint8Array>, options: MockTxOptions = {}): MockResult {
    return this.#run(name, this.#deployed(name), 'invoke', args, options);
  }

  /** Runs query, read-only on committed state. */
  query(name: string, args: Array<string | Uint8Array>, options: MockTxOptions = {}): MockResult {
    return this.#run(name, this.#deployed(name), 'query', args, options);
  }

  /** Committed value, UTF-8 decoded. */
  getState(name: string, key: string): string | undefined {
    const value = this.#committed.getState(name, key);
    return value === undefined ? undefined : decoder.decode(value);
  }

  /** Committed value as bytes. */
  getStateBytes(name: string, key: string): Uint8Array | undefined {
    return this.#committed.getState(name, key);
  }

  /** Writes committed state directly (test setup). */
  putState(name: string, key: string, value: string | Uint8Array): void {
    this.#committed.putState(name, key, bytesOf(value));
  }

  /** Committed keys in byte order. */
  keys(name: string): string[] {
    const keys: string[] = [];
    const records = this.#committed.rangeState(name, '', '');
    for (let next = records.next(); !next.done; next = records.next()) keys.push(next.value[0]);
    return keys;
  }

  /** Whether `name` is deployed. */
  isDeployed(name: string): boolean {
    return this.#chaincodes.has(name);
  }

  #deployed(name: string): PreparedChaincode {
    const prepared = this.#chaincodes.get(name);
    if (prepared === undefined) throw new Error(`chaincode ${name} is not deployed on this mock network`);
    return prepared;
  }

  #run(name: string, chaincode: PreparedChaincode, entry: EntryPoint, args: Array<string | Uint8Array>, options: MockTxOptions): MockResult {
    const n = ++this.#transactions;
    const overlay = new StateOverlay(this.#committed);
    const readOnly = entry === 'query';
    const result: ExecutionResult = this.runtime.execute({
      chaincodeName: name,
      chaincode,
      entry,
      args: args.map(bytesOf),
      context: {
        txid: options.txid ?? `mock-tx-${n}`,
        timestamp: options.timestamp ?? { seconds: MOCK_EPOCH_SECONDS + n, nanos: 0 },
        payload: options.payload ?? new Uint8Array(0),
        caller: options.caller ?? null,
      },
      host: {
        state: (namespace) => overlay.view(namespace),
        // The chaincode being deployed can already call itself from init.
        chaincode: (callee) => this.#chaincodes.get(callee) ?? (callee === name ? chaincode : undefined),
      },
      readOnly,
      ...(options.fuelLimit !== undefined ? { fuelLimit: options.fuelLimit } : this.#fuelLimit !== undefined ? { fuelLimit: this.#fuelLimit } : {}),
    });
    if (!result.ok) return result;
    if (!readOnly) this.#committed.apply(overlay.writes());
    return { ...result, text: decoder.decode(result.payload) };
  }
}

/** Reads a built chaincode module, e.g. readWasm('chaincode/example02/build/example02.wasm'). */
export function readWasm(path: string): Uint8Array {
  const buffer = readFileSync(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
