// What the explorer's /weft/… routes answer, built from ledger objects: block summaries, blocks
// and transactions with their arguments decoded (text when they are UTF-8, hex otherwise), and
// deployed chaincodes. Everything here came from the chain, so from clients and chaincode: every
// list and every byte string is cut to a bound, and a payload that does not decode is shown as
// such rather than failing the page. Confidential transactions and chaincodes (privacy mode) show
// that they are confidential and their sizes, nothing of their encrypted content.
import type { Json } from '../rest/fabric-json.ts';
import {
  ChaincodeDeploymentSpecCodec,
  ChaincodeInvocationSpecCodec,
  ConfidentialityLevel,
  TransactionType,
  type Block,
  type ChaincodeEvent,
  type ChaincodeSpec,
  type Timestamp,
  type Transaction,
} from '../protocol/messages.ts';
import { isConfidentialRecord } from '../security/confidential-chaincodes.ts';

/** Bytes of one argument or payload shown; the rest is cut (with `truncated`). */
export const SHOWN_BYTES_MAX = 1_024;
/** Arguments of one transaction shown. */
export const SHOWN_ARGS_MAX = 64;
/** Transaction ids listed in a block summary. */
export const SUMMARY_TXIDS_MAX = 5;

type JsonObject = { [key: string]: Json };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
// C0 and C1 controls other than tab, newline and carriage return: such bytes are shown as hex.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes as text if they are printable UTF-8, as hex otherwise; at most SHOWN_BYTES_MAX of them. */
export function decodedBytes(bytes: Uint8Array): JsonObject {
  const shown = bytes.length > SHOWN_BYTES_MAX ? bytes.subarray(0, SHOWN_BYTES_MAX) : bytes;
  const out: JsonObject = {};
  let text: string | undefined;
  try {
    text = strictUtf8.decode(shown);
  } catch {
    // A cut can split a character: try once more without the trailing partial one.
    if (shown !== bytes) {
      for (let cut = 1; cut <= 3 && text === undefined; cut++) {
        try {
          text = strictUtf8.decode(shown.subarray(0, shown.length - cut));
        } catch {
          // not yet
        }
      }
    }
  }
  if (text !== undefined && !CONTROL.test(text)) out.text = text;
  else out.hex = hex(shown);
  if (shown !== bytes) {
    out.truncated = true;
    out.bytes = bytes.length;
  }
  return out;
}

/** A protobuf timestamp as ISO 8601, or null if absent or out of any sane range. */
export function isoTime(timestamp: Timestamp | null | undefined): string | null {
  if (!timestamp) return null;
  const ms = Number(timestamp.seconds) * 1000 + Math.floor(Number(timestamp.nanos) / 1e6);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  return new Date(ms).toISOString();
}

const TYPE_NAMES: Record<number, string> = {
  [TransactionType.UNDEFINED]: 'undefined',
  [TransactionType.CHAINCODE_DEPLOY]: 'deploy',
  [TransactionType.CHAINCODE_INVOKE]: 'invoke',
  [TransactionType.CHAINCODE_QUERY]: 'query',
  [TransactionType.CHAINCODE_TERMINATE]: 'terminate',
};

function argsJson(spec: ChaincodeSpec): JsonObject {
  const args = spec.ctorMsg?.args ?? [];
  const out: JsonObject = { args: args.slice(0, SHOWN_ARGS_MAX).map(decodedBytes) };
  if (args.length > SHOWN_ARGS_MAX) out.argsTotal = args.length;
  return out;
}

/** A transaction with its type named and its chaincode, path and arguments decoded. */
export function transactionView(transaction: Transaction): JsonObject {
  const out: JsonObject = {
    txid: transaction.txid,
    type: TYPE_NAMES[transaction.type] ?? String(transaction.type),
    timestamp: isoTime(transaction.timestamp),
  };
  // Privacy mode: chaincode, path and arguments are encrypted to the chain key; only sizes show.
  if (transaction.confidentialityLevel === ConfidentialityLevel.CONFIDENTIAL) {
    return { ...out, confidential: true, payloadBytes: transaction.payload.length };
  }
  try {
    if (transaction.type === TransactionType.CHAINCODE_DEPLOY) {
      const deployment = ChaincodeDeploymentSpecCodec.decode(transaction.payload);
      const spec = deployment.chaincodeSpec;
      Object.assign(out, { chaincode: spec.chaincodeID?.name ?? '', path: spec.chaincodeID?.path ?? '', codeBytes: deployment.codePackage.length }, argsJson(spec));
    } else if (transaction.type === TransactionType.CHAINCODE_INVOKE || transaction.type === TransactionType.CHAINCODE_QUERY) {
      const spec = ChaincodeInvocationSpecCodec.decode(transaction.payload).chaincodeSpec;
      Object.assign(out, { chaincode: spec.chaincodeID?.name ?? '' }, argsJson(spec));
    }
  } catch (error) {
    out.payloadError = `payload does not decode: ${(error as Error).message}`;
  }
  return out;
}

export function chaincodeEventView(event: ChaincodeEvent): JsonObject {
  return { chaincodeID: event.chaincodeID, txID: event.txID, eventName: event.eventName, payload: decodedBytes(event.payload) };
}

/** One line of the block list: numbers and hashes, not the transactions themselves. */
export function blockSummary(blockNumber: number, block: Block, blockHash: Uint8Array | undefined): JsonObject {
  const results = block.nonHashData?.transactionResults ?? [];
  const events = block.nonHashData?.chaincodeEvents ?? [];
  return {
    number: blockNumber,
    hash: blockHash ? hex(blockHash) : null,
    previousHash: hex(block.previousBlockHash),
    stateHash: hex(block.stateHash),
    committedAt: isoTime(block.nonHashData?.localLedgerCommitTimestamp),
    transactions: block.transactions.length,
    rejected: results.filter((r) => r.errorCode !== 0 || r.error !== '').length,
    events: events.filter((e) => e.eventName !== '').length,
    txids: block.transactions.slice(0, SUMMARY_TXIDS_MAX).map((t) => t.txid),
  };
}

/** A block with one page of its transactions decoded, its rejections and its chaincode events. */
export function blockView(blockNumber: number, block: Block, blockHash: Uint8Array | undefined, offset: number, count: number): JsonObject {
  const results = (block.nonHashData?.transactionResults ?? []).filter((r) => r.errorCode !== 0 || r.error !== '');
  const events = (block.nonHashData?.chaincodeEvents ?? []).filter((e) => e.eventName !== '');
  return {
    ...blockSummary(blockNumber, block, blockHash),
    offset,
    transactionList: block.transactions.slice(offset, offset + count).map(transactionView),
    rejectedList: results.slice(0, count).map((r) => ({ txid: r.txid, error: r.error.slice(0, SHOWN_BYTES_MAX) })),
    eventList: events.slice(0, count).map(chaincodeEventView),
  };
}

/** A deployed chaincode from its registry record (the deploy's ChaincodeDeploymentSpec). */
export function chaincodeView(name: string, record: Uint8Array, deployedIn: number | undefined): JsonObject {
  if (isConfidentialRecord(record)) return { name, deployedIn: deployedIn ?? null, confidential: true };
  try {
    const deployment = ChaincodeDeploymentSpecCodec.decode(record);
    const spec = deployment.chaincodeSpec;
    return { name, path: spec.chaincodeID?.path ?? '', codeBytes: deployment.codePackage.length, deployedIn: deployedIn ?? null, ...argsJson(spec) };
  } catch (error) {
    return { name, deployedIn: deployedIn ?? null, recordError: `record does not decode: ${(error as Error).message}` };
  }
}
