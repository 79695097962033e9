// Ledger objects as Fabric v0.6's REST API wrote them: Go encoding/json of the protobuf structs,
// so bytes are standard base64, enums are integers, timestamps are {seconds,nanos} and every
// zero-valued field (0, "", empty bytes, empty list, null) is absent (omitempty).
import {
  ChaincodeDeploymentSpecCodec,
  TransactionType,
  type Block,
  type BlockchainInfo,
  type ChaincodeEvent,
  type Timestamp,
  type Transaction,
  type TransactionResult,
} from '../protocol/messages.ts';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Builds an object, leaving out zero values as Go's omitempty does. */
function omitEmpty(fields: Record<string, Json | Uint8Array | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null || value === 0 || value === '' || value === false) continue;
    if (value instanceof Uint8Array) {
      if (value.length > 0) out[key] = base64(value);
      continue;
    }
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out;
}

export function timestampJson(timestamp: Timestamp | null | undefined): JsonObject | undefined {
  if (!timestamp) return undefined;
  return omitEmpty({ seconds: timestamp.seconds, nanos: timestamp.nanos });
}

/** Fabric's REST layer strips the code package from deploy transactions it returns. */
function payloadForJson(transaction: Transaction): Uint8Array {
  if (transaction.type !== TransactionType.CHAINCODE_DEPLOY) return transaction.payload;
  try {
    const spec = ChaincodeDeploymentSpecCodec.decode(transaction.payload);
    return ChaincodeDeploymentSpecCodec.encode({ ...spec, codePackage: new Uint8Array(0) });
  } catch {
    return transaction.payload;
  }
}

export function transactionJson(transaction: Transaction): JsonObject {
  return omitEmpty({
    type: transaction.type,
    chaincodeID: transaction.chaincodeID,
    payload: payloadForJson(transaction),
    metadata: transaction.metadata,
    txid: transaction.txid,
    timestamp: timestampJson(transaction.timestamp),
    confidentialityLevel: transaction.confidentialityLevel,
    confidentialityProtocolVersion: transaction.confidentialityProtocolVersion,
    nonce: transaction.nonce,
    toValidators: transaction.toValidators,
    cert: transaction.cert,
    signature: transaction.signature,
  });
}

export function chaincodeEventJson(event: ChaincodeEvent): JsonObject {
  return omitEmpty({
    chaincodeID: event.chaincodeID,
    txID: event.txID,
    eventName: event.eventName,
    payload: event.payload,
  });
}

export function transactionResultJson(result: TransactionResult): JsonObject {
  return omitEmpty({
    txid: result.txid,
    result: result.result,
    errorCode: result.errorCode,
    error: result.error,
    chaincodeEvent: result.chaincodeEvent ? chaincodeEventJson(result.chaincodeEvent) : undefined,
  });
}

export function blockJson(block: Block): JsonObject {
  const nonHash = block.nonHashData;
  return omitEmpty({
    version: block.version,
    timestamp: timestampJson(block.timestamp),
    transactions: block.transactions.map(transactionJson),
    stateHash: block.stateHash,
    previousBlockHash: block.previousBlockHash,
    consensusMetadata: block.consensusMetadata,
    nonHashData: nonHash
      ? omitEmpty({
          localLedgerCommitTimestamp: timestampJson(nonHash.localLedgerCommitTimestamp),
          // Fabric keeps one entry per transaction result, `{}` for those without an event.
          chaincodeEvents: nonHash.chaincodeEvents.map(chaincodeEventJson),
          transactionResults: nonHash.transactionResults.map(transactionResultJson),
        })
      : undefined,
  });
}

/**
 * A block without its transactions (the FILTERED_BLOCK event): what a consumer needs to follow
 * which transactions committed, at a few bytes per transaction instead of the whole transaction.
 */
export function filteredBlockJson(block: Block, blockNumber: number): JsonObject {
  return {
    ...omitEmpty({
      blockNumber,
      timestamp: timestampJson(block.timestamp),
      stateHash: block.stateHash,
      previousBlockHash: block.previousBlockHash,
    }),
    txids: block.transactions.map((transaction) => transaction.txid),
  };
}

export function blockchainInfoJson(info: BlockchainInfo): JsonObject {
  return omitEmpty({
    height: info.height,
    currentBlockHash: info.currentBlockHash,
    previousBlockHash: info.previousBlockHash,
  });
}
