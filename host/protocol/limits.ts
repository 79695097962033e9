// The network's limits and prices: every bound a chaincode or a transaction can hit.
// They change what a transaction does (succeed, fail, how much fuel it used), so every peer
// of a network must use the same values: they are protocol constants, not per-peer settings.
// docs/limits.md explains each one; a test asserts the relations between them.

/**
 * Fuel a transaction (deploy, invoke or query, nested chaincode calls included) may burn: ~3,000
 * example02 moves, ≈7 ms of the tightest loop, and about 1.5 s for the worst memory-bound loop
 * measured (docs/limits.md has the calibration).
 */
export const FUEL_PER_TRANSACTION = 200_000_000;

/**
 * Fuel of guest code: 1 per instruction, with weights for the kinds that cost more than one
 * cycle. Calibrated so that no loop found in bench/runtime.bench.ts burns FUEL_PER_TRANSACTION
 * much faster than expected (docs/limits.md has the table).
 */
export const FUEL_PER_INSTRUCTION = 1;
/** Extra fuel at each loop iteration (the branch back and the charge itself). */
export const FUEL_PER_LOOP_ITERATION = 8;
/** Extra fuel at each function entry (call, frame, depth and fuel checks). */
export const FUEL_PER_CALL = 16;
/** Fuel of a load or a store (cache misses). */
export const FUEL_PER_MEMORY_ACCESS = 4;
/** Fuel of an integer division or remainder. */
export const FUEL_PER_DIVISION = 16;
/** Fuel of a call_indirect (table and signature checks). */
export const FUEL_PER_INDIRECT_CALL = 16;

/** Fuel charged at every host call, before its per-byte costs (a JS call costs ~40 ns). */
export const FUEL_HOST_CALL_BASE = 1_000;
/** Fuel per byte the host reads out of, or copies into, guest memory. */
export const FUEL_PER_BYTE_READ = 1;
/** Fuel per byte the host must keep (state values written, events, results). */
export const FUEL_PER_BYTE_WRITTEN = 10;
/** Fuel per 64 KiB page a `memory.grow` asks for. */
export const FUEL_PER_MEMORY_PAGE = 4096;
/** Fuel per byte a chaincode asks the host to hash (on top of reading it): hashing is ~40× a copy. */
export const FUEL_PER_BYTE_HASHED = 16;
/**
 * Fuel of running another chaincode (invoke_chaincode/query_chaincode), on top of the callee's own
 * fuel: the callee may need a fresh instance (~200–300 µs), e.g. after a previous call trapped.
 */
export const FUEL_PER_CHAINCODE_CALL = 5_000_000;
/** Fuel of one signature verification (verify_signature), about 50 µs of native ECDSA P-256. */
export const FUEL_PER_SIGNATURE_VERIFY = 1_000_000;
/** `memory.copy`/`memory.fill` cost one unit per this many bytes (a power of two). */
export const MEMORY_COPY_BYTES_PER_FUEL = 1;

/** Linear memory every chaincode instance starts with (pages of 64 KiB). Generous, so ordinary transactions never grow it. */
export const MEMORY_PAGES_INITIAL = 16;
/** Hard maximum of a chaincode's linear memory (10 MiB). `memory.grow` beyond it fails deterministically. */
export const MEMORY_PAGES_MAX = 160;

/**
 * Call depth budget in weighted frames (weight = 1 + ceil((params + locals + operand stack height) / 8),
 * about the frame size in 64-byte units); far below V8's own, non-deterministic limit. Nested
 * chaincode calls share it.
 */
export const CALL_DEPTH_UNITS_MAX = 8_192;
/** How deep chaincode-to-chaincode calls may nest (the outermost chaincode is depth 1). */
export const CHAINCODE_CALL_NESTING_MAX = 8;

/** Bounds of what crosses the host ABI. */
export const STATE_KEY_BYTES_MAX = 1_024;
export const STATE_VALUE_BYTES_MAX = 1_048_576;
export const RESULT_BYTES_MAX = 1_048_576;
export const ITERATORS_OPEN_MAX = 16;
export const EVENT_NAME_BYTES_MAX = 256;
export const EVENT_PAYLOAD_BYTES_MAX = 65_536;
export const LOG_BYTES_PER_TRANSACTION_MAX = 16_384;
export const CHAINCODE_NAME_BYTES_MAX = 256;
/** Input of one hash() call. */
export const HASH_INPUT_BYTES_MAX = 1_048_576;
/** Each input of a membership call: attribute names and values, certificates, signatures, messages. */
export const MEMBERSHIP_INPUT_BYTES_MAX = 65_536;

/** Bounds of a transaction's arguments (ctorMsg.args, function name included). */
export const ARGS_COUNT_MAX = 1_024;
export const ARGS_BYTES_MAX = 1_048_576;

/** Bounds checked on a chaincode module at deploy time, before it is instrumented. */
export const MODULE_BYTES_MAX = 2_097_152;
export const MODULE_FUNCTIONS_MAX = 10_000;
export const MODULE_LOCALS_PER_FUNCTION_MAX = 1_000;
export const MODULE_GLOBALS_MAX = 1_000;
export const MODULE_TABLE_ELEMENTS_MAX = 10_000;
export const MODULE_DATA_SEGMENTS_MAX = 1_000;
/** How deeply a function's expressions may nest (the instrumenter walks them recursively). */
export const MODULE_EXPRESSION_DEPTH_MAX = 1_024;

/** Bounds of one transaction and one block as they travel through consensus. */
export const TRANSACTION_BYTES_MAX = 4_194_304;
export const BLOCK_TRANSACTIONS_MAX = 10_000;

/** Bytes of a transaction id (a UUID, a 64-hex sha256 id or a 128-hex chaincode name fit easily). */
export const TXID_BYTES_MAX = 256;
/**
 * A transaction whose txid was committed in the last this-many blocks is rejected as a duplicate.
 * Defined by chain position, so every peer (restarted or not) decides alike.
 */
export const TXID_DEDUP_WINDOW_BLOCKS = 256;
