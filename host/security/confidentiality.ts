// Privacy mode's transactions (security.privacy, Fabric v0.6's confidentiality protocol 1.2,
// adapted): the submitting peer encrypts a transaction's chaincodeID, payload and metadata under
// a fresh per-transaction key and seals that key — and, for a deploy, a fresh state key for the
// new chaincode — to the chain public key in toValidators. Only validators hold the chain
// private key. Every validator opens the transaction after its signature has been checked, with
// the same key and the same bytes, so every validator reaches the same verdict.
//
// Each field is AES-256-GCM under its own key and nonce, cut from HKDF(transaction key, type ‖
// txid), with the field, the transaction type and the txid as associated data: a field cannot be
// moved to another field or another transaction, and toValidators is sealed under a label naming
// the txid for the same reason.
import { hkdfSync, randomBytes } from 'node:crypto';
import { ConfidentialityLevel, TransactionType, type Transaction } from '../protocol/messages.ts';
import type { CallerIdentity } from '../runtime/types.ts';
import { GCM_NONCE_BYTES, gcmOpen, gcmSeal } from './aes-gcm.ts';
import { EciesRecipient, ECIES_OVERHEAD_BYTES, eciesSeal } from './ecies.ts';
import { STATE_KEY_BYTES } from './state-encryption.ts';

/** Transaction.confidentialityProtocolVersion of a confidential transaction (Fabric's). */
export const CONFIDENTIALITY_PROTOCOL_VERSION = '1.2';
const TRANSACTION_KEY_BYTES = 32;
/** What toValidators holds: the transaction key, and for a deploy the chaincode's state key. */
const KEYS_KIND = { TRANSACTION: 1, DEPLOY: 2 } as const;
/** The largest toValidators a validator opens: a sealed deploy's keys are 146 bytes. */
export const TO_VALIDATORS_BYTES_MAX = 256;
/** Bytes of a version string quoted in a rejection. */
const VERSION_SHOWN_MAX = 32;
const AES_KEY_BYTES = 32;
const FIELD_KEYS_BYTES = 3 * (AES_KEY_BYTES + GCM_NONCE_BYTES);

const ENCRYPTED_FIELDS = ['chaincodeID', 'payload', 'metadata'] as const;
type EncryptedField = (typeof ENCRYPTED_FIELDS)[number];

export type OpenedTransaction = { ok: true; transaction: Transaction; stateKey: Uint8Array | undefined } | { ok: false; error: string };

/** The rejection texts of privacy mode, one place for the code and its tests. */
export const ConfidentialityError = {
  publicWithPrivacy: (txid: string): string =>
    `transaction ${txid} is public but this network runs with privacy (security.privacy): every transaction must be confidential`,
  confidentialWithoutPrivacy: (txid: string): string =>
    `transaction ${txid} is confidential but this network runs without privacy (security.privacy is false)`,
  unknownLevel: (txid: string, level: number): string => `transaction ${txid}: confidentialityLevel ${level} is neither PUBLIC (0) nor CONFIDENTIAL (1)`,
  version: (txid: string, version: string): string =>
    `transaction ${txid}: confidentiality protocol version ${JSON.stringify(version.slice(0, VERSION_SHOWN_MAX))} is not supported (this network uses "${CONFIDENTIALITY_PROTOCOL_VERSION}")`,
  toValidatorsTooLarge: (txid: string, bytes: number): string =>
    `transaction ${txid}: toValidators of ${bytes} bytes exceeds TO_VALIDATORS_BYTES_MAX (${TO_VALIDATORS_BYTES_MAX})`,
  toValidatorsSealed: (txid: string): string =>
    `transaction ${txid}: toValidators cannot be decrypted with the chain key (tampered, or encrypted for another chain)`,
  toValidatorsMalformed: (txid: string, why: string): string => `transaction ${txid}: toValidators is malformed: ${why}`,
  field: (txid: string, field: string): string => `transaction ${txid}: its ${field} cannot be decrypted with its transaction key (tampered or truncated)`,
  noChainKey: (txid: string): string => `transaction ${txid} is confidential and this peer holds no chain key (only validators do)`,
} as const;

function toValidatorsLabel(txid: string): string {
  return `weft-conf-${CONFIDENTIALITY_PROTOCOL_VERSION} toValidators\u0000${txid}`;
}

interface FieldCipherInput {
  key: Buffer;
  nonce: Buffer;
  aad: Buffer;
}

/**
 * The key, nonce and associated data of each field of one transaction: one HKDF output cut in
 * three (one derivation per transaction instead of one per field), each field's associated data
 * naming the field, the type and the txid.
 */
function fieldCipherInputs(transactionKey: Uint8Array, transaction: Transaction): Record<EncryptedField, FieldCipherInput> {
  const context = `${transaction.type}\u0000${transaction.txid}`;
  const okm = Buffer.from(hkdfSync('sha256', transactionKey, Buffer.alloc(0), `weft-conf-${CONFIDENTIALITY_PROTOCOL_VERSION} fields\u0000${context}`, FIELD_KEYS_BYTES));
  const input = (field: EncryptedField, index: number): FieldCipherInput => {
    const at = index * (AES_KEY_BYTES + GCM_NONCE_BYTES);
    return {
      key: okm.subarray(at, at + AES_KEY_BYTES),
      nonce: okm.subarray(at + AES_KEY_BYTES, at + AES_KEY_BYTES + GCM_NONCE_BYTES),
      aad: Buffer.from(`weft-conf-${CONFIDENTIALITY_PROTOCOL_VERSION} ${field}\u0000${context}`, 'utf8'),
    };
  };
  return { chaincodeID: input('chaincodeID', 0), payload: input('payload', 1), metadata: input('metadata', 2) };
}

