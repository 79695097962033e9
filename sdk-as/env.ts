// The weft host ABI v1 as the guest sees it: one @external declaration per function of
// host/runtime/abi.ts (ABI_FUNCTIONS), same names, same parameter order, same results.
// Only these declarations live here; everything an author calls is in the other sdk-as files.
// Pointers are offsets into this module's memory; every value is an i32 at the Wasm level.
// A function a chaincode never calls is not imported by its module (asc drops it).

// return register
@external("weft", "ret_len")
export declare function ret_len(): i32;
@external("weft", "ret_read")
export declare function ret_read(dst: usize): void;

// transaction context
@external("weft", "get_args")
export declare function get_args(): i32;
@external("weft", "get_tx_id")
export declare function get_tx_id(): i32;
@external("weft", "get_tx_timestamp")
export declare function get_tx_timestamp(dst: usize): void;
@external("weft", "get_chaincode_id")
export declare function get_chaincode_id(): i32;
@external("weft", "get_binding")
export declare function get_binding(): i32;
@external("weft", "get_payload")
export declare function get_payload(): i32;
@external("weft", "get_caller_certificate")
export declare function get_caller_certificate(): i32;
@external("weft", "get_caller_metadata")
export declare function get_caller_metadata(): i32;

// state of the running chaincode's namespace
@external("weft", "get_state")
export declare function get_state(keyPtr: usize, keyLen: i32): i32;
@external("weft", "put_state")
export declare function put_state(keyPtr: usize, keyLen: i32, valuePtr: usize, valueLen: i32): i32;
@external("weft", "del_state")
export declare function del_state(keyPtr: usize, keyLen: i32): i32;
@external("weft", "range_open")
export declare function range_open(startPtr: usize, startLen: i32, endPtr: usize, endLen: i32, flags: i32): i32;
@external("weft", "range_next")
export declare function range_next(handle: i32): i32;
@external("weft", "range_close")
export declare function range_close(handle: i32): i32;

// chaincode to chaincode
@external("weft", "invoke_chaincode")
export declare function invoke_chaincode(namePtr: usize, nameLen: i32, argsPtr: usize, argsLen: i32): i32;
@external("weft", "query_chaincode")
export declare function query_chaincode(namePtr: usize, nameLen: i32, argsPtr: usize, argsLen: i32): i32;

// membership services
@external("weft", "read_cert_attribute")
export declare function read_cert_attribute(namePtr: usize, nameLen: i32): i32;
@external("weft", "verify_attribute")
export declare function verify_attribute(namePtr: usize, nameLen: i32, valuePtr: usize, valueLen: i32): i32;
@external("weft", "verify_signature")
export declare function verify_signature(certPtr: usize, certLen: i32, sigPtr: usize, sigLen: i32, msgPtr: usize, msgLen: i32): i32;

// utilities
@external("weft", "hash")
export declare function hash(alg: i32, ptr: usize, len: i32): i32;
@external("weft", "set_event")
export declare function set_event(namePtr: usize, nameLen: i32, payloadPtr: usize, payloadLen: i32): i32;
@external("weft", "log")
export declare function log(level: i32, ptr: usize, len: i32): void;
@external("weft", "set_result")
export declare function set_result(ptr: usize, len: i32): void;
