// sdk-as: the AssemblyScript SDK for weft chaincode — Fabric v0.6's shim for Wasm.
// A chaincode imports everything from "sdk-as" and re-exports its entry points from
// "sdk-as/exports". README.md shows a whole chaincode; env.ts is the raw host ABI.
export { ABI_VERSION, AbiError, SdkError, HashAlgorithm, RangeFlags, LogLevel } from "./codes";
export { StubError, Result, okResult, errResult } from "./result";
export { utf8, str, bytesEqual, isValidUtf8 } from "./bytes";
export { KeyValue, StateRangeQueryIterator } from "./state";
export {
  ERR_TABLE_NOT_FOUND, ColumnType, columnTypeName, ColumnDefinition, Table, Column, Row, RowIterator,
} from "./table";
export { Timestamp, FunctionAndParameters, Attribute, ChaincodeStub, toChaincodeArgs, encodeArgs } from "./stub";
export { Response, Chaincode, register } from "./chaincode";
export { Logger, newLogger, setLoggingLevel, logLevel } from "./log";
export { Prng } from "./random";
export { digest, sha256, sha3_256, shake256_64, toHex } from "./crypto";
export { atoi, parseI64, parseI32, parseU64, parseU32, itoa, formatU64, goQuote } from "./ints";
export { jsonQuote, jsonStringArray } from "./json";
export { base64Decode, base64Encode } from "./base64";