/**
 * The submitting peer's side: the transaction made confidential, to be signed afterwards (a
 * validator checks the signature before it decrypts anything). txid, type, timestamp, nonce and
 * the certificate stay in clear.
 */
export function encryptTransaction(transaction: Transaction, chainPublicPoint: Uint8Array): Transaction {
  const transactionKey = new Uint8Array(randomBytes(TRANSACTION_KEY_BYTES));
  const deploy = transaction.type === TransactionType.CHAINCODE_DEPLOY;
  const keys = deploy
    ? Buffer.concat([Buffer.of(KEYS_KIND.DEPLOY), transactionKey, randomBytes(STATE_KEY_BYTES)])
    : Buffer.concat([Buffer.of(KEYS_KIND.TRANSACTION), transactionKey]);
  const sealed: Transaction = {
    ...transaction,
    confidentialityLevel: ConfidentialityLevel.CONFIDENTIAL,
    confidentialityProtocolVersion: CONFIDENTIALITY_PROTOCOL_VERSION,
    toValidators: eciesSeal(chainPublicPoint, keys, toValidatorsLabel(transaction.txid)),
  };
  const inputs = fieldCipherInputs(transactionKey, transaction);
  for (const field of ENCRYPTED_FIELDS) sealed[field] = gcmSeal(inputs[field].key, inputs[field].nonce, transaction[field], inputs[field].aad);
  return sealed;
}

/** A validator's side: the transaction as chaincode sees it, and a deploy's state key — or why it cannot be opened. */
export function decryptTransaction(transaction: Transaction, chainKey: EciesRecipient): OpenedTransaction {
  const txid = transaction.txid;
  if (transaction.confidentialityProtocolVersion !== CONFIDENTIALITY_PROTOCOL_VERSION) {
    return { ok: false, error: ConfidentialityError.version(txid, transaction.confidentialityProtocolVersion) };
  }
  const toValidators = transaction.toValidators;
  if (toValidators.length > TO_VALIDATORS_BYTES_MAX) return { ok: false, error: ConfidentialityError.toValidatorsTooLarge(txid, toValidators.length) };
  if (toValidators.length < ECIES_OVERHEAD_BYTES) return { ok: false, error: ConfidentialityError.toValidatorsSealed(txid) };
  const keys = chainKey.open(toValidators, toValidatorsLabel(txid));
  if (keys === undefined) return { ok: false, error: ConfidentialityError.toValidatorsSealed(txid) };
  const deploy = transaction.type === TransactionType.CHAINCODE_DEPLOY;
  const expected = deploy ? 1 + TRANSACTION_KEY_BYTES + STATE_KEY_BYTES : 1 + TRANSACTION_KEY_BYTES;
  const kind = deploy ? KEYS_KIND.DEPLOY : KEYS_KIND.TRANSACTION;
  if (keys.length !== expected || keys[0] !== kind) {
    return { ok: false, error: ConfidentialityError.toValidatorsMalformed(txid, deploy ? 'a deploy must carry its transaction key and a state key' : 'it must carry the transaction key only') };
  }
  const transactionKey = keys.subarray(1, 1 + TRANSACTION_KEY_BYTES);
  const opened: Transaction = { ...transaction };
  const inputs = fieldCipherInputs(transactionKey, transaction);
  for (const field of ENCRYPTED_FIELDS) {
    const plain = gcmOpen(inputs[field].key, inputs[field].nonce, transaction[field], inputs[field].aad);
    if (plain === undefined) return { ok: false, error: ConfidentialityError.field(txid, field) };
    opened[field] = plain;
  }
  return { ok: true, transaction: opened, stateKey: deploy ? keys.slice(1 + TRANSACTION_KEY_BYTES) : undefined };
}

/** The caller identity chaincode sees, with the metadata decrypted (the certificate, binding and attributes are the transaction's). */
function withMetadata(caller: CallerIdentity, metadata: Uint8Array): CallerIdentity {
  return {
    get certificate() {
      return caller.certificate;
    },
    metadata,
    get binding() {
      return caller.binding;
    },
    get attributes() {
      return caller.attributes;
    },
    verifySignature: caller.verifySignature,
  };
}

export type ConfidentialAdmission = { ok: true; caller: CallerIdentity; transaction: Transaction } | { ok: false; error: string };

/**
 * Privacy mode's part of admission, after the signature and replay checks passed: with privacy
 * every transaction must be confidential and open with the chain key; without it none may be
 * confidential. Answers the transaction to run (decrypted) with the caller chaincode sees.
 * Deterministic: it depends on the transaction, the network's setting and the chain key, which
 * every validator shares.
 */
export function admitConfidentiality(transaction: Transaction, caller: CallerIdentity, privacy: boolean, chainKey: EciesRecipient | undefined): ConfidentialAdmission {
  const txid = transaction.txid;
  const level = transaction.confidentialityLevel;
  if (level !== ConfidentialityLevel.PUBLIC && level !== ConfidentialityLevel.CONFIDENTIAL) return { ok: false, error: ConfidentialityError.unknownLevel(txid, level) };
  if (!privacy) {
    if (level === ConfidentialityLevel.CONFIDENTIAL) return { ok: false, error: ConfidentialityError.confidentialWithoutPrivacy(txid) };
    return { ok: true, caller, transaction };
  }
  if (level === ConfidentialityLevel.PUBLIC) return { ok: false, error: ConfidentialityError.publicWithPrivacy(txid) };
  if (!chainKey) return { ok: false, error: ConfidentialityError.noChainKey(txid) };
  const opened = decryptTransaction(transaction, chainKey);
  if (!opened.ok) return opened;
  return { ok: true, caller: withMetadata(caller, opened.transaction.metadata), transaction: opened.transaction };
}
