// ChaincodeStub: Fabric v0.6's ChaincodeStubInterface for AssemblyScript chaincode, over the
// weft host ABI. Method names follow Go's in camelCase. Where Go returns `(T, error)` the method
// returns Result<T>; where Go returns `error` it returns `StubError | null`; where Go's error can
// never happen in weft (getState, getTxTimestamp...) the plain value is returned.
import {
  get_args, get_tx_id, get_tx_timestamp, get_chaincode_id, get_binding, get_payload,
  get_caller_certificate, get_caller_metadata, invoke_chaincode, query_chaincode,
  read_cert_attribute, verify_attribute, verify_signature, set_event,
} from "./env";
import { AbiError, SdkError } from "./codes";
import { StubError, Result, okResult, errResult } from "./result";
import { utf8, utf8Buffer, str, takeRegister, takeRegisterBuffer, hostError, expectNoError, ByteWriter } from "./bytes";
import { stateGet, stateGetRaw, statePut, stateDel, openRange, StateRangeQueryIterator } from "./state";
import {
  Table, Row, Column, ColumnDefinition, RowIterator,
  createTable, getTable, deleteTable, insertRow, replaceRow, getRow, getRows, deleteRow,
} from "./table";

/** The transaction's timestamp (google.protobuf.Timestamp), set by the submitting peer and ordered with the transaction. */
export class Timestamp {
  constructor(public readonly seconds: i64, public readonly nanos: i32) {}
}

/** args[0] and args[1:] of the transaction (Fabric 1.x's GetFunctionAndParameters). */
export class FunctionAndParameters {
  constructor(public readonly fn: string, public readonly params: Array<string>) {}
}

/** A certificate attribute to verify (Fabric's attr.Attribute). */
export class Attribute {
  constructor(public readonly name: string, public readonly value: Uint8Array) {}
}

/** The `[][]byte` of chaincode args as strings (Fabric's util.ToChaincodeArgs). */
export function toChaincodeArgs(args: Array<string>): Array<Uint8Array> {
  const out = new Array<Uint8Array>(args.length);
  for (let i = 0; i < args.length; i++) unchecked((out[i] = utf8(unchecked(args[i]))));
  return out;
}

/** args as the ABI carries them: u32 count, then (u32 len, bytes) per arg, little-endian. */
export function encodeArgs(args: Array<Uint8Array>): Uint8Array {
  let size = 4;
  for (let i = 0; i < args.length; i++) size += 4 + unchecked(args[i]).length;
  const w = new ByteWriter(size);
  w.u32le(<u32>args.length);
  for (let i = 0; i < args.length; i++) {
    const arg = unchecked(args[i]);
    w.u32le(<u32>arg.length).bytes(arg);
  }
  return w.finish();
}

/**
 * Checks the get_args encoding and returns the arg count. The args are then read in place from
 * the register copy, so each one costs a single allocation (a view or a string).
 */
function validateArgs(base: usize, size: i32): i32 {
  if (size < 4) abort("get_args returned a malformed encoding");
  const count = load<u32>(base);
  // every arg needs at least its 4-byte length, which bounds count before any allocation
  if (<u64>count * 4 > <u64>(size - 4)) abort("get_args returned a malformed encoding");
  let offset = 4;
  for (let i: u32 = 0; i < count; i++) {
    if (offset + 4 > size) abort("get_args returned a malformed encoding");
    const len = load<u32>(base + <usize>offset);
    if (<u64>len > <u64>(size - offset - 4)) abort("get_args returned a malformed encoding");
    offset += 4 + <i32>len;
  }
  return <i32>count;
}

/** Bytes a host call left in the register, or its error. -1 (absent) gives an empty array. */
function bytesResult(rc: i32): Result<Uint8Array> {
  if (rc >= 0) return okResult<Uint8Array>(takeRegister(rc));
  if (rc == AbiError.ABSENT) return okResult<Uint8Array>(new Uint8Array(0));
  const error = hostError(rc);
  return errResult<Uint8Array>(error.message, error.code);
}

/** A 0/1 answer of a host call, or its error. */
function boolResult(rc: i32): Result<bool> {
  if (rc == 0 || rc == 1) return okResult<bool>(rc == 1);
  if (rc < AbiError.ABSENT) {
    const error = hostError(rc);
    return errResult<bool>(error.message, error.code);
  }
  abort("host returned " + rc.toString() + " where 0 or 1 was expected");
  return okResult<bool>(false);
}

export class ChaincodeStub {
  /** The get_args register copy, read lazily and once; args are read from it in place. */
  private rawArgs: ArrayBuffer | null = null;
  private argCount: i32 = 0;
  private args: Array<Uint8Array> | null = null;
  private stringArgs: Array<string> | null = null;
  private txid: string | null = null;
  private chaincodeId: string | null = null;

  // ---------------------------------------------------------------- arguments and context

