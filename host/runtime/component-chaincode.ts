// The component-model front end (optional; the raw ABI stays the default path). A chaincode
// packaged as a WebAssembly component of the world in docs/wit/weft-chaincode.wit is prepared
// in-process with jco's API (componentEmbed → componentNew → transpile, sync instantiation),
// after its core module went through the same policy and fuel/depth instrumentation as a raw
// module. The stub imports are served by the same Frame (invocation.ts) as the raw ABI: the same
// semantics, fuel prices, limits and messages, only typed values instead of pointers.
// Not covered yet: reuse of instances (a fresh component instance per call), chaincode-to-
// chaincode calls from a component (answered CALLEE_ERROR), strict UTF-8 (jco's glue decodes
// strings leniently before the host sees them).
import { readFileSync } from 'node:fs';
import { componentEmbed, componentNew, transpile } from '@bytecodealliance/jco';
import type { EntryPoint } from './abi.ts';
import { AbiError, HashAlgorithm, LogLevel } from './abi.ts';
import { argsProblem, encodeArgs } from './args-codec.ts';
import { instrumentComponentCore } from './component-core.ts';
import { HostTrap, TrapMessage } from './host-trap.ts';
import { Instrumented } from './instrument.ts';
import { Frame, hostCallFuel, requestProblem, rootFrameSpec, TransactionRun, type Counter } from './invocation.ts';
import { codeHashOf } from './prepare.ts';
import { classifyTrap } from './trap-classifier.ts';
import type { ExecutionRequest, ExecutionResult, FailureKind, PreparedChaincode } from './types.ts';
import { decodeUtf8Lenient } from './utf8.ts';
import {
  CHAINCODE_NAME_BYTES_MAX,
  EVENT_NAME_BYTES_MAX,
  EVENT_PAYLOAD_BYTES_MAX,
  FUEL_HOST_CALL_BASE,
  FUEL_PER_BYTE_HASHED,
  FUEL_PER_BYTE_READ,
  FUEL_PER_SIGNATURE_VERIFY,
  FUEL_PER_TRANSACTION,
  HASH_INPUT_BYTES_MAX,
  MEMBERSHIP_INPUT_BYTES_MAX,
  RESULT_BYTES_MAX,
  STATE_KEY_BYTES_MAX,
  STATE_VALUE_BYTES_MAX,
} from '../protocol/limits.ts';

/** THE WIT of ABI v1, shipped with the docs. */
export const WIT_URL = new URL('../../docs/wit/weft-chaincode.wit', import.meta.url);
export const WIT_WORLD = 'chaincode';
const STUB_IMPORT_KEYS = ['weft:chaincode/stub', 'weft:chaincode/stub@1.0.0'];
const TIMESTAMP_BYTES = 12;

/** The WIT variant case of each ABI error code. */
const ERROR_TAGS = new Map<number, string>([
  [AbiError.READ_ONLY, 'read-only'],
  [AbiError.LIMIT, 'limit'],
  [AbiError.BAD_HANDLE, 'bad-handle'],
  [AbiError.NOT_FOUND_CHAINCODE, 'not-found-chaincode'],
  [AbiError.CALLEE_ERROR, 'callee-error'],
  [AbiError.INVALID_ARGUMENT, 'invalid-argument'],
  [AbiError.SECURITY_DISABLED, 'security-disabled'],
]);
const HASH_ALGORITHMS: Record<string, number> = { sha256: HashAlgorithm.SHA256, 'sha3-256': HashAlgorithm.SHA3_256, 'shake256-64': HashAlgorithm.SHAKE256_64 };
const LOG_LEVELS = Object.keys(LogLevel).map((name) => name.toLowerCase());

