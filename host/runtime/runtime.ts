// The chaincode runtime the peer uses: `prepare` (validate + instrument a module, cached by the
// SHA-256 of its bytes) and `execute` (run init/invoke/query of a prepared module in a pooled
// instance, synchronously). execute never throws: every failure, the chaincode's or the host's,
// comes back as { ok: false, kind, error } with a deterministic message.
import { TrapMessage } from './host-trap.ts';
import { Frame, requestProblem, rootFrameSpec, TransactionRun, type FrameOutcome, type FrameSpec } from './invocation.ts';
import { codeHashOf, prepareModule, type PrepareOptions } from './prepare.ts';
import { PrepareError } from './prepare-error.ts';
import { PreparedModule } from './prepared-module.ts';
import { classifyTrap, type Classified } from './trap-classifier.ts';
import type { ChaincodeInstance } from './chaincode-instance.ts';
import type { ExecutionRequest, ExecutionResult, FailureKind, PreparedChaincode } from './types.ts';
import { decodeUtf8Lenient } from './utf8.ts';
import { FUEL_PER_TRANSACTION } from '../protocol/limits.ts';

export { PrepareError } from './prepare-error.ts';
export type { PrepareOptions } from './prepare.ts';

export { FUEL_LIMIT_MAX } from './invocation.ts';

/** Prepared modules (and deploy errors) remembered per runtime. */
const PREPARED_CACHED_MAX = 256;

const EMPTY = new Uint8Array(0);

export interface RuntimeOptions {
  /** Reuse instances by snapshot/restore (default). Off: a fresh instance per call, same results. */
  reuseInstances?: boolean;
  prepare?: PrepareOptions;
}

function failure(kind: FailureKind, error: string, fuelUsed = 0): ExecutionResult {
  return { ok: false, kind, error, event: null, fuelUsed, logs: [] };
}

export class ChaincodeRuntime {
  readonly #reuse: boolean;
  readonly #prepareOptions: PrepareOptions;
  readonly #cache = new Map<string, PreparedModule | PrepareError>();

  constructor(options: RuntimeOptions = {}) {
    this.#reuse = options.reuseInstances ?? true;
    this.#prepareOptions = options.prepare ?? {};
  }

  /** Validates and instruments a chaincode module; throws PrepareError (deterministic message). */
  prepare(bytes: Uint8Array): PreparedChaincode {
    const hash = codeHashOf(bytes);
    const cached = this.#cache.get(hash);
    if (cached !== undefined) {
      // Most recently used last, so the oldest entry is the first evicted.
      this.#cache.delete(hash);
      this.#cache.set(hash, cached);
      if (cached instanceof PrepareError) throw cached;
      return cached;
    }
    let outcome: PreparedModule | PrepareError;
    try {
      outcome = prepareModule(bytes, this.#prepareOptions);
    } catch (error) {
      if (!(error instanceof PrepareError)) throw error;
      outcome = error;
    }
    this.#cache.set(hash, outcome);
    if (this.#cache.size > PREPARED_CACHED_MAX) this.#cache.delete(this.#cache.keys().next().value as string);
    if (outcome instanceof PrepareError) throw outcome;
    return outcome;
  }

  /** Runs one entry point of a chaincode; synchronous; never throws. */
  execute(request: ExecutionRequest): ExecutionResult {
    try {
      return this.#execute(request);
    } catch (error) {
      return failure('trap', `host error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #execute(request: ExecutionRequest): ExecutionResult {
    const chaincode = request.chaincode;
    if (!(chaincode instanceof PreparedModule)) return failure('abi', 'chaincode was not prepared by the weft runtime');
    const fuelLimit = request.fuelLimit ?? FUEL_PER_TRANSACTION;
    const problem = requestProblem(request.args, fuelLimit);
    if (problem !== undefined) return failure(problem.kind, problem.error);
    const tx = new TransactionRun(request.context, request.host, fuelLimit, this.#runFrame);
    const outcome = this.#runFrame(tx, rootFrameSpec(request, chaincode, fuelLimit));
    const logs = tx.logs;
    if (outcome.ended === 'trapped') {
      const fuelUsed = outcome.kind === 'fuel' ? fuelLimit : fuelLimit - Math.max(0, outcome.fuelLeft);
      return { ok: false, kind: outcome.kind, error: outcome.error, event: null, fuelUsed, logs };
    }
    const fuelUsed = fuelLimit - outcome.fuelLeft;
    if (outcome.status === 0) return { ok: true, payload: outcome.result, event: outcome.event, fuelUsed, logs };
    const error = outcome.result.length > 0 ? decodeUtf8Lenient(outcome.result) : `chaincode ${request.entry} returned ${outcome.status} without a message`;
    return { ok: false, kind: 'chaincode', error, event: outcome.event, fuelUsed, logs };
  }

  /** Runs one frame (the transaction's chaincode, or one it calls) in a pooled instance. */
  readonly #runFrame = (tx: TransactionRun, spec: FrameSpec): FrameOutcome => {
    const module = spec.chaincode;
    if (!(module instanceof PreparedModule)) {
      return { ended: 'trapped', kind: 'abi', error: 'chaincode was not prepared by the weft runtime', fuelLeft: spec.fuel };
    }
    let instance: ChaincodeInstance;
    try {
      instance = module.acquire(this.#reuse);
    } catch (error) {
      // Start succeeded at prepare time, so this is the host running out of resources.
      return { ended: 'trapped', kind: 'trap', error: `host error: no instance: ${(error as Error).message}`, fuelLeft: spec.fuel };
    }
    const frame = new Frame(tx, spec);
    frame.fuel = instance.fuel;
    frame.depth = instance.depth;
    if (instance.fuel !== null) instance.fuel.value = spec.fuel;
    if (instance.depth !== null) instance.depth.value = spec.depthUnits;
    instance.slot.frame = frame;
    let status = 0;
    let trap: Classified | undefined;
    try {
      status = instance.entries[spec.entry]();
    } catch (error) {
      trap = classifyTrap(error, { fuel: instance.fuel, depth: instance.depth, flags: instance.flags, fuelLimit: tx.fuelLimit });
    } finally {
      frame.close();
      instance.slot.frame = null;
    }
    const fuelLeft = instance.fuel !== null ? instance.fuel.value : spec.fuel;
    module.release(instance, trap === undefined, this.#reuse);
    if (trap !== undefined) {
      const error = trap.kind === 'fuel' ? TrapMessage.outOfFuel(tx.fuelLimit) : trap.message;
      return { ended: 'trapped', kind: trap.kind, error, fuelLeft };
    }
    return { ended: 'returned', status, result: frame.result ?? EMPTY, fuelLeft, event: frame.event, eventSet: frame.eventSet };
  };
}
