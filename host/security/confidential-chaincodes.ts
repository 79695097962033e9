// Confidential chaincodes in the world state (privacy mode): what the registry keeps for a
// confidential deploy, and each confidential chaincode's namespace as its chaincode sees it —
// values decrypted on read and encrypted on write at the boundary between the runtime and the
// executor's state (ExecutionHost.state), so chaincode sees plaintext and the overlays, the
// world state, the state hash, deltas and snapshots hold only ciphertext.
//
// The registry keeps a confidential deploy as it was ordered (encrypted; certificate and
// signature dropped), behind a marker. Its toValidators holds the chaincode's state key, so a
// validator re-derives the key from the registry with the chain key whenever it needs it — after
// a restart, or after state transfer brought the chaincode from another peer — and no other key
// material is ever stored. Keys of state entries stay in clear (range queries need their order).
import { sameBytes } from '../ledger/bytes.ts';
import { HostTrap, TrapMessage } from '../runtime/host-trap.ts';
import type { StateReader } from '../runtime/state-overlay.ts';
import type { StateView } from '../runtime/types.ts';
import {
  ChaincodeDeploymentSpecCodec,
  ConfidentialityLevel,
  TransactionCodec,
  type ChaincodeDeploymentSpec,
  type Transaction,
} from '../protocol/messages.ts';
import { CHAINCODE_REGISTRY, type ChaincodeRecords } from '../peer/executor.ts';
import { decryptTransaction } from './confidentiality.ts';
import type { EciesRecipient } from './ecies.ts';
import { CONFIDENTIAL_VALUE_BYTES_MAX, StateCipher } from './state-encryption.ts';

/**
 * Starts a confidential registry record. Its first byte, 'w', is protobuf field 14 with wire
 * type 7, which does not exist: no ChaincodeDeploymentSpec (a clear record) starts like this.
 */
const RECORD_MARKER = new TextEncoder().encode('weft-confidential-deploy-1.2\n');
/** Confidential chaincodes whose deployment and state key are kept opened. */
const OPENED_CHAINCODES_MAX = 1_024;
/** Characters of a state key quoted in an error. */
const KEY_SHOWN_MAX = 80;

const EMPTY = new Uint8Array(0);

export function isConfidentialRecord(record: Uint8Array): boolean {
  if (record.length < RECORD_MARKER.length) return false;
  for (let i = 0; i < RECORD_MARKER.length; i++) if (record[i] !== RECORD_MARKER[i]) return false;
  return true;
}

/** The registry record of a confidential deploy: the marker, then the transaction as ordered without its certificate, signature and nonce. */
export function confidentialRecord(ordered: Transaction): Uint8Array {
  const kept = TransactionCodec.encode({ ...ordered, cert: EMPTY, signature: EMPTY, nonce: EMPTY });
  const record = new Uint8Array(RECORD_MARKER.length + kept.length);
  record.set(RECORD_MARKER);
  record.set(kept, RECORD_MARKER.length);
  return record;
}

interface OpenedChaincode {
  record: Uint8Array;
  deployment: ChaincodeDeploymentSpec;
  cipher: StateCipher;
}

/** A namespace's view with values encrypted under the chaincode's state key. */
function encryptedView(name: string, view: StateView, cipher: StateCipher): StateView {
  const open = (key: string, sealed: Uint8Array): Uint8Array => {
    const value = cipher.open(key, sealed);
    // Every validator holds the same state and key, so this fails alike everywhere (a damaged state).
    if (value === undefined) throw new HostTrap('trap', `state of confidential chaincode ${name}: the value of ${JSON.stringify(key.slice(0, KEY_SHOWN_MAX))} does not decrypt with its state key`);
    return value;
  };
  const decrypting = function* (entries: Iterator<[string, Uint8Array]>): Generator<[string, Uint8Array]> {
    for (let next = entries.next(); !next.done; next = entries.next()) yield [next.value[0], open(next.value[0], next.value[1])];
  };
  return {
    get: (key) => {
      const sealed = view.get(key);
      return sealed === undefined ? undefined : open(key, sealed);
    },
    put: (key, value) => {
      if (value.length > CONFIDENTIAL_VALUE_BYTES_MAX) throw new HostTrap('limit', TrapMessage.tooLarge('value', value.length, 'CONFIDENTIAL_VALUE_BYTES_MAX', CONFIDENTIAL_VALUE_BYTES_MAX));
      view.put(key, cipher.seal(key, value));
    },
    del: (key) => view.del(key),
    range: (startKey, endKey) => decrypting(view.range(startKey, endKey)),
    prefix: (prefix) => decrypting(view.prefix(prefix)),
  };
}

/**
 * The executor's ChaincodeRecords on a peer with security on: clear chaincodes as before,
 * confidential ones opened with the chain key (validators) or refused with a clear error (a peer
 * without it).
 */
export class ConfidentialChaincodes implements ChaincodeRecords {
  readonly #chainKey: EciesRecipient | undefined;
  readonly #opened = new Map<string, OpenedChaincode>();

  constructor(chainKey: EciesRecipient | undefined) {
    this.#chainKey = chainKey;
  }

  record(ordered: Transaction, run: Transaction): Uint8Array {
    return ordered.confidentialityLevel === ConfidentialityLevel.CONFIDENTIAL ? confidentialRecord(ordered) : run.payload;
  }

  deployment(name: string, record: Uint8Array): ChaincodeDeploymentSpec {
    return isConfidentialRecord(record) ? this.#open(name, record).deployment : ChaincodeDeploymentSpecCodec.decode(record);
  }

  view(namespace: string, view: StateView, state: StateReader): StateView {
    const record = state.getState(CHAINCODE_REGISTRY, namespace);
    if (record === undefined || !isConfidentialRecord(record)) return view;
    return encryptedView(namespace, view, this.#open(namespace, record).cipher);
  }

  #open(name: string, record: Uint8Array): OpenedChaincode {
    const cached = this.#opened.get(name);
    // A name is a hash of code and constructor, but a rejected deploy may be followed by another with a new state key: compare the record.
    if (cached !== undefined && sameBytes(cached.record, record)) {
      // The committed record is a copy of the one first seen: keep it, so later lookups compare references, not bytes.
      cached.record = record;
      return cached;
    }
    if (!this.#chainKey) throw new Error(`chaincode ${name} is confidential and this peer holds no chain key: only validators can run or query it`);
    let ordered: Transaction;
    try {
      ordered = TransactionCodec.decode(record.subarray(RECORD_MARKER.length));
    } catch (error) {
      throw new Error(`the registry record of confidential chaincode ${name} does not decode: ${(error as Error).message}`);
    }
    const opened = decryptTransaction(ordered, this.#chainKey);
    if (!opened.ok) throw new Error(`the registry record of confidential chaincode ${name} does not open: ${opened.error}`);
    if (opened.stateKey === undefined) throw new Error(`the registry record of confidential chaincode ${name} holds no state key`);
    const entry: OpenedChaincode = { record, deployment: ChaincodeDeploymentSpecCodec.decode(opened.transaction.payload), cipher: new StateCipher(opened.stateKey) };
    this.#opened.delete(name);
    this.#opened.set(name, entry);
    if (this.#opened.size > OPENED_CHAINCODES_MAX) this.#opened.delete(this.#opened.keys().next().value as string);
    return entry;
  }
}