  /** The address of the args encoding (validated; argCount set). */
  private loadArgs(): usize {
    let raw = this.rawArgs;
    if (raw == null) {
      raw = takeRegisterBuffer(expectNoError(get_args(), "get_args"));
      this.argCount = validateArgs(changetype<usize>(raw), raw.byteLength);
      this.rawArgs = raw;
    }
    return changetype<usize>(raw);
  }

  /** All args as strings from index `from` on (offsets were validated by loadArgs). */
  private decodeStrings(from: i32): Array<string> {
    const base = this.loadArgs();
    const count = this.argCount;
    const out = new Array<string>(count > from ? count - from : 0);
    let offset = 4;
    for (let i = 0; i < count; i++) {
      const len = load<u32>(base + <usize>offset);
      if (i >= from) unchecked((out[i - from] = String.UTF8.decodeUnsafe(base + <usize>offset + 4, <usize>len)));
      offset += 4 + <i32>len;
    }
    return out;
  }

  /** All args, the function name (args[0]) included, as Fabric's ctorMsg.args. */
  getArgs(): Array<Uint8Array> {
    let args = this.args;
    if (args == null) {
      const base = this.loadArgs();
      const raw = this.rawArgs!;
      const count = this.argCount;
      args = new Array<Uint8Array>(count);
      let offset = 4;
      for (let i = 0; i < count; i++) {
        const len = <i32>load<u32>(base + <usize>offset);
        unchecked((args[i] = Uint8Array.wrap(raw, offset + 4, len)));
        offset += 4 + len;
      }
      this.args = args;
    }
    return args;
  }

  /** getArgs() decoded as UTF-8 (invalid sequences become U+FFFD). */
  getStringArgs(): Array<string> {
    let args = this.stringArgs;
    if (args == null) {
      args = this.decodeStrings(0);
      this.stringArgs = args;
    }
    return args;
  }

  /** args[0] as the function, the rest as its parameters; "" and [] if there are no args. */
  getFunctionAndParameters(): FunctionAndParameters {
    return new FunctionAndParameters(this.functionName(), this.parameters());
  }

  /** args[0] as a string ("" if there are no args). */
  functionName(): string {
    const base = this.loadArgs();
    if (this.argCount == 0) return "";
    return String.UTF8.decodeUnsafe(base + 8, <usize>load<u32>(base + 4));
  }

  /** args[1:] as strings (a new array each call). */
  parameters(): Array<string> {
    const cached = this.stringArgs;
    if (cached != null) return cached.length > 0 ? cached.slice(1) : new Array<string>();
    return this.decodeStrings(1);
  }

  getTxID(): string {
    let txid = this.txid;
    if (txid == null) {
      txid = str(takeRegister(expectNoError(get_tx_id(), "get_tx_id")));
      this.txid = txid;
    }
    return txid;
  }

  /** The transaction's timestamp: the only clock a chaincode has, identical on every peer. */
  getTxTimestamp(): Timestamp {
    const buf = new Uint8Array(12);
    get_tx_timestamp(buf.dataStart);
    return new Timestamp(load<i64>(buf.dataStart), load<i32>(buf.dataStart, 8));
  }

  /** The name this chaincode runs under (weft addition; Fabric chaincode learns it from its environment). */
  getChaincodeID(): string {
    let id = this.chaincodeId;
    if (id == null) {
      id = str(takeRegister(expectNoError(get_chaincode_id(), "get_chaincode_id")));
      this.chaincodeId = id;
    }
    return id;
  }

  // ---------------------------------------------------------------- state

  /** The value of `key`, or null if it is not set (an empty value is an empty array). Invoke sees its own writes. */
  getState(key: string): Uint8Array | null {
    const k = utf8Buffer(key);
    return stateGet(changetype<usize>(k), k.byteLength);
  }

  /** getState decoded as UTF-8. */
  getStateString(key: string): string | null {
    const k = utf8Buffer(key);
    const len = stateGetRaw(changetype<usize>(k), k.byteLength);
    if (len < 0) return null;
    const value = takeRegisterBuffer(len);
    return String.UTF8.decodeUnsafe(changetype<usize>(value), <usize>len);
  }

  /** Fails in a query with Fabric's "[<txid>]Cannot handle PUT_STATE in query context". */
  putState(key: string, value: Uint8Array): StubError | null {
    const k = utf8Buffer(key);
    return statePut(changetype<usize>(k), k.byteLength, value.dataStart, value.length);
  }

  putStateString(key: string, value: string): StubError | null {
    const k = utf8Buffer(key);
    const v = utf8Buffer(value);
    return statePut(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength);
  }

  /** Deleting a missing key is not an error. Fails in a query. */
  delState(key: string): StubError | null {
    const k = utf8Buffer(key);
    return stateDel(changetype<usize>(k), k.byteLength);
  }

  /** Keys in [startKey, endKey], both inclusive, in UTF-8 byte order; ("", "") = every key. */
  rangeQueryState(startKey: string, endKey: string): Result<StateRangeQueryIterator> {
    const start = utf8Buffer(startKey);
    const end = utf8Buffer(endKey);
    return openRange(changetype<usize>(start), start.byteLength, changetype<usize>(end), end.byteLength, false);
  }

