// Fabric v0.6's ledger and chaincode messages (protos/fabric.proto, protos/chaincode.proto),
// with Fabric's field numbers, so blocks, transactions and their REST JSON have Fabric's shape.
// Encoding is protobuf (protobufjs): deterministic for these messages (no maps), so the same
// block encodes to the same bytes — and hashes to the same block hash — on every peer.
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package weft;

message Timestamp { int64 seconds = 1; int32 nanos = 2; }

message ChaincodeID { string path = 1; string name = 2; }
message ChaincodeInput { repeated bytes args = 1; }
message ChaincodeSpec {
  int32 type = 1;
  ChaincodeID chaincodeID = 2;
  ChaincodeInput ctorMsg = 3;
  int32 timeout = 4;
  string secureContext = 5;
  int32 confidentialityLevel = 6;
  bytes metadata = 7;
  repeated string attributes = 8;
}
message ChaincodeDeploymentSpec {
  ChaincodeSpec chaincodeSpec = 1;
  Timestamp effectiveDate = 2;
  bytes codePackage = 3;
  int32 execEnv = 4;
}
message ChaincodeInvocationSpec { ChaincodeSpec chaincodeSpec = 1; string idGenerationAlg = 2; }

message Transaction {
  int32 type = 1;
  bytes chaincodeID = 2;
  bytes payload = 3;
  bytes metadata = 4;
  string txid = 5;
  Timestamp timestamp = 6;
  int32 confidentialityLevel = 7;
  string confidentialityProtocolVersion = 8;
  bytes nonce = 9;
  bytes toValidators = 10;
  bytes cert = 11;
  bytes signature = 12;
}

message ChaincodeEvent { string chaincodeID = 1; string txID = 2; string eventName = 3; bytes payload = 4; }
message TransactionResult { string txid = 1; bytes result = 2; uint32 errorCode = 3; string error = 4; ChaincodeEvent chaincodeEvent = 5; }

