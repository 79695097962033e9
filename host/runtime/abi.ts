// The weft host ABI, version 1: THE table of what a chaincode module may import and must export.
// sdk-as/env.ts declares the same functions on the guest side; docs/host-abi.md explains them.
// Both sides follow it; the deploy-time validator rejects any module that imports anything else.
//
// Conventions (all values are i32; strings are UTF-8; pointers are offsets into guest memory):
// - Inputs are (ptr, len) pairs the host copies out at once; it never keeps a view of guest memory.
// - Data-returning calls leave their bytes in a per-invocation host "return register" and return
//   its length (>= 0); the guest allocates that many bytes and calls ret_read(dst). -1 = absent (nil).
// - Errors the chaincode may handle return a code <= -2 and leave the UTF-8 message in the register.
// - Fatal errors (bad pointer, oversized input, invalid UTF-8, fuel, depth, memory, abort) trap:
//   the guest cannot catch them, the transaction fails with a host-classified reason.
// - The host never allocates in guest memory and never calls back into the guest from an import.

export const ABI_VERSION = 1;
/** Export every chaincode module must carry to declare the ABI it was built against. */
export const ABI_MARKER_EXPORT = 'weft_abi_v1';
/** Import module name of the host API. */
export const ABI_MODULE = 'weft';

/** Return codes <= -2: errors the chaincode can handle; the message is in the return register. */
export const AbiError = {
  /** Absent value (nil): a missing key, no more iterator records, no such attribute. Not an error. */
  ABSENT: -1,
  /** A write (put_state, del_state, invoke_chaincode, set_event) inside a query. Fabric's text: `[<txid>]Cannot handle PUT_STATE in query context` (DEL_STATE, INVOKE_CHAINCODE, SET_EVENT). */
  READ_ONLY: -2,
  /** A network limit was reached (open iterators, nesting of chaincode calls). */
  LIMIT: -3,
  /** An unknown or closed iterator handle. */
  BAD_HANDLE: -4,
  /** invoke_chaincode/query_chaincode named a chaincode that is not deployed. */
  NOT_FOUND_CHAINCODE: -5,
  /** The called chaincode returned an error; the register holds its message. */
  CALLEE_ERROR: -6,
  /** An argument the host could not accept (bad hash algorithm, malformed args encoding, unknown range flag, empty event name). */
  INVALID_ARGUMENT: -7,
  /** The call needs membership services and security is not enabled on this network. */
  SECURITY_DISABLED: -8,
} as const;

export type AbiValueType = 'i32';

export interface AbiFunction {
  readonly params: readonly string[];
  readonly result: 'i32' | 'void';
  /** What it does and what it returns, as the guest sees it. */
  readonly doc: string;
}

