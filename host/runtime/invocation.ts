// What one chaincode call (a frame) and the transaction around it hold while the guest runs:
// the return register, open iterators, the result, the event, logs, and the fuel and depth
// counters of the instance executing it. The methods here implement the ABI's meaning with
// Fabric v0.6's semantics on plain values; host-imports.ts (raw ABI) and component-host.ts
// (component model) only move bytes in and out of guest memory and charge for them.
import { AbiError, HashAlgorithm, LogLevel, type EntryPoint } from './abi.ts';
import { HostTrap, TrapMessage } from './host-trap.ts';
import { argsProblem, decodeArgs, encodeArgs, writeU32LE } from './args-codec.ts';
import { decodeUtf8Lenient, encodeUtf8 } from './utf8.ts';
import { StateOverlay } from './state-overlay.ts';
import { HostStore, type FrameStore } from './frame-store.ts';
import type {
  ChaincodeEventOut,
  ExecutionHost,
  ExecutionRequest,
  FailureKind,
  PreparedChaincode,
  StateView,
  TransactionContext,
} from './types.ts';
import { cryptoHash } from '../protocol/hash.ts';
import { createHash } from 'node:crypto';
import {
  CHAINCODE_CALL_NESTING_MAX,
  FUEL_HOST_CALL_BASE,
  FUEL_PER_BYTE_READ,
  FUEL_PER_CHAINCODE_CALL,
  FUEL_PER_BYTE_WRITTEN,
  ITERATORS_OPEN_MAX,
  LOG_BYTES_PER_TRANSACTION_MAX,
} from '../protocol/limits.ts';

const EMPTY = new Uint8Array(0);
const LOG_LEVEL_NAMES = Object.keys(LogLevel);
const U32_BYTES = 4;

/**
 * Highest fuel limit a request may ask for. The fuel counter is an i32 and one charge is at most
 * ~2^27 units, so a limit below 2^31 - 2^27 can never wrap the counter.
 */
export const FUEL_LIMIT_MAX = 2_000_000_000;

/** Why a request cannot run (its args or fuel limit break the bounds), or undefined. */
export function requestProblem(args: readonly Uint8Array[], fuelLimit: number): { kind: 'limit'; error: string } | undefined {
  const problem = argsProblem(args);
  if (problem !== undefined) return { kind: 'limit', error: problem };
  if (!Number.isInteger(fuelLimit) || fuelLimit < 0 || fuelLimit > FUEL_LIMIT_MAX) {
    return { kind: 'limit', error: `fuel limit ${fuelLimit} is not an integer in 0..${FUEL_LIMIT_MAX}` };
  }
  return undefined;
}

/** Fuel of a host call that copies `inBytes` from the guest and makes the host keep `keptBytes`. */
export function hostCallFuel(inBytes: number, keptBytes = 0): number {
  return FUEL_HOST_CALL_BASE + inBytes * FUEL_PER_BYTE_READ + keptBytes * FUEL_PER_BYTE_WRITTEN;
}

/** A counter the instance shares with the host: WebAssembly.Global of an i32. */
export interface Counter {
  value: number;
}

/** What a frame is asked to run. */
export interface FrameSpec {
  chaincodeName: string;
  chaincode: PreparedChaincode;
  entry: EntryPoint;
  /** Args in their wire form (args-codec.ts). */
  args: Uint8Array;
  readOnly: boolean;
  /** 1 for the transaction's chaincode, 2 for one it calls, … */
  nesting: number;
  store: FrameStore;
  /** Fuel the frame may burn, and the call depth units already used below it. */
  fuel: number;
  depthUnits: number;
}

/** The frame of a transaction's own chaincode (nesting 1), as the raw and the component paths start it. */
export function rootFrameSpec(request: Omit<ExecutionRequest, 'chaincode'>, chaincode: PreparedChaincode, fuel: number): FrameSpec {
  return {
    chaincodeName: request.chaincodeName,
    chaincode,
    entry: request.entry,
    args: encodeArgs(request.args),
    readOnly: request.readOnly,
    nesting: 1,
    store: new HostStore(request.host),
    fuel,
    depthUnits: 0,
  };
}

