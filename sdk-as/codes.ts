// The constants of the weft host ABI v1, mirrored from host/runtime/abi.ts: return codes,
// hash algorithms, range flags and log levels. Keep the values identical to the host's table;
// test/chaincode/sdk-abi.test.ts compares the two files.

/** ABI version this SDK was written against (the module exports `weft_abi_v1`). */
export const ABI_VERSION: i32 = 1;

/** Return codes of host calls. -1 means "absent"; <= -2 are errors whose message is in the register. */
export namespace AbiError {
  /** Absent value (nil): a missing key, no more iterator records, no such attribute. Not an error. */
  export const ABSENT: i32 = -1;
  /** A write (put_state, del_state, invoke_chaincode, set_event) inside a query. */
  export const READ_ONLY: i32 = -2;
  /** A network limit was reached (open iterators, nesting of chaincode calls). */
  export const LIMIT: i32 = -3;
  /** An unknown or closed iterator handle. */
  export const BAD_HANDLE: i32 = -4;
  /** invoke_chaincode/query_chaincode named a chaincode that is not deployed. */
  export const NOT_FOUND_CHAINCODE: i32 = -5;
  /** The called chaincode returned an error; the message is the callee's. */
  export const CALLEE_ERROR: i32 = -6;
  /** An argument the host could not accept (bad hash algorithm, malformed args encoding). */
  export const INVALID_ARGUMENT: i32 = -7;
  /** The call needs membership services and security is not enabled on this network. */
  export const SECURITY_DISABLED: i32 = -8;
}

/** Codes of errors the SDK raises itself (no host call involved). Far below the host's codes. */
export namespace SdkError {
  /** A validation error of the SDK (table definitions, rows, keys, integer parsing...). */
  export const INVALID: i32 = -100;
  /** Fabric's ErrTableNotFound ("chaincode: Table not found"). */
  export const TABLE_NOT_FOUND: i32 = -101;
  /** A membership-services call answered "absent" (e.g. no such certificate attribute). */
  export const NOT_FOUND: i32 = -102;
  /** The default code of errors a chaincode creates itself with errResult(). */
  export const CHAINCODE: i32 = -103;
}

/** hash() algorithms. */
export namespace HashAlgorithm {
  export const SHA256: i32 = 0;
  export const SHA3_256: i32 = 1;
  /** Fabric's SHAKE256 with a 64-byte output (its chaincode names and tx ids). */
  export const SHAKE256_64: i32 = 2;
}

/** range_open flags. */
export namespace RangeFlags {
  /** Keys starting with the start key; the end key is ignored. */
  export const PREFIX: i32 = 1;
}

/** Fabric's shim logging levels (go-logging order): lower is more severe. */
export namespace LogLevel {
  export const CRITICAL: i32 = 0;
  export const ERROR: i32 = 1;
  export const WARNING: i32 = 2;
  export const NOTICE: i32 = 3;
  export const INFO: i32 = 4;
  export const DEBUG: i32 = 5;
}