/** Every function of module `weft`, in the order docs/host-abi.md lists them. */
export const ABI_FUNCTIONS = {
  // return register
  ret_len: { params: [], result: 'i32', doc: 'Length of the return register.' },
  ret_read: { params: ['dst'], result: 'void', doc: 'Copy the whole return register to dst.' },

  // transaction context: everything here is carried by the ordered transaction
  get_args: { params: [], result: 'i32', doc: 'Args into the register: u32 count, then (u32 len, bytes) per arg, little-endian; args[0] is the function name.' },
  get_tx_id: { params: [], result: 'i32', doc: 'Transaction id into the register.' },
  get_tx_timestamp: { params: ['dst'], result: 'void', doc: 'Writes 12 bytes at dst: i64 seconds, i32 nanos (little-endian).' },
  get_chaincode_id: { params: [], result: 'i32', doc: 'Name of the running chaincode into the register.' },
  get_binding: { params: [], result: 'i32', doc: 'Transaction binding into the register, or SECURITY_DISABLED.' },
  get_payload: { params: [], result: 'i32', doc: 'The transaction payload (ChaincodeSpec bytes) into the register.' },
  get_caller_certificate: { params: [], result: 'i32', doc: "Caller's certificate (DER) into the register, or SECURITY_DISABLED." },
  get_caller_metadata: { params: [], result: 'i32', doc: "Caller's metadata into the register, or SECURITY_DISABLED." },

  // state of the running chaincode's namespace
  get_state: { params: ['keyPtr', 'keyLen'], result: 'i32', doc: 'Value into the register; -1 if absent. Invoke sees its own uncommitted writes; query reads committed state.' },
  put_state: { params: ['keyPtr', 'keyLen', 'valuePtr', 'valueLen'], result: 'i32', doc: '0, or READ_ONLY in a query.' },
  del_state: { params: ['keyPtr', 'keyLen'], result: 'i32', doc: '0 (whether or not the key existed), or READ_ONLY in a query.' },
  range_open: { params: ['startPtr', 'startLen', 'endPtr', 'endLen', 'flags'], result: 'i32', doc: 'Iterator handle >= 0 over keys in byte order, start and end inclusive, "" unbounded; flags&1 = PREFIX: keys starting with start (end ignored). LIMIT if too many are open.' },
  range_next: { params: ['handle'], result: 'i32', doc: 'Next record into the register: u32 keyLen, key, value; -1 when exhausted; BAD_HANDLE.' },
  range_close: { params: ['handle'], result: 'i32', doc: '0, or BAD_HANDLE.' },

  // chaincode to chaincode: same txid, timestamp and write set; draws on the caller's fuel
  invoke_chaincode: { params: ['namePtr', 'nameLen', 'argsPtr', 'argsLen'], result: 'i32', doc: "Calls the callee's invoke with args encoded as in get_args; its result into the register. NOT_FOUND_CHAINCODE, CALLEE_ERROR, LIMIT, READ_ONLY in a query." },
  query_chaincode: { params: ['namePtr', 'nameLen', 'argsPtr', 'argsLen'], result: 'i32', doc: "Calls the callee's query (read-only); its result into the register. NOT_FOUND_CHAINCODE, CALLEE_ERROR, LIMIT." },

  // membership services (real data with security on; SECURITY_DISABLED otherwise)
  read_cert_attribute: { params: ['namePtr', 'nameLen'], result: 'i32', doc: "Attribute value from the caller's transaction certificate into the register; -1 if absent." },
  verify_attribute: { params: ['namePtr', 'nameLen', 'valuePtr', 'valueLen'], result: 'i32', doc: '1 if the caller holds the attribute with that value, else 0.' },
  verify_signature: { params: ['certPtr', 'certLen', 'sigPtr', 'sigLen', 'msgPtr', 'msgLen'], result: 'i32', doc: '1 if sig is a valid ECDSA P-256 signature of msg by the certificate\'s key, else 0.' },

  // utilities
  hash: { params: ['alg', 'ptr', 'len'], result: 'i32', doc: 'Digest into the register: alg 0 = SHA-256, 1 = SHA3-256, 2 = SHAKE256-64 (Fabric). INVALID_ARGUMENT otherwise.' },
  set_event: { params: ['namePtr', 'nameLen', 'payloadPtr', 'payloadLen'], result: 'i32', doc: 'Sets the chaincode event of this transaction (last call wins). READ_ONLY in a query.' },
  log: { params: ['level', 'ptr', 'len'], result: 'void', doc: 'A log line (0 CRITICAL, 1 ERROR, 2 WARNING, 3 NOTICE, 4 INFO, 5 DEBUG). Not consensus state; capped per transaction.' },
  set_result: { params: ['ptr', 'len'], result: 'void', doc: 'The payload on success (export returns 0) or the error message (export returns non-zero).' },
} as const satisfies Record<string, AbiFunction>;

export type AbiFunctionName = keyof typeof ABI_FUNCTIONS;

/** The only other import allowed: AssemblyScript's runtime error hook, mapped to a trap with its message. */
export const ENV_ABORT = { module: 'env', name: 'abort', params: ['messagePtr', 'filePtr', 'line', 'column'] } as const;

/** Exports every chaincode must have. Each entry point takes no parameters and returns 0 (success) or non-zero (error). */
export const REQUIRED_EXPORTS = ['memory', 'init', 'invoke', 'query', ABI_MARKER_EXPORT] as const;
export const ENTRY_POINTS = ['init', 'invoke', 'query'] as const;
export type EntryPoint = (typeof ENTRY_POINTS)[number];

/** hash() algorithms. */
export const HashAlgorithm = { SHA256: 0, SHA3_256: 1, SHAKE256_64: 2 } as const;

/** range_open flags. */
export const RangeFlags = { PREFIX: 1 } as const;

/** log() levels: Fabric's shim logging levels. */
export const LogLevel = { CRITICAL: 0, ERROR: 1, WARNING: 2, NOTICE: 3, INFO: 4, DEBUG: 5 } as const;
