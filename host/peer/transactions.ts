// Building transactions from a client's ChaincodeSpec, as Fabric v0.6's Devops did: deploy names
// the chaincode by a hash of its code and constructor (txid = name), invoke gets a v4 UUID or,
// with idGenerationAlg "sha256", a hash of its arguments. The spec's metadata goes into the
// transaction's metadata field, where a signed transaction's caller metadata lives.
import { createHash, randomUUID } from 'node:crypto';
import { cryptoHash } from '../protocol/hash.ts';
import {
  ChaincodeDeploymentSpecCodec,
  ChaincodeIDCodec,
  ChaincodeInputCodec,
  ChaincodeInvocationSpecCodec,
  ChaincodeSpecCodec,
  TransactionType,
  emptyTransaction,
  type ChaincodeSpec,
  type Timestamp,
  type Transaction,
} from '../protocol/messages.ts';

/**
 * Fabric's generateHashcode with one file, the module: h = H(ctorMsg); h = H(code ‖ h); name = hex(h).
 * The same code with the same constructor always gets the same 128-hex-character name.
 */
export function chaincodeName(code: Uint8Array, ctorArgs: Uint8Array[]): string {
  const ctorHash = cryptoHash(ChaincodeInputCodec.encode({ args: ctorArgs }));
  return Buffer.from(cryptoHash(code, ctorHash)).toString('hex');
}

export function timestampNow(): Timestamp {
  const ms = Date.now();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function derTlv(tag: number, body: Uint8Array): Uint8Array {
  const head = Uint8Array.from([tag, ...derLength(body.length)]);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Fabric's "sha256" transaction id: hex(sha256(DER(SEQUENCE{SEQUENCE OF OCTET STRING args}))). */
export function sha256TransactionId(args: Uint8Array[]): string {
  const octets = Buffer.concat(args.map((arg) => derTlv(0x04, arg)));
  const der = derTlv(0x30, derTlv(0x30, octets));
  return createHash('sha256').update(der).digest('hex');
}

export const TRANSACTION_ID_ALGORITHMS = ['', 'sha256'] as const;

const EMPTY = new Uint8Array(0);

/**
 * The spec as the payload carries it: its metadata travels in Transaction.metadata instead
 * (Fabric's GetCallerMetadata), so the payload (GetPayload) can be signed into the metadata
 * without signing itself.
 */
function payloadSpec(spec: ChaincodeSpec): ChaincodeSpec {
  return spec.metadata.length === 0 ? spec : { ...spec, metadata: EMPTY };
}

/** The ChaincodeSpec bytes chaincode gets from GetPayload for a transaction (as the executor decodes them). */
export function payloadBytes(transaction: Transaction): Uint8Array {
  const spec =
    transaction.type === TransactionType.CHAINCODE_DEPLOY
      ? ChaincodeDeploymentSpecCodec.decode(transaction.payload).chaincodeSpec
      : ChaincodeInvocationSpecCodec.decode(transaction.payload).chaincodeSpec;
  return ChaincodeSpecCodec.encode(spec);
}

export function newDeployTransaction(spec: ChaincodeSpec, code: Uint8Array, timestamp: Timestamp): Transaction {
  const name = chaincodeName(code, spec.ctorMsg.args);
  const namedSpec: ChaincodeSpec = { ...payloadSpec(spec), chaincodeID: { path: spec.chaincodeID.path, name } };
  return {
    ...emptyTransaction(),
    metadata: spec.metadata,
    type: TransactionType.CHAINCODE_DEPLOY,
    chaincodeID: ChaincodeIDCodec.encode(namedSpec.chaincodeID),
    payload: ChaincodeDeploymentSpecCodec.encode({ chaincodeSpec: namedSpec, codePackage: code, execEnv: 0 }),
    txid: name,
    timestamp,
  };
}

export function newInvokeTransaction(spec: ChaincodeSpec, timestamp: Timestamp, idGenerationAlg = ''): Transaction {
  if (idGenerationAlg !== '' && idGenerationAlg !== 'sha256') {
    throw new Error(`Unknown transaction id algorithm "${idGenerationAlg}": use sha256 or leave it empty`);
  }
  const txid = idGenerationAlg === 'sha256' ? sha256TransactionId(spec.ctorMsg.args) : randomUUID();
  return {
    ...emptyTransaction(),
    metadata: spec.metadata,
    type: TransactionType.CHAINCODE_INVOKE,
    chaincodeID: ChaincodeIDCodec.encode({ path: '', name: spec.chaincodeID.name }),
    payload: ChaincodeInvocationSpecCodec.encode({ chaincodeSpec: payloadSpec(spec), idGenerationAlg }),
    txid,
    timestamp,
  };
}