  /** Keys starting with `prefix`, in byte order (weft addition; what getRows uses). */
  prefixQueryState(prefix: string): Result<StateRangeQueryIterator> {
    const start = utf8Buffer(prefix);
    return openRange(changetype<usize>(start), start.byteLength, 0, 0, true);
  }

  // ---------------------------------------------------------------- tables

  createTable(name: string, columnDefinitions: Array<ColumnDefinition>): StubError | null {
    return createTable(name, columnDefinitions);
  }

  /** The table, or the error "chaincode: Table not found" (code SdkError.TABLE_NOT_FOUND). */
  getTable(tableName: string): Result<Table> {
    return getTable(tableName);
  }

  deleteTable(tableName: string): StubError | null {
    return deleteTable(tableName);
  }

  /** true if inserted; false if a row with the same key exists. */
  insertRow(tableName: string, row: Row): Result<bool> {
    return insertRow(tableName, row);
  }

  /** true if replaced; false if no row has that key. */
  replaceRow(tableName: string, row: Row): Result<bool> {
    return replaceRow(tableName, row);
  }

  /** The row with that full key; a Row with no columns if absent (as in Fabric). */
  getRow(tableName: string, key: Array<Column>): Result<Row> {
    return getRow(tableName, key);
  }

  /** Rows whose leading key columns equal `key`, in key order. */
  getRows(tableName: string, key: Array<Column>): Result<RowIterator> {
    return getRows(tableName, key);
  }

  deleteRow(tableName: string, key: Array<Column>): StubError | null {
    return deleteRow(tableName, key);
  }

  // ---------------------------------------------------------------- chaincode to chaincode

  /** Runs `chaincodeName`'s invoke in this transaction (same txid, timestamp and write set). */
  invokeChaincode(chaincodeName: string, args: Array<Uint8Array>): Result<Uint8Array> {
    const name = utf8(chaincodeName);
    const encoded = encodeArgs(args);
    return bytesResult(invoke_chaincode(name.dataStart, name.length, encoded.dataStart, encoded.length));
  }

  /** Runs `chaincodeName`'s query (read-only). */
  queryChaincode(chaincodeName: string, args: Array<Uint8Array>): Result<Uint8Array> {
    const name = utf8(chaincodeName);
    const encoded = encodeArgs(args);
    return bytesResult(query_chaincode(name.dataStart, name.length, encoded.dataStart, encoded.length));
  }

  // ---------------------------------------------------------------- events

  /** The chaincode event of this transaction; the last call wins. Fails in a query. */
  setEvent(name: string, payload: Uint8Array): StubError | null {
    const n = utf8(name);
    const rc = set_event(n.dataStart, n.length, payload.dataStart, payload.length);
    return rc < 0 ? hostError(rc) : null;
  }

  // ---------------------------------------------------------------- membership services

  /** Caller's certificate (DER); an error (code SECURITY_DISABLED) while security is off. */
  getCallerCertificate(): Result<Uint8Array> {
    return bytesResult(get_caller_certificate());
  }

  getCallerMetadata(): Result<Uint8Array> {
    return bytesResult(get_caller_metadata());
  }

  /** Binding of the transaction to the caller's certificate. */
  getBinding(): Result<Uint8Array> {
    return bytesResult(get_binding());
  }

  /** The transaction's ChaincodeSpec bytes. */
  getPayload(): Result<Uint8Array> {
    return bytesResult(get_payload());
  }

  /** An attribute of the caller's transaction certificate. */
  readCertAttribute(attributeName: string): Result<Uint8Array> {
    const name = utf8(attributeName);
    const rc = read_cert_attribute(name.dataStart, name.length);
    if (rc == AbiError.ABSENT) {
      return errResult<Uint8Array>("Failed attribute '" + attributeName + "' doesn't exists in the TCert.", SdkError.NOT_FOUND);
    }
    return bytesResult(rc);
  }

  /** true if the caller's certificate holds the attribute with exactly this value. */
  verifyAttribute(attributeName: string, attributeValue: Uint8Array): Result<bool> {
    const name = utf8(attributeName);
    return boolResult(verify_attribute(name.dataStart, name.length, attributeValue.dataStart, attributeValue.length));
  }

  /** true if every attribute verifies; stops at the first that does not, or at the first error. */
  verifyAttributes(attrs: Array<Attribute>): Result<bool> {
    for (let i = 0; i < attrs.length; i++) {
      const attr = unchecked(attrs[i]);
      const verified = this.verifyAttribute(attr.name, attr.value);
      if (!verified.ok || !verified.value) return verified;
    }
    return okResult<bool>(true);
  }

  /** true if `signature` is a valid ECDSA P-256 signature of `message` by the key in `certificate` (DER). */
  verifySignature(certificate: Uint8Array, signature: Uint8Array, message: Uint8Array): Result<bool> {
    return boolResult(verify_signature(
      certificate.dataStart, certificate.length,
      signature.dataStart, signature.length,
      message.dataStart, message.length,
    ));
  }
}