type ComponentExports = Record<EntryPoint, () => Uint8Array>;
type Instantiate = (
  getCoreModule: (path: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => ComponentExports;

/** A WIT error result the jco glue lowers as `err(error)`. */
interface ErrResult { tag: 'err'; val: { tag: string; val: string } }

function bytesOf(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function limit(what: string, length: number, max: number, maxName: string): void {
  if (length > max) throw new HostTrap('limit', TrapMessage.tooLarge(what, length, maxName, max));
}

function failure(kind: FailureKind, error: string, fuelUsed = 0): ExecutionResult {
  return { ok: false, kind, error, event: null, fuelUsed, logs: [] };
}

/** The stub interface's functions for one call, served by the frame. */
function stubImports(frame: Frame, args: readonly Uint8Array[]): Record<string, (...values: never[]) => unknown> {
  const err = (code: number): ErrResult => ({ tag: 'err', val: { tag: ERROR_TAGS.get(code) ?? 'invalid-argument', val: decodeUtf8Lenient(frame.register) } });
  /** The register as the value of a call that returned `code`, charging for the bytes handed out. */
  const handOut = (code: number): Uint8Array => {
    frame.charge(code * FUEL_PER_BYTE_READ);
    return frame.register;
  };
  const bytesResult = (code: number): Uint8Array | ErrResult => (code < AbiError.ABSENT ? err(code) : handOut(code));
  const unitResult = (code: number): undefined | ErrResult => (code < AbiError.ABSENT ? err(code) : undefined);
  const boolResult = (code: number): boolean | ErrResult => (code < AbiError.ABSENT ? err(code) : code === 1);
  const refuse = (operation: string): ErrResult => {
    frame.charge(FUEL_HOST_CALL_BASE);
    return err(frame.refuseWrite(operation));
  };
  const call = (name: string, callArgs: readonly Uint8Array[], query: boolean): Uint8Array | ErrResult => {
    if (!query && frame.spec.readOnly) return refuse('INVOKE_CHAINCODE');
    limit('chaincode name', bytesOf(name), CHAINCODE_NAME_BYTES_MAX, 'CHAINCODE_NAME_BYTES_MAX');
    const problem = argsProblem(callArgs);
    if (problem !== undefined) throw new HostTrap('limit', problem);
    const encoded = encodeArgs(callArgs);
    frame.charge(hostCallFuel(bytesOf(name) + encoded.length));
    return bytesResult(frame.callChaincode(name, encoded, query));
  };
  return {
    getArgs: () => {
      frame.charge(FUEL_HOST_CALL_BASE + args.reduce((n, arg) => n + arg.length, 0) * FUEL_PER_BYTE_READ);
      return args;
    },
    getTxId: () => {
      frame.charge(FUEL_HOST_CALL_BASE + frame.tx.txidBytes.length * FUEL_PER_BYTE_READ);
      return frame.tx.context.txid;
    },
    getTxTimestamp: () => {
      frame.charge(FUEL_HOST_CALL_BASE + TIMESTAMP_BYTES * FUEL_PER_BYTE_READ);
      return { seconds: BigInt(frame.tx.context.timestamp.seconds), nanos: frame.tx.context.timestamp.nanos };
    },
    getChaincodeId: () => {
      frame.charge(FUEL_HOST_CALL_BASE + bytesOf(frame.spec.chaincodeName) * FUEL_PER_BYTE_READ);
      return frame.spec.chaincodeName;
    },
    getBinding: () => (frame.charge(FUEL_HOST_CALL_BASE), bytesResult(frame.binding())),
    getPayload: () => (frame.charge(FUEL_HOST_CALL_BASE), handOut(frame.payload())),
    getCallerCertificate: () => (frame.charge(FUEL_HOST_CALL_BASE), bytesResult(frame.callerCertificate())),
    getCallerMetadata: () => (frame.charge(FUEL_HOST_CALL_BASE), bytesResult(frame.callerMetadata())),

    getState: (key: string) => {
      limit('key', bytesOf(key), STATE_KEY_BYTES_MAX, 'STATE_KEY_BYTES_MAX');
      frame.charge(hostCallFuel(bytesOf(key)));
      const code = frame.getState(key);
      return code === AbiError.ABSENT ? undefined : handOut(code);
    },
    putState: (key: string, value: Uint8Array) => {
      if (frame.spec.readOnly) return refuse('PUT_STATE');
      limit('key', bytesOf(key), STATE_KEY_BYTES_MAX, 'STATE_KEY_BYTES_MAX');
      limit('value', value.length, STATE_VALUE_BYTES_MAX, 'STATE_VALUE_BYTES_MAX');
      const kept = bytesOf(key) + value.length;
      frame.charge(hostCallFuel(kept, kept));
      return unitResult(frame.putState(key, value.slice()));
    },
    delState: (key: string) => {
      if (frame.spec.readOnly) return refuse('DEL_STATE');
      limit('key', bytesOf(key), STATE_KEY_BYTES_MAX, 'STATE_KEY_BYTES_MAX');
      frame.charge(hostCallFuel(bytesOf(key), bytesOf(key)));
      return unitResult(frame.delState(key));
    },
    rangeOpen: (start: string, end: string, prefix: boolean) => {
      limit('start key', bytesOf(start), STATE_KEY_BYTES_MAX, 'STATE_KEY_BYTES_MAX');
      limit('end key', bytesOf(end), STATE_KEY_BYTES_MAX, 'STATE_KEY_BYTES_MAX');
      frame.charge(hostCallFuel(bytesOf(start) + (prefix ? 0 : bytesOf(end))));
      const code = frame.rangeOpen(start, prefix ? '' : end, prefix);
      return code < 0 ? err(code) : code;
    },
    rangeNext: (handle: number) => {
      frame.charge(FUEL_HOST_CALL_BASE);
      const code = frame.rangeNext(handle);
      if (code === AbiError.ABSENT) return undefined;
      if (code < AbiError.ABSENT) return err(code);
      const record = handOut(code);
      const keyLength = new DataView(record.buffer, record.byteOffset, record.byteLength).getUint32(0, true);
      return { key: decodeUtf8Lenient(record.subarray(4, 4 + keyLength)), value: record.slice(4 + keyLength) };
    },
    rangeClose: (handle: number) => (frame.charge(FUEL_HOST_CALL_BASE), unitResult(frame.rangeClose(handle))),

    invokeChaincode: (name: string, callArgs: Uint8Array[]) => call(name, callArgs, false),
    queryChaincode: (name: string, callArgs: Uint8Array[]) => call(name, callArgs, true),

    readCertAttribute: (name: string) => {
      limit('attribute name', bytesOf(name), MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      frame.charge(hostCallFuel(bytesOf(name)));
      const code = frame.readCertAttribute(name);
      return code === AbiError.ABSENT ? undefined : bytesResult(code);
    },
    verifyAttribute: (name: string, value: Uint8Array) => {
      limit('attribute name', bytesOf(name), MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      limit('attribute value', value.length, MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      frame.charge(hostCallFuel(bytesOf(name) + value.length));
      return boolResult(frame.verifyAttribute(name, value));
    },
    verifySignature: (certificate: Uint8Array, signature: Uint8Array, message: Uint8Array) => {
      limit('certificate', certificate.length, MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      limit('signature', signature.length, MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      limit('message', message.length, MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      frame.charge(hostCallFuel(certificate.length + signature.length + message.length) + FUEL_PER_SIGNATURE_VERIFY);
      return boolResult(frame.verifySignature(certificate, signature, message));
    },

    hash: (algorithm: string, data: Uint8Array) => {
      limit('hash input', data.length, HASH_INPUT_BYTES_MAX, 'HASH_INPUT_BYTES_MAX');
      frame.charge(hostCallFuel(data.length) + data.length * FUEL_PER_BYTE_HASHED);
      const code = frame.hash(HASH_ALGORITHMS[algorithm] ?? -1, data);
      if (code < 0) throw new HostTrap('abi', `unknown hash algorithm ${algorithm}`);
      return handOut(code);
    },
    setEvent: (name: string, payload: Uint8Array) => {
      if (frame.spec.readOnly) return refuse('SET_EVENT');
      limit('event name', bytesOf(name), EVENT_NAME_BYTES_MAX, 'EVENT_NAME_BYTES_MAX');
      limit('event payload', payload.length, EVENT_PAYLOAD_BYTES_MAX, 'EVENT_PAYLOAD_BYTES_MAX');
      const kept = bytesOf(name) + payload.length;
      frame.charge(hostCallFuel(kept, kept));
      return unitResult(frame.setEvent(name, payload.slice()));
    },
    log: (level: string, message: string) => {
      const index = LOG_LEVELS.indexOf(level);
      if (index < 0) throw new HostTrap('abi', `unknown log level ${level}`);
      frame.charge(hostCallFuel(bytesOf(message)));
      frame.tx.log(index, message, bytesOf(message));
    },
  };
}

export class ComponentChaincode implements PreparedChaincode {
  readonly codeHash: string;
  /** The instrumented core module (the component's own code). */
  readonly module: WebAssembly.Module;
  readonly #instantiate: Instantiate;
  readonly #cores: Map<string, WebAssembly.Module>;

  constructor(codeHash: string, instantiate: Instantiate, cores: Map<string, WebAssembly.Module>, main: WebAssembly.Module) {
    this.codeHash = codeHash;
    this.#instantiate = instantiate;
    this.#cores = cores;
    this.module = main;
  }

  /** Runs one entry point in a fresh component instance; synchronous; never throws. */
  execute(request: Omit<ExecutionRequest, 'chaincode'>): ExecutionResult {
    try {
      return this.#execute(request);
    } catch (error) {
      return failure('trap', `host error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #execute(request: Omit<ExecutionRequest, 'chaincode'>): ExecutionResult {
    const fuelLimit = request.fuelLimit ?? FUEL_PER_TRANSACTION;
    const problem = requestProblem(request.args, fuelLimit);
    if (problem !== undefined) return failure(problem.kind, problem.error);
    const tx = new TransactionRun(request.context, request.host, fuelLimit, (_, spec) => ({
      ended: 'trapped',
      kind: 'abi',
      error: 'chaincode calls from a component chaincode are not supported',
      fuelLeft: spec.fuel,
    }));
    const frame = new Frame(tx, rootFrameSpec(request, this, fuelLimit));
    const stub = stubImports(frame, request.args);
    let flags: Counter = { value: 0 };
    let payload: Uint8Array | undefined;
    let thrown: unknown;
    try {
      const component = this.#instantiate(
        (path) => {
          const core = this.#cores.get(path);
          if (core === undefined) throw new Error(`component glue asked for an unknown core module ${path}`);
          return core;
        },
        Object.fromEntries(STUB_IMPORT_KEYS.map((key) => [key, stub])),
        (module, imports) => {
          const instance = new WebAssembly.Instance(module, imports);
          const fuel = instance.exports[Instrumented.FUEL];
          if (fuel instanceof WebAssembly.Global) {
            frame.fuel = fuel as unknown as Counter;
            frame.depth = instance.exports[Instrumented.DEPTH] as unknown as Counter;
            flags = instance.exports[Instrumented.FLAGS] as unknown as Counter;
            frame.fuel.value = fuelLimit;
            frame.depth.value = 0;
            const start = instance.exports[Instrumented.START];
            if (typeof start === 'function') start();
          }
          return instance;
        },
      );
      if (frame.fuel === null) return failure('abi', 'the component has no instrumented core module');
      payload = component[request.entry]();
      if (payload.length > RESULT_BYTES_MAX) throw new HostTrap('limit', TrapMessage.tooLarge('result', payload.length, 'RESULT_BYTES_MAX', RESULT_BYTES_MAX));
      frame.charge(hostCallFuel(payload.length, payload.length));
    } catch (error) {
      thrown = error;
    } finally {
      frame.close();
    }
    const fuelLeft = frame.fuel?.value ?? fuelLimit;
    const fuelUsed = fuelLimit - Math.max(0, fuelLeft);
    const logs = tx.logs;
    if (thrown === undefined && payload !== undefined) return { ok: true, payload, event: frame.event, fuelUsed, logs };
    const message = (thrown as { payload?: unknown } | undefined)?.payload;
    if (typeof message === 'string') {
      // err(string) from the export: the chaincode's own error.
      return { ok: false, kind: 'chaincode', error: message, event: frame.event, fuelUsed, logs };
    }
    const trap = classifyTrap(thrown, { fuel: frame.fuel, depth: frame.depth, flags, fuelLimit });
    return { ok: false, kind: trap.kind, error: trap.message, event: null, fuelUsed: trap.kind === 'fuel' ? fuelLimit : fuelUsed, logs };
  }
}

/**
 * Packages a core module as a component of the weft world and prepares it to run: checks and
 * instruments the core (component-core.ts), then jco's embed, new and transpile, in process.
 */
export async function prepareComponentChaincode(core: Uint8Array, witSource = readFileSync(WIT_URL, 'utf8')): Promise<ComponentChaincode> {
  const instrumented = instrumentComponentCore(core);
  const embedded = await componentEmbed({ binary: instrumented, witSource, world: WIT_WORLD });
  const component = await componentNew(embedded, []);
  const { files } = await transpile(component, { name: 'chaincode', instantiation: 'sync', noTypescript: true, quiet: true });
  const cores = new Map<string, WebAssembly.Module>();
  let main: WebAssembly.Module | undefined;
  for (const [name, bytes] of Object.entries(files)) {
    if (!name.endsWith('.wasm')) continue;
    const module = new WebAssembly.Module(bytes);
    cores.set(name, module);
    if (WebAssembly.Module.exports(module).some((e) => e.name === Instrumented.FUEL)) main = module;
  }
  const glue = files['chaincode.js'];
  if (glue === undefined || main === undefined) throw new Error('jco transpile produced no glue or no instrumented core');
  // The glue imports nothing, so it loads from a data: URL, with no files written anywhere.
  const loaded = (await import(`data:text/javascript;base64,${Buffer.from(glue).toString('base64')}`)) as { instantiate: Instantiate };
  return new ComponentChaincode(codeHashOf(core), loaded.instantiate, cores, main);
}
