// A chaincode module after prepare: the compiled, instrumented WebAssembly.Module, how its
// instances are laid out, and a pool of idle instances ready to run. Instances are restored
// when they come back; a trapped or grown one is dropped and replaced on demand.
import { ChaincodeInstance, type InstanceLayout } from './chaincode-instance.ts';
import type { PreparedChaincode } from './types.ts';

/** Idle instances kept per module; more are created when nested calls need them, then dropped. */
export const INSTANCES_POOLED_MAX = 4;

export interface PrepareStats {
  bytesIn: number;
  bytesOut: number;
  functions: number;
  floatOperations: number;
  prepareMs: number;
}

export class PreparedModule implements PreparedChaincode {
  readonly codeHash: string;
  readonly module: WebAssembly.Module;
  /** The instrumented bytes `module` was compiled from (identical on every peer). */
  readonly instrumented: Uint8Array;
  readonly layout: InstanceLayout;
  readonly stats: PrepareStats;
  readonly #idle: ChaincodeInstance[] = [];

  constructor(codeHash: string, instrumented: Uint8Array, layout: InstanceLayout, stats: PrepareStats) {
    this.codeHash = codeHash;
    this.instrumented = instrumented;
    this.module = new WebAssembly.Module(instrumented);
    this.layout = layout;
    this.stats = stats;
  }

  /** A new instance with its start function run (throws InstanceStartError if start traps). */
  instantiate(): ChaincodeInstance {
    return new ChaincodeInstance(this.module, this.layout);
  }

  /** An idle instance if there is one (reuse), else a new one. */
  acquire(reuse: boolean): ChaincodeInstance {
    return (reuse ? this.#idle.pop() : undefined) ?? this.instantiate();
  }

  /** Returns an instance after a call; it is kept only if it ended cleanly and can be restored. */
  release(instance: ChaincodeInstance, clean: boolean, reuse: boolean): void {
    if (!reuse || !clean || this.#idle.length >= INSTANCES_POOLED_MAX) return;
    if (instance.restore()) this.#idle.push(instance);
  }

  /** Keeps an instance (made at prepare time) for the first transaction. */
  keep(instance: ChaincodeInstance): void {
    if (this.#idle.length < INSTANCES_POOLED_MAX) this.#idle.push(instance);
  }

  get idleInstances(): number {
    return this.#idle.length;
  }
}
