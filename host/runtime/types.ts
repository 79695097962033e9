// The runtime's contract with the rest of the host: what the executor hands in to run a chaincode
// (context, a view of state, a way to find other chaincodes) and what comes back. The Wasm
// sandbox behind it (host/runtime/*.ts) treats chaincode as untrusted bytes.
import type { Timestamp } from '../protocol/messages.ts';
import type { EntryPoint } from './abi.ts';

/** What the transaction carries about its caller. All null while security is off. */
export interface CallerIdentity {
  /** DER of the caller's (transaction) certificate. */
  certificate: Uint8Array;
  /** Transaction metadata (Fabric's GetCallerMetadata). */
  metadata: Uint8Array;
  /** Binding of the transaction to the caller's certificate (Fabric's GetBinding). */
  binding: Uint8Array;
  /** Certificate attributes, name → value. */
  attributes: ReadonlyMap<string, Uint8Array>;
  /** Verifies an ECDSA P-256 signature of message by the key in certificate (DER). */
  verifySignature(certificate: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean;
}

/** Everything a chaincode may learn about the transaction; identical on every peer. */
export interface TransactionContext {
  txid: string;
  timestamp: Timestamp;
  /** ChaincodeSpec bytes of the transaction (GetPayload). */
  payload: Uint8Array;
  caller: CallerIdentity | null;
}

/**
 * One chaincode's namespace of the world state as this transaction sees it. An invoke's view
 * includes the transaction's own uncommitted writes; a query's view is committed state.
 * Keys are compared as UTF-8 bytes.
 */
export interface StateView {
  get(key: string): Uint8Array | undefined;
  put(key: string, value: Uint8Array): void;
  del(key: string): void;
  /** Keys in byte order, start and end inclusive; "" leaves that side unbounded. */
  range(startKey: string, endKey: string): Iterator<[string, Uint8Array]>;
  /** Keys starting with prefix, in byte order. */
  prefix(prefix: string): Iterator<[string, Uint8Array]>;
}

/** A chaincode module that passed deploy-time preparation; compiled once, cached by code hash. */
export interface PreparedChaincode {
  /** hex SHA-256 of the original (uninstrumented) bytes. */
  readonly codeHash: string;
  readonly module: WebAssembly.Module;
}

/** What the executor provides for one transaction. */
export interface ExecutionHost {
  /** The state view of a chaincode namespace (the running one, or a callee's). */
  state(chaincodeName: string): StateView;
  /** A deployed chaincode by name, for invoke_chaincode/query_chaincode; undefined if none. */
  chaincode(chaincodeName: string): PreparedChaincode | undefined;
}

export interface ExecutionRequest {
  chaincodeName: string;
  chaincode: PreparedChaincode;
  entry: EntryPoint;
  /** args[0] is the function name (Fabric's ctorMsg.args). */
  args: Uint8Array[];
  context: TransactionContext;
  host: ExecutionHost;
  /** Queries are read-only: writes fail with Fabric's "Cannot handle PUT_STATE in query context". */
  readOnly: boolean;
  /** Defaults to FUEL_PER_TRANSACTION. */
  fuelLimit?: number;
}

export interface ChaincodeEventOut { eventName: string; payload: Uint8Array }

/**
 * How an execution failed. `chaincode` = the chaincode returned an error (its message);
 * the others are host-classified traps with deterministic messages, identical on every peer.
 */
export type FailureKind = 'chaincode' | 'fuel' | 'depth' | 'memory' | 'trap' | 'limit' | 'abi';

export type ExecutionResult =
  | { ok: true; payload: Uint8Array; event: ChaincodeEventOut | null; fuelUsed: number; logs: string[] }
  | { ok: false; error: string; kind: FailureKind; event: ChaincodeEventOut | null; fuelUsed: number; logs: string[] };
