// Blocks as stored and hashed. Block hash = cryptoHash(Block protobuf with nonHashData unset),
// as Fabric. nonHashData is field 7, the last one, and protobuf encodes fields in order, so the
// stored bytes are the hashed bytes followed by the encoded nonHashData field: one encoding
// serves both, and a stored block's hash is that of its prefix.
import { CRYPTO_HASH_BYTES } from '../protocol/hash.ts';
import { BLOCK_TRANSACTIONS_MAX, TXID_BYTES_MAX } from '../protocol/limits.ts';
import { BlockCodec, type Block, type NonHashData } from '../protocol/messages.ts';
import { DecodeError } from './byte-codec.ts';
import { cryptoHashFast } from './state-hash.ts';

const EMPTY = new Uint8Array(0);

export interface EncodedBlock {
  /** What goes to disk: the whole block, nonHashData included. */
  stored: Uint8Array;
  blockHash: Uint8Array;
}

export function encodeBlock(block: Block): EncodedBlock {
  const hashed = BlockCodec.encode({ ...block, nonHashData: null });
  const blockHash = cryptoHashFast(hashed);
  if (!block.nonHashData) return { stored: hashed, blockHash };
  const nonHash = encodeNonHashDataField(block.nonHashData);
  const stored = new Uint8Array(hashed.length + nonHash.length);
  stored.set(hashed, 0);
  stored.set(nonHash, hashed.length);
  return { stored, blockHash };
}

/** The encoded Block field 7 alone: a Block whose other fields are all defaults encodes to just that. */
function encodeNonHashDataField(nonHashData: NonHashData): Uint8Array {
  return BlockCodec.encode({
    version: 0,
    timestamp: null,
    transactions: [],
    stateHash: EMPTY,
    previousBlockHash: EMPTY,
    consensusMetadata: EMPTY,
    nonHashData,
  });
}

export function blockHashOf(block: Block): Uint8Array {
  return cryptoHashFast(BlockCodec.encode({ ...block, nonHashData: null }));
}

export function decodeBlock(bytes: Uint8Array): Block {
  try {
    return BlockCodec.decode(bytes);
  } catch (error) {
    throw new DecodeError(`block: ${(error as Error).message}`);
  }
}

/**
 * Why a block from another peer cannot be appended as a non-genesis block, or undefined.
 * Checks shape and bounds only; the chain link and state hash are checked against the ledger.
 */
export function fetchedBlockProblem(block: Block): string | undefined {
  if (!block || typeof block !== 'object') return 'block is not an object';
  if (!Array.isArray(block.transactions)) return 'block has no transaction list';
  if (block.transactions.length > BLOCK_TRANSACTIONS_MAX) return `block has ${block.transactions.length} transactions, more than ${BLOCK_TRANSACTIONS_MAX}`;
  if (!(block.stateHash instanceof Uint8Array) || block.stateHash.length !== CRYPTO_HASH_BYTES) return `block stateHash is not ${CRYPTO_HASH_BYTES} bytes`;
  if (!(block.previousBlockHash instanceof Uint8Array) || block.previousBlockHash.length !== CRYPTO_HASH_BYTES) return `block previousBlockHash is not ${CRYPTO_HASH_BYTES} bytes`;
  for (const [index, transaction] of block.transactions.entries()) {
    if (!transaction || typeof transaction.txid !== 'string') return `transaction ${index} has no txid`;
    if (!transaction.txid.isWellFormed()) return `transaction ${index} txid is not well-formed Unicode`;
    if (Buffer.byteLength(transaction.txid, 'utf8') > TXID_BYTES_MAX) return `transaction ${index} txid exceeds ${TXID_BYTES_MAX} bytes`;
  }
  return undefined;
}

const PREVIOUS_BLOCK_HASH_FIELD = 5;
const NON_HASH_DATA_FIELD = 7;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Hash of a block as stored (by encodeBlock): the hash of the bytes before its nonHashData field. */
export function storedBlockHash(stored: Uint8Array): Uint8Array {
  let end = stored.length;
  scanFields(stored, (field, start) => {
    if (field !== NON_HASH_DATA_FIELD) return false;
    end = start;
    return true;
  });
  return cryptoHashFast(stored.subarray(0, end));
}

/** A stored block's previousBlockHash, read without decoding its transactions. */
export function storedPreviousBlockHash(stored: Uint8Array): Uint8Array {
  let value: Uint8Array = new Uint8Array(0);
  scanFields(stored, (field, _start, body) => {
    if (field !== PREVIOUS_BLOCK_HASH_FIELD || body === undefined) return false;
    value = body.slice();
    return true;
  });
  return value;
}

/**
 * Walks the top-level fields of a protobuf message: visit(field number, offset of its tag, its
 * bytes if length-delimited) returns true to stop.
 */
function scanFields(bytes: Uint8Array, visit: (field: number, start: number, body: Uint8Array | undefined) => boolean): void {
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (offset >= bytes.length) throw new DecodeError('block: truncated varint');
      const byte = bytes[offset++]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new DecodeError('block: varint too long');
  };
  while (offset < bytes.length) {
    const start = offset;
    const tag = varint();
    const field = Math.floor(tag / 8);
    let body: Uint8Array | undefined;
    switch (tag & 7) {
      case WIRE_VARINT:
        varint();
        break;
      case WIRE_FIXED64:
        offset += 8;
        break;
      case WIRE_LENGTH_DELIMITED: {
        const length = varint(); // read before adding: `offset += varint()` would add to the old offset
        body = bytes.subarray(offset, offset + length);
        offset += length;
        break;
      }
      case WIRE_FIXED32:
        offset += 4;
        break;
      default:
        throw new DecodeError(`block: unsupported wire type ${tag & 7}`);
    }
    if (offset > bytes.length) throw new DecodeError('block: truncated field');
    if (visit(field, start, body)) return;
  }
}