/** How a frame ended. `returned` covers both success (status 0) and a chaincode error. */
export type FrameOutcome =
  | { ended: 'returned'; status: number; result: Uint8Array; fuelLeft: number; event: ChaincodeEventOut | null; eventSet: boolean }
  | { ended: 'trapped'; kind: FailureKind; error: string; fuelLeft: number };

export type RunFrame = (tx: TransactionRun, spec: FrameSpec) => FrameOutcome;

/** State shared by every frame of one transaction. */
export class TransactionRun {
  readonly context: TransactionContext;
  readonly host: ExecutionHost;
  readonly fuelLimit: number;
  readonly run: RunFrame;
  readonly logs: string[] = [];
  #logBytes = 0;
  #logsTruncated = false;
  openIterators = 0;
  #txidBytes: Uint8Array | undefined;

  constructor(context: TransactionContext, host: ExecutionHost, fuelLimit: number, run: RunFrame) {
    this.context = context;
    this.host = host;
    this.fuelLimit = fuelLimit;
    this.run = run;
  }

  get txidBytes(): Uint8Array {
    this.#txidBytes ??= encodeUtf8(this.context.txid);
    return this.#txidBytes;
  }

  /** Keeps a log line unless the transaction's log budget is spent (logs are not consensus state). */
  log(level: number, message: string, messageBytes: number): void {
    if (this.#logsTruncated) return;
    if (this.#logBytes + messageBytes > LOG_BYTES_PER_TRANSACTION_MAX) {
      this.#logsTruncated = true;
      this.logs.push(`WARNING logs truncated at LOG_BYTES_PER_TRANSACTION_MAX (${LOG_BYTES_PER_TRANSACTION_MAX}) bytes`);
      return;
    }
    this.#logBytes += messageBytes;
    this.logs.push(`${LOG_LEVEL_NAMES[level]} ${message}`);
  }

  /** Whether a log line of this size would still be kept (the raw front end skips copying it otherwise). */
  logFits(messageBytes: number): boolean {
    return !this.#logsTruncated && this.#logBytes + messageBytes <= LOG_BYTES_PER_TRANSACTION_MAX;
  }
}

interface OpenIterator {
  records: Iterator<[string, Uint8Array]>;
  open: boolean;
}

export class Frame {
  readonly tx: TransactionRun;
  readonly spec: FrameSpec;
  readonly view: StateView;
  /** Counters of the instance running this frame; null when it runs unmetered. */
  fuel: Counter | null = null;
  depth: Counter | null = null;
  register: Uint8Array = EMPTY;
  result: Uint8Array | null = null;
  event: ChaincodeEventOut | null = null;
  eventSet = false;
  #iterators: Map<number, OpenIterator> | null = null;
  #nextHandle = 0;

  constructor(tx: TransactionRun, spec: FrameSpec) {
    this.tx = tx;
    this.spec = spec;
    this.view = spec.store.view(spec.chaincodeName);
  }

  /** Takes fuel from the instance's counter; traps the transaction when it runs out. */
  charge(units: number): void {
    const counter = this.fuel;
    if (counter === null) return;
    const left = counter.value - units;
    if (left < 0) {
      counter.value = -1;
      throw new HostTrap('fuel', TrapMessage.outOfFuel(this.tx.fuelLimit));
    }
    counter.value = left;
  }

  /** An error the chaincode may handle: code returned, message in the register. */
  #fail(code: number, message: string): number {
    this.register = encodeUtf8(message);
    return code;
  }