message NonHashData {
  Timestamp localLedgerCommitTimestamp = 1;
  repeated ChaincodeEvent chaincodeEvents = 2;
  // Fabric's protocol spec describes results here; v0.6 code dropped them. We keep the
  // failed transactions' results, so a rejection stays on record with its error.
  repeated TransactionResult transactionResults = 3;
}
message Block {
  uint32 version = 1;
  Timestamp timestamp = 2;
  repeated Transaction transactions = 3;
  bytes stateHash = 4;
  bytes previousBlockHash = 5;
  bytes consensusMetadata = 6;
  NonHashData nonHashData = 7;
}
message BlockchainInfo { uint64 height = 1; bytes currentBlockHash = 2; bytes previousBlockHash = 3; }
`;

export const TransactionType = {
  UNDEFINED: 0,
  CHAINCODE_DEPLOY: 1,
  CHAINCODE_INVOKE: 2,
  CHAINCODE_QUERY: 3,
  CHAINCODE_TERMINATE: 4,
} as const;
export type TransactionType = (typeof TransactionType)[keyof typeof TransactionType];

/** ChaincodeSpec.type. Fabric's languages; weft's chaincode is Wasm, reported as GOLANG=1 for clients that send it. */
export const ChaincodeType = { UNDEFINED: 0, GOLANG: 1, NODE: 2, CAR: 3, JAVA: 4 } as const;
export const ConfidentialityLevel = { PUBLIC: 0, CONFIDENTIAL: 1 } as const;

export interface Timestamp { seconds: number; nanos: number }
export interface ChaincodeID { path: string; name: string }
export interface ChaincodeInput { args: Uint8Array[] }
export interface ChaincodeSpec {
  type: number;
  chaincodeID: ChaincodeID;
  ctorMsg: ChaincodeInput;
  timeout: number;
  secureContext: string;
  confidentialityLevel: number;
  metadata: Uint8Array;
  attributes: string[];
}
export interface ChaincodeDeploymentSpec {
  chaincodeSpec: ChaincodeSpec;
  effectiveDate?: Timestamp | null | undefined;
  codePackage: Uint8Array;
  execEnv: number;
}
export interface ChaincodeInvocationSpec { chaincodeSpec: ChaincodeSpec; idGenerationAlg: string }
export interface Transaction {
  type: number;
  chaincodeID: Uint8Array;
  payload: Uint8Array;
  metadata: Uint8Array;
  txid: string;
  timestamp?: Timestamp | null | undefined;
  confidentialityLevel: number;
  confidentialityProtocolVersion: string;
  nonce: Uint8Array;
  toValidators: Uint8Array;
  cert: Uint8Array;
  signature: Uint8Array;
}
export interface ChaincodeEvent { chaincodeID: string; txID: string; eventName: string; payload: Uint8Array }
export interface TransactionResult {
  txid: string;
  result: Uint8Array;
  errorCode: number;
  error: string;
  chaincodeEvent?: ChaincodeEvent | null | undefined;
}
export interface NonHashData {
  localLedgerCommitTimestamp?: Timestamp | null | undefined;
  chaincodeEvents: ChaincodeEvent[];
  transactionResults: TransactionResult[];
}
export interface Block {
  version: number;
  timestamp?: Timestamp | null | undefined;
  transactions: Transaction[];
  stateHash: Uint8Array;
  previousBlockHash: Uint8Array;
  consensusMetadata: Uint8Array;
  nonHashData?: NonHashData | null | undefined;
}
export interface BlockchainInfo { height: number; currentBlockHash: Uint8Array; previousBlockHash: Uint8Array }

const root = protobuf.parse(PROTO, { keepCase: true }).root;

/** A typed codec over one protobuf message type. Decoding fills defaults, so every scalar, bytes and
 * repeated field is present; an absent sub-message decodes as null. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

function codec<T>(name: string): Codec<T> {
  const type = root.lookupType(`weft.${name}`);
  const toObjectOptions = { longs: Number, defaults: true, arrays: true } as const;
  return {
    encode(value: T): Uint8Array {
      return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
    },
    decode(bytes: Uint8Array): T {
      return type.toObject(type.decode(bytes), toObjectOptions) as T;
    },
  };
}

export const ChaincodeIDCodec = codec<ChaincodeID>('ChaincodeID');
export const ChaincodeInputCodec = codec<ChaincodeInput>('ChaincodeInput');
export const ChaincodeSpecCodec = codec<ChaincodeSpec>('ChaincodeSpec');
export const ChaincodeDeploymentSpecCodec = codec<ChaincodeDeploymentSpec>('ChaincodeDeploymentSpec');
export const ChaincodeInvocationSpecCodec = codec<ChaincodeInvocationSpec>('ChaincodeInvocationSpec');
export const TransactionCodec = codec<Transaction>('Transaction');
export const ChaincodeEventCodec = codec<ChaincodeEvent>('ChaincodeEvent');
export const TransactionResultCodec = codec<TransactionResult>('TransactionResult');
export const BlockCodec = codec<Block>('Block');
export const BlockchainInfoCodec = codec<BlockchainInfo>('BlockchainInfo');

const EMPTY = new Uint8Array(0);

export function emptyChaincodeSpec(): ChaincodeSpec {
  return {
    type: ChaincodeType.GOLANG,
    chaincodeID: { path: '', name: '' },
    ctorMsg: { args: [] },
    timeout: 0,
    secureContext: '',
    confidentialityLevel: ConfidentialityLevel.PUBLIC,
    metadata: EMPTY,
    attributes: [],
  };
}

export function emptyTransaction(): Transaction {
  return {
    type: TransactionType.UNDEFINED,
    chaincodeID: EMPTY,
    payload: EMPTY,
    metadata: EMPTY,
    txid: '',
    confidentialityLevel: ConfidentialityLevel.PUBLIC,
    confidentialityProtocolVersion: '',
    nonce: EMPTY,
    toValidators: EMPTY,
    cert: EMPTY,
    signature: EMPTY,
  };
}
