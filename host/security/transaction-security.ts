// Signed transactions: the client side signs a Transaction with a transaction certificate's key;
// every validator verifies it before the transaction can reach chaincode — certificate from the
// network's TCA, valid at the transaction's timestamp, signature over the transaction's bytes —
// and learns the caller identity chaincode sees (certificate, metadata, binding, attributes).
// Everything here depends only on the transaction's bytes and the CA certificates, so every
// validator reaches the same verdict.
import { X509Certificate, createHash, randomBytes, type KeyObject } from 'node:crypto';
import { TransactionCodec, type Transaction } from '../protocol/messages.ts';
import type { CallerIdentity } from '../runtime/types.ts';
import { CERT_BYTES_MAX } from './cert-format.ts';
import type { CertificateVerifier } from './cert-verifier.ts';
import { signBytes, verifyBytes } from './keys.ts';

export const NONCE_BYTES = 24;
export const NONCE_BYTES_MAX = 64;
/** A DER ECDSA P-256 signature is at most 72 bytes. */
export const SIGNATURE_BYTES_MAX = 80;

const EMPTY = new Uint8Array(0);

/** The bytes a transaction's signature covers: the transaction encoded with an empty signature. */
export function signedBytes(transaction: Transaction): Uint8Array {
  return TransactionCodec.encode({ ...transaction, signature: EMPTY });
}

/** Fabric's GetBinding: a hash tying the transaction to its certificate, SHA3-256(nonce ‖ cert). */
export function transactionBinding(transaction: Pick<Transaction, 'nonce' | 'cert'>): Uint8Array {
  return new Uint8Array(createHash('sha3-256').update(transaction.nonce).update(transaction.cert).digest());
}

/** Sets cert and nonce (a fresh one if unset), then the signature. */
export function signTransaction(transaction: Transaction, tcert: Uint8Array, key: KeyObject): Transaction {
  return signTransactionBytes(transaction, tcert, key).transaction;
}

/** signTransaction, also answering the bytes the signature covers. */
export function signTransactionBytes(transaction: Transaction, tcert: Uint8Array, key: KeyObject): { transaction: Transaction; signed: Uint8Array } {
  const nonce = transaction.nonce.length > 0 ? transaction.nonce : new Uint8Array(randomBytes(NONCE_BYTES));
  const unsigned: Transaction = { ...transaction, cert: tcert, nonce, signature: EMPTY };
  const signed = signedBytes(unsigned);
  return { transaction: { ...unsigned, signature: signBytes(key, signed) }, signed };
}

/** ECDSA P-256 verification of msg by the key of a certificate (DER); false for anything malformed. */
export function verifyWithCertificate(certificate: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean {
  if (certificate.length === 0 || certificate.length > CERT_BYTES_MAX) return false;
  try {
    return verifyBytes(new X509Certificate(certificate).publicKey, message, signature);
  } catch {
    return false;
  }
}

export type TransactionCheck = { ok: true; caller: CallerIdentity } | { ok: false; error: string };

function timestampMs(transaction: Transaction): number {
  const t = transaction.timestamp;
  return t ? t.seconds * 1000 + Math.floor(t.nanos / 1_000_000) : 0;
}

/**
 * The checks every validator makes, in this order, with a clear reason for the first that fails.
 * Deterministic unless revocation is on (the receiving peer's extra check: its own copy of the CA's list).
 */
export function verifyTransaction(transaction: Transaction, verifier: CertificateVerifier, options: { revocation?: boolean } = {}): TransactionCheck {
  const txid = transaction.txid;
  if (transaction.cert.length === 0 || transaction.signature.length === 0) {
    return { ok: false, error: `transaction ${txid} is not signed: security is enabled and every transaction must carry a transaction certificate and a signature` };
  }
  if (transaction.nonce.length === 0 || transaction.nonce.length > NONCE_BYTES_MAX) {
    return { ok: false, error: `transaction ${txid}: nonce must be 1 to ${NONCE_BYTES_MAX} bytes` };
  }
  if (transaction.signature.length > SIGNATURE_BYTES_MAX) return { ok: false, error: `transaction ${txid}: signature of ${transaction.signature.length} bytes is not an ECDSA P-256 signature` };
  const checked = verifier.check(transaction.cert, 'tca', timestampMs(transaction), `transaction ${txid}`, { revocation: options.revocation ?? false });
  if (!checked.ok) return checked;
  if (!verifier.verifySignature(checked.cert, signedBytes(transaction), transaction.signature)) {
    return { ok: false, error: `transaction ${txid}: signature does not verify with the transaction certificate (forged or altered)` };
  }
  const cert = checked.cert;
  let binding: Uint8Array | undefined;
  let attributes: ReadonlyMap<string, Uint8Array> | undefined;
  const caller: CallerIdentity = {
    certificate: transaction.cert,
    metadata: transaction.metadata,
    get binding(): Uint8Array {
      binding ??= transactionBinding(transaction);
      return binding;
    },
    get attributes(): ReadonlyMap<string, Uint8Array> {
      // A TCert whose attribute extension cannot be read carries no attributes (same on every peer).
      if (!attributes) {
        try {
          attributes = cert.fields().attributes;
        } catch {
          attributes = new Map();
        }
      }
      return attributes;
    },
    verifySignature: verifyWithCertificate,
  };
  return { ok: true, caller };
}