  #give(bytes: Uint8Array): number {
    this.register = bytes;
    return bytes.length;
  }

  #absent(): number {
    this.register = EMPTY;
    return AbiError.ABSENT;
  }

  /** READ_ONLY with Fabric's text, e.g. `[txid]Cannot handle PUT_STATE in query context`. */
  refuseWrite(operation: string): number {
    return this.#fail(AbiError.READ_ONLY, `[${this.tx.context.txid}]Cannot handle ${operation} in query context`);
  }

  // --- transaction context

  args(): number {
    return this.#give(this.spec.args);
  }

  txId(): number {
    return this.#give(this.tx.txidBytes);
  }

  chaincodeId(): number {
    return this.#give(encodeUtf8(this.spec.chaincodeName));
  }

  payload(): number {
    return this.#give(this.tx.context.payload);
  }

  #membership(pick: (caller: NonNullable<TransactionContext['caller']>) => Uint8Array): number {
    const caller = this.tx.context.caller;
    if (caller === null) return this.#securityDisabled();
    return this.#give(pick(caller));
  }

  #securityDisabled(): number {
    return this.#fail(AbiError.SECURITY_DISABLED, 'security is not enabled: membership services are off on this network');
  }

  binding(): number {
    return this.#membership((caller) => caller.binding);
  }

  callerCertificate(): number {
    return this.#membership((caller) => caller.certificate);
  }

  callerMetadata(): number {
    return this.#membership((caller) => caller.metadata);
  }

  // --- state

  getState(key: string): number {
    const value = this.view.get(key);
    return value === undefined ? this.#absent() : this.#give(value);
  }

  putState(key: string, value: Uint8Array): number {
    if (this.spec.readOnly) return this.refuseWrite('PUT_STATE');
    this.view.put(key, value);
    this.register = EMPTY;
    return 0;
  }

  delState(key: string): number {
    if (this.spec.readOnly) return this.refuseWrite('DEL_STATE');
    this.view.del(key);
    this.register = EMPTY;
    return 0;
  }

  rangeOpen(start: string, end: string, prefix: boolean): number {
    if (this.tx.openIterators >= ITERATORS_OPEN_MAX) {
      return this.#fail(AbiError.LIMIT, `too many open iterators: ITERATORS_OPEN_MAX is ${ITERATORS_OPEN_MAX}`);
    }
    const records = prefix ? this.view.prefix(start) : this.view.range(start, end);
    this.#iterators ??= new Map();
    const handle = this.#nextHandle++;
    this.#iterators.set(handle, { records, open: true });
    this.tx.openIterators++;
    this.register = EMPTY;
    return handle;
  }

  /** Next record as u32 key length, key, value; -1 when done (which also frees its slot). */
  rangeNext(handle: number): number {
    const iterator = this.#iterators?.get(handle);
    if (iterator === undefined) return this.#fail(AbiError.BAD_HANDLE, `no iterator with handle ${handle}`);
    if (!iterator.open) return this.#absent();
    const next = iterator.records.next();
    if (next.done) {
      this.#release(iterator);
      return this.#absent();
    }
    const [key, value] = next.value;
    const keyBytes = encodeUtf8(key);
    const record = new Uint8Array(U32_BYTES + keyBytes.length + value.length);
    writeU32LE(record, 0, keyBytes.length);
    record.set(keyBytes, U32_BYTES);
    record.set(value, U32_BYTES + keyBytes.length);
    return this.#give(record);
  }

  rangeClose(handle: number): number {
    const iterator = this.#iterators?.get(handle);
    if (iterator === undefined) return this.#fail(AbiError.BAD_HANDLE, `no iterator with handle ${handle}`);
    this.#release(iterator);
    this.#iterators?.delete(handle);
    this.register = EMPTY;
    return 0;
  }

  #release(iterator: OpenIterator): void {
    if (!iterator.open) return;
    iterator.open = false;
    this.tx.openIterators--;
  }

  /** Closes what the frame left open; called when it ends, however it ends. */
  close(): void {
    if (this.#iterators === null) return;
    for (const iterator of this.#iterators.values()) this.#release(iterator);
    this.#iterators = null;
  }

  // --- chaincode to chaincode

  /** Runs another chaincode in this transaction: its invoke (query = false) or its query. */
  callChaincode(name: string, args: Uint8Array, query: boolean): number {
    if (!query && this.spec.readOnly) return this.refuseWrite('INVOKE_CHAINCODE');
    if (this.spec.nesting >= CHAINCODE_CALL_NESTING_MAX) {
      return this.#fail(AbiError.LIMIT, `chaincode calls nest deeper than CHAINCODE_CALL_NESTING_MAX (${CHAINCODE_CALL_NESTING_MAX})`);
    }
    const decoded = decodeArgs(args);
    if (typeof decoded === 'string') return this.#fail(AbiError.INVALID_ARGUMENT, decoded);
    const callee = this.tx.host.chaincode(name);
    if (callee === undefined) return this.#fail(AbiError.NOT_FOUND_CHAINCODE, `deployment transaction does not exist for ${name}`);
    this.charge(FUEL_PER_CHAINCODE_CALL);
    const readOnly = query || this.spec.readOnly;
    const store = readOnly ? this.spec.store : new StateOverlay(this.spec.store);
    const outcome = this.tx.run(this.tx, {
      chaincodeName: name,
      chaincode: callee,
      entry: query ? 'query' : 'invoke',
      args,
      readOnly,
      nesting: this.spec.nesting + 1,
      store,
      fuel: this.fuel?.value ?? this.tx.fuelLimit,
      depthUnits: this.depth?.value ?? 0,
    });
    if (this.fuel !== null) this.fuel.value = Math.max(outcome.fuelLeft, -1);
    if (outcome.ended === 'trapped') {
      // Fuel is shared: a callee out of fuel leaves its caller none either.
      if (outcome.kind === 'fuel') throw new HostTrap('fuel', outcome.error);
      return this.#fail(AbiError.CALLEE_ERROR, outcome.error);
    }
    if (outcome.status !== 0) return this.#fail(AbiError.CALLEE_ERROR, decodeUtf8Lenient(outcome.result));
    if (store instanceof StateOverlay) this.spec.store.apply(store.writes());
    if (outcome.eventSet) {
      this.event = outcome.event;
      this.eventSet = true;
    }
    return this.#give(outcome.result);
  }

  // --- membership services

  readCertAttribute(name: string): number {
    const caller = this.tx.context.caller;
    if (caller === null) return this.#securityDisabled();
    const value = caller.attributes.get(name);
    return value === undefined ? this.#absent() : this.#give(value);
  }

  verifyAttribute(name: string, value: Uint8Array): number {
    const caller = this.tx.context.caller;
    if (caller === null) return this.#securityDisabled();
    const held = caller.attributes.get(name);
    this.register = EMPTY;
    return held !== undefined && Buffer.from(held).equals(value) ? 1 : 0;
  }

  verifySignature(certificate: Uint8Array, signature: Uint8Array, message: Uint8Array): number {
    const caller = this.tx.context.caller;
    if (caller === null) return this.#securityDisabled();
    this.register = EMPTY;
    try {
      return caller.verifySignature(certificate, signature, message) ? 1 : 0;
    } catch {
      return 0;
    }
  }

  // --- utilities

  hash(algorithm: number, data: Uint8Array): number {
    switch (algorithm) {
      case HashAlgorithm.SHA256:
        return this.#give(new Uint8Array(createHash('sha256').update(data).digest()));
      case HashAlgorithm.SHA3_256:
        return this.#give(new Uint8Array(createHash('sha3-256').update(data).digest()));
      case HashAlgorithm.SHAKE256_64:
        return this.#give(cryptoHash(data));
      default:
        return this.#fail(AbiError.INVALID_ARGUMENT, `unknown hash algorithm ${algorithm} (0 SHA-256, 1 SHA3-256, 2 SHAKE256-64)`);
    }
  }

  setEvent(name: string, payload: Uint8Array): number {
    if (this.spec.readOnly) return this.refuseWrite('SET_EVENT');
    if (name === '') return this.#fail(AbiError.INVALID_ARGUMENT, 'event name must not be empty');
    this.event = { eventName: name, payload };
    this.eventSet = true;
    this.register = EMPTY;
    return 0;
  }

  setResult(bytes: Uint8Array): void {
    this.result = bytes;
  }
}
