// Deploy-time preparation of a chaincode module, identical on every peer: size cap, V8
// validation, the module and code policies, instrumentation (instrument.ts), compilation, and a
// first instance whose start function must run cleanly. Every failure is a PrepareError with a
// deterministic message. Pinned toolchain (binaryen 132.0.0, this code) = protocol parameters.
import { createHash } from 'node:crypto';
import { binaryen } from './binaryen-api.ts';
import { InstanceStartError, type InstanceLayout } from './chaincode-instance.ts';
import { analyzeCode } from './code-policy.ts';
import { instrument, type FloatPolicy } from './instrument.ts';
import { checkModule } from './module-policy.ts';
import { PrepareError } from './prepare-error.ts';
import { PreparedModule } from './prepared-module.ts';
import { MODULE_BYTES_MAX } from '../protocol/limits.ts';

const WASM_PAGE_BYTES = 65_536;

export interface PrepareOptions {
  /**
   * Fuel and call-depth counting. On by default; a network never turns it off (a chaincode
   * could then loop forever). Off only to measure what metering costs.
   */
  metering?: boolean;
  /**
   * 'reject' (default): any float instruction fails the deploy. 'canonicalize': floats are
   * allowed and every NaN that becomes observable (store, reinterpret, copysign, global) is
   * replaced by the canonical NaN; kept for a later network parameter, not yet verified on ARM64.
   */
  floats?: FloatPolicy;
}

/** Features the instrumented module is validated against: ABI v1's instruction set. */
export const OUTPUT_FEATURES =
  binaryen.Features.MVP |
  binaryen.Features.MutableGlobals |
  binaryen.Features.SignExt |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.NontrappingFPToInt;

export function codeHashOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** V8's validation and compilation; its message if the bytes are not a valid module. */
export function compileModule(bytes: Uint8Array): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^WebAssembly\.Module\(\): /, '') : String(error);
    throw new PrepareError(`not a valid WebAssembly module: ${message}`);
  }
}

export function readWithBinaryen(bytes: Uint8Array): binaryen.Module {
  try {
    return binaryen.readBinary(bytes);
  } catch (error) {
    throw new PrepareError(`module could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Validates and instruments `bytes`; throws PrepareError. Does not cache (runtime.ts does). */
export function prepareModule(bytes: Uint8Array, options: PrepareOptions = {}): PreparedModule {
  const started = performance.now();
  const metering = options.metering ?? true;
  const floats = options.floats ?? 'reject';
  if (bytes.length > MODULE_BYTES_MAX) throw new PrepareError(`module of ${bytes.length} bytes exceeds MODULE_BYTES_MAX (${MODULE_BYTES_MAX})`);
  const original = compileModule(bytes);

  const module = readWithBinaryen(bytes);
  let output: Uint8Array;
  let layout: InstanceLayout;
  let functions: number;
  let floatOperations: number;
  try {
    const facts = checkModule(bytes, original, module, floats !== 'reject');
    const code = analyzeCode(module, floats !== 'reject');
    const instrumented = instrument(module, code, { metering, floats, markSplit: (facts.memoryPages.initial * WASM_PAGE_BYTES) / 2 });
    module.setFeatures(OUTPUT_FEATURES);
    if (!module.validate()) throw new Error('instrumented module does not validate (instrumenter bug)');
    output = module.emitBinary();
    functions = code.functions.length;
    floatOperations = code.floatOperations;
    layout = {
      memoryPages: facts.memoryPages,
      dataEnd: facts.dataEnd,
      storeReachMax: code.storeReachMax,
      snapshotGlobals: instrumented.snapshotGlobals,
      hasStart: instrumented.hasStart,
      metered: metering,
    };
  } catch (error) {
    // Anything else is an instrumenter fault; it is still a function of the bytes, so it is
    // reported as a deterministic deploy error rather than thrown at the executor.
    if (error instanceof PrepareError) throw error;
    throw new PrepareError(`module could not be instrumented: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    module.dispose();
  }

  const prepared = new PreparedModule(codeHashOf(bytes), output, layout, {
    bytesIn: bytes.length,
    bytesOut: output.length,
    functions,
    floatOperations,
    prepareMs: 0,
  });
  try {
    prepared.keep(prepared.instantiate());
  } catch (error) {
    if (error instanceof InstanceStartError) throw new PrepareError(`start function failed: ${error.message}`);
    if (error instanceof WebAssembly.RuntimeError || error instanceof WebAssembly.LinkError) {
      throw new PrepareError(`module could not be instantiated: ${error.message.replace(/^WebAssembly\.Instance\(\): /, '')}`);
    }
    throw error;
  }
  prepared.stats.prepareMs = performance.now() - started;
  return prepared;
}
