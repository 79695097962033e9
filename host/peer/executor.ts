// The executor: turns an ordered batch of transactions into one block, the same way on every
// peer. Each transaction runs in the Wasm sandbox over an overlay of the block's state so far;
// a failed one has its writes discarded, is left out of the block and is recorded as a rejection
// (Fabric v0.6 §6.3); the block commits even if it ends up empty. Queries run here too, read-only
// on committed state.
import { randomUUID } from 'node:crypto';
import type { ExecutedBatch, OrderedBatch } from '../../network/consensus.ts';
import type { LedgerHead } from '../ledger/ledger.ts';
import type { CommittedBlock, LedgerApi } from '../ledger/types.ts';
import { STATE_VALUE_BYTES_MAX, TRANSACTION_BYTES_MAX, TXID_BYTES_MAX, TXID_DEDUP_WINDOW_BLOCKS } from '../protocol/limits.ts';
import {
  ChaincodeDeploymentSpecCodec,
  ChaincodeInvocationSpecCodec,
  ChaincodeSpecCodec,
  TransactionCodec,
  TransactionType,
  type ChaincodeDeploymentSpec,
  type ChaincodeEvent,
  type ChaincodeSpec,
  type Transaction,
  type TransactionResult,
} from '../protocol/messages.ts';
import type { ChaincodeRuntime } from '../runtime/runtime.ts';
import { StateOverlay, type StateReader } from '../runtime/state-overlay.ts';
import type { CallerIdentity, ExecutionHost, ExecutionResult, PreparedChaincode, StateView, TransactionContext } from '../runtime/types.ts';
import type { PeerEvents } from './events.ts';
import { chaincodeName, timestampNow } from './transactions.ts';

/** The namespace holding deployed chaincodes: name → ChaincodeDeploymentSpec (code included). */
export const CHAINCODE_REGISTRY = 'weft:lccc';
/**
 * With admission checks (security on): txid → block number of each transaction that was admitted
 * (certificate and signature good) and then failed in chaincode. It is state, so the state hash
 * covers it and a state transfer brings it: every validator refuses a replay of one alike, where
 * the failed transactions' results (nonHashData) are not hashed and a transfer need not carry them.
 */
export const REJECTED_TXIDS = 'weft:rejected';
/** Milliseconds of execution after which the executor yields to the event loop before the next transaction. */
const EXECUTION_SLICE_MS = 20;
const UTF8 = new TextEncoder();
/** Rejections remembered for /weft/transactions/{txid}/status. */
const REJECTIONS_REMEMBERED_MAX = 100_000;

const EMPTY = new Uint8Array(0);

type Outcome = { ok: true; event: ChaincodeEvent | null } | { ok: false; error: string; event: ChaincodeEvent | null };

/** Fabric's wording for a chaincode that never was deployed. */
export function notDeployedMessage(name: string): string {
  return `deployment transaction does not exist for ${name}`;
}

/** The ledger as the executor uses it: the LedgerApi plus its head block's summary. */
export type ExecutorLedger = LedgerApi & { head(): LedgerHead };

/**
 * A transaction's admission before it runs: its caller, or the reason it is rejected. With
 * privacy, also the transaction as it runs (decrypted); the block keeps the one ordered.
 */
export type Admission = { ok: true; caller: CallerIdentity | null; transaction?: Transaction } | { ok: false; error: string };

/**
 * Whether the chain already holds a transaction's txid: in a committed block (the executor reads
 * the index for the whole batch at once: one read, not one per transaction), or as an admitted
 * transaction that failed (REJECTED_TXIDS).
 */
export type SeenBefore = 'committed' | 'rejected' | null;

/** Decides a transaction's admission; must depend on the transaction and the chain only. */
export type AdmissionCheck = (transaction: Transaction, seen: SeenBefore) => Admission | Promise<Admission>;

/**
 * How deployed chaincodes are kept in the registry and how their state is seen: in clear by
 * default; privacy mode's host/security/confidential-chaincodes.ts encrypts confidential ones.
 */
export interface ChaincodeRecords {
  /** What the registry keeps for a deploy: `ordered` as the chain holds it, `run` as it was executed. */
  record(ordered: Transaction, run: Transaction): Uint8Array;
  /** The deployment a registry record holds; throws a clear error if this peer cannot read it. */
  deployment(name: string, record: Uint8Array): ChaincodeDeploymentSpec;
  /** A chaincode's namespace as its chaincode sees it; `state` reads the registry as of the same moment. */
  view(namespace: string, view: StateView, state: StateReader): StateView;
}

const CLEAR_RECORDS: ChaincodeRecords = {
  record: (_ordered, run) => run.payload,
  deployment: (_name, record) => ChaincodeDeploymentSpecCodec.decode(record),
  view: (_namespace, view) => view,
};

export interface ExecutorOptions {
  /** Called for every executed transaction with the fuel it used (metrics). */
  onFuel?: (fuelUsed: number) => void;
}

export class Executor {
  readonly #ledger: ExecutorLedger;
  readonly #runtime: ChaincodeRuntime;
  readonly #events: PeerEvents;
  readonly #options: ExecutorOptions;
  readonly #prepared = new Map<string, PreparedChaincode>();
  /** txid → block number, for the last TXID_DEDUP_WINDOW_BLOCKS blocks (a chain-defined window, so every peer agrees). */
  readonly #recentTxids = new Map<string, number>();
  readonly #txidsByBlock = new Map<number, string[]>();
  readonly #rejections = new Map<string, { error: string; blockNumber: number }>();
  #queue: Promise<unknown> = Promise.resolve();
  #admit: AdmissionCheck | undefined;
  #records: ChaincodeRecords = CLEAR_RECORDS;
  #stateValid = true;

  constructor(ledger: ExecutorLedger, runtime: ChaincodeRuntime, events: PeerEvents, options: ExecutorOptions = {}) {
    this.#ledger = ledger;
    this.#runtime = runtime;
    this.#events = events;
    this.#options = options;
  }

  /** Loads the txids of the last blocks, so duplicate detection survives a restart. */
  async open(): Promise<void> {
    const height = this.#ledger.height();
    for (let n = Math.max(1, height - TXID_DEDUP_WINDOW_BLOCKS); n < height; n++) {
      const block = await this.#ledger.getBlock(n);
      if (block) this.#rememberTxids(n, block.transactions.map((t) => t.txid));
    }
  }

  /**
   * With security on (host/security/peer-security.ts): certificate, signature and replay checks
   * before a transaction may reach chaincode. Must be deterministic: every validator decides alike.
   */
  setAdmission(admit: AdmissionCheck): void {
    this.#admit = admit;
  }

  /** With security on: how the registry keeps deploys and how confidential chaincodes' state is encrypted. */
  setChaincodeRecords(records: ChaincodeRecords): void {
    this.#records = records;
  }

  /** While false (state transfer under way), queries are refused with Fabric's text. */
  setStateValid(valid: boolean): void {
    this.#stateValid = valid;
  }

  head(): ExecutedBatch {
    const head = this.#ledger.head();
    return { height: head.height, blockHash: head.blockHash, stateHash: head.stateHash, consensusMetadata: head.consensusMetadata };
  }

  /** Executes and commits one batch; calls are serialised, in the order they are made. */
  executeBatch(batch: OrderedBatch): Promise<ExecutedBatch> {
    const run = this.#queue.then(() => this.#executeAndCommit(batch));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #executeAndCommit(batch: OrderedBatch): Promise<ExecutedBatch> {
    const blockNumber = this.#ledger.height();
    const block = new StateOverlay(this.#ledger);
    const included: Transaction[] = [];
    const results: TransactionResult[] = [];
    const chaincodeEvents: ChaincodeEvent[] = [];
    const rejections: Array<{ transaction: Transaction; error: string }> = [];
    const txidsInBlock = new Set<string>();

    const decodedBatch = batch.transactions.map((bytes) => this.#decode(bytes));
    const committedBefore = this.#admit
      ? await this.#ledger.committedTxids(decodedBatch.flatMap((decoded) => (decoded.ok ? [decoded.transaction.txid] : [])))
      : NONE_COMMITTED;
    let sliceStarted = performance.now();
    for (const decoded of decodedBatch) {
      // A block of fuel-heavy transactions can take seconds; let timers and the network run between
      // transactions so consensus timeouts and peers are served meanwhile.
      if (performance.now() - sliceStarted > EXECUTION_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStarted = performance.now();
      }
      if (!decoded.ok) {
        chaincodeEvents.push(emptyEvent());
        results.push({ txid: '', result: EMPTY, errorCode: 1, error: decoded.error });
        continue;
      }
      const transaction = decoded.transaction;
      let outcome: Outcome;
      if (txidsInBlock.has(transaction.txid) || this.#recentTxids.has(transaction.txid)) {
        outcome = { ok: false, error: `duplicate transaction ${transaction.txid}`, event: null };
      } else {
        const admission: Admission = this.#admit ? await this.#admit(transaction, this.#seenBefore(transaction.txid, committedBefore, block)) : { ok: true, caller: null };
        if (!admission.ok) {
          outcome = { ok: false, error: admission.error, event: null };
        } else {
          const overlay = new StateOverlay(block);
          outcome = this.#execute(transaction, admission.transaction ?? transaction, overlay, admission.caller);
          if (outcome.ok) block.apply(overlay.writes());
          // Not for a refused admission: a copy with a bad signature must not burn the genuine txid.
          else if (this.#admit) block.putState(REJECTED_TXIDS, transaction.txid, UTF8.encode(String(blockNumber)));
        }
      }
      chaincodeEvents.push(outcome.event ?? emptyEvent());
      if (outcome.ok) {
        included.push(transaction);
        txidsInBlock.add(transaction.txid);
      } else {
        results.push({ txid: transaction.txid, result: EMPTY, errorCode: 1, error: outcome.error, chaincodeEvent: outcome.event });
        rejections.push({ transaction, error: outcome.error });
      }
    }

    const committed = await this.#ledger.commitBlock({
      transactions: included,
      writes: block.writes(),
      consensusMetadata: batch.consensusMetadata,
      chaincodeEvents,
      transactionResults: results,
      commitTimestamp: timestampNow(),
    });
    if (committed.blockNumber !== blockNumber) throw new Error(`ledger committed block ${committed.blockNumber}, expected ${blockNumber}`);
    this.#afterCommit(committed, included, rejections, chaincodeEvents);
    return this.head();
  }

  #seenBefore(txid: string, committedBefore: ReadonlySet<string>, block: StateOverlay): SeenBefore {
    if (committedBefore.has(txid)) return 'committed';
    return block.getState(REJECTED_TXIDS, txid) === undefined ? null : 'rejected';
  }

  #afterCommit(
    committed: CommittedBlock,
    included: Transaction[],
    rejections: Array<{ transaction: Transaction; error: string }>,
    chaincodeEvents: ChaincodeEvent[],
  ): void {
    this.#rememberTxids(committed.blockNumber, included.map((t) => t.txid));
    for (const { transaction, error } of rejections) {
      this.#rejections.set(transaction.txid, { error, blockNumber: committed.blockNumber });
      if (this.#rejections.size > REJECTIONS_REMEMBERED_MAX) {
        const oldest = this.#rejections.keys().next().value;
        if (oldest !== undefined) this.#rejections.delete(oldest);
      }
    }
    this.#events.emit('block', committed);
    for (const event of chaincodeEvents) if (event.eventName !== '') this.#events.emit('chaincodeEvent', event, committed.blockNumber);
    for (const { transaction, error } of rejections) this.#events.emit('rejection', { transaction, error, blockNumber: committed.blockNumber });
  }

  #rememberTxids(blockNumber: number, txids: string[]): void {
    for (const txid of txids) this.#recentTxids.set(txid, blockNumber);
    this.#txidsByBlock.set(blockNumber, txids);
    const expired = blockNumber - TXID_DEDUP_WINDOW_BLOCKS;
    const old = this.#txidsByBlock.get(expired);
    if (old) {
      for (const txid of old) if (this.#recentTxids.get(txid) === expired) this.#recentTxids.delete(txid);
      this.#txidsByBlock.delete(expired);
    }
  }

  #decode(bytes: Uint8Array): { ok: true; transaction: Transaction } | { ok: false; error: string } {
    if (bytes.length > TRANSACTION_BYTES_MAX) return { ok: false, error: `transaction of ${bytes.length} bytes exceeds ${TRANSACTION_BYTES_MAX}` };
    let transaction: Transaction;
    try {
      transaction = TransactionCodec.decode(bytes);
    } catch (error) {
      return { ok: false, error: `malformed transaction: ${(error as Error).message}` };
    }
    if (transaction.txid === '' || Buffer.byteLength(transaction.txid) > TXID_BYTES_MAX) {
      return { ok: false, error: 'malformed transaction: missing or oversized txid' };
    }
    if (!transaction.timestamp) return { ok: false, error: `malformed transaction ${transaction.txid}: missing timestamp` };
    return { ok: true, transaction };
  }

  /** Runs `transaction` (decrypted, with privacy); `ordered` is the one the chain holds. */
  #execute(ordered: Transaction, transaction: Transaction, overlay: StateOverlay, caller: CallerIdentity | null): Outcome {
    try {
      if (transaction.type === TransactionType.CHAINCODE_DEPLOY) return this.#deploy(ordered, transaction, overlay, caller);
      if (transaction.type === TransactionType.CHAINCODE_INVOKE) return this.#invoke(transaction, overlay, caller);
      return { ok: false, error: `unsupported transaction type ${transaction.type}`, event: null };
    } catch (error) {
      // Decoding or preparation failed on bytes every peer sees alike: a deterministic rejection.
      return { ok: false, error: (error as Error).message, event: null };
    }
  }

  #deploy(ordered: Transaction, transaction: Transaction, overlay: StateOverlay, caller: CallerIdentity | null): Outcome {
    let deployment: ChaincodeDeploymentSpec;
    try {
      deployment = ChaincodeDeploymentSpecCodec.decode(transaction.payload);
    } catch (error) {
      return { ok: false, error: `malformed deploy payload: ${(error as Error).message}`, event: null };
    }
    const spec = deployment.chaincodeSpec;
    const name = chaincodeName(deployment.codePackage, spec.ctorMsg.args);
    if (transaction.txid !== name || spec.chaincodeID.name !== name) {
      return { ok: false, error: 'deploy transaction is not named by the hash of its code and constructor', event: null };
    }
    const registry = overlay.view(CHAINCODE_REGISTRY);
    if (registry.get(name) !== undefined) {
      return { ok: false, error: `deploy attempted but a chaincode with same name running ${name}`, event: null };
    }
    // The registry keeps the deployment as one state value: a bigger one would fail the whole block's commit.
    const record = this.#records.record(ordered, transaction);
    if (record.length > STATE_VALUE_BYTES_MAX) {
      return { ok: false, error: `deployment of ${record.length} bytes exceeds STATE_VALUE_BYTES_MAX (${STATE_VALUE_BYTES_MAX}): the chaincode registry keeps it as one state value`, event: null };
    }
    const prepared = this.#runtime.prepare(deployment.codePackage);
    registry.put(name, record);
    return this.#run(transaction, name, prepared, 'init', spec, overlay, caller);
  }

  #invoke(transaction: Transaction, overlay: StateOverlay, caller: CallerIdentity | null): Outcome {
    let spec: ChaincodeSpec;
    try {
      spec = ChaincodeInvocationSpecCodec.decode(transaction.payload).chaincodeSpec;
    } catch (error) {
      return { ok: false, error: `malformed invoke payload: ${(error as Error).message}`, event: null };
    }
    const name = spec.chaincodeID.name;
    const prepared = this.#chaincode(name, overlay);
    if (!prepared) return { ok: false, error: notDeployedMessage(name), event: null };
    return this.#run(transaction, name, prepared, 'invoke', spec, overlay, caller);
  }

  #run(
    transaction: Transaction,
    name: string,
    chaincode: PreparedChaincode,
    entry: 'init' | 'invoke',
    spec: ChaincodeSpec,
    overlay: StateOverlay,
    caller: CallerIdentity | null,
  ): Outcome {
    const result = this.#runtime.execute({
      chaincodeName: name,
      chaincode,
      entry,
      args: spec.ctorMsg.args,
      context: transactionContext(transaction.txid, transaction.timestamp ?? { seconds: 0, nanos: 0 }, spec, caller),
      host: this.#host(overlay),
      readOnly: false,
    });
    this.#options.onFuel?.(result.fuelUsed);
    const event = result.event
      ? { chaincodeID: name, txID: transaction.txid, eventName: result.event.eventName, payload: result.event.payload }
      : null;
    if (result.ok) return { ok: true, event };
    return { ok: false, error: result.error, event };
  }

  #host(overlay: StateOverlay): ExecutionHost {
    return {
      state: (namespace) => this.#records.view(namespace, overlay.view(namespace), overlay),
      chaincode: (name) => this.#chaincode(name, overlay),
    };
  }

  /** A deployed chaincode as seen through a state (so one deployed earlier in the block is found). */
  #chaincode(name: string, state: StateOverlay | LedgerApi): PreparedChaincode | undefined {
    if (name === CHAINCODE_REGISTRY) return undefined;
    const record = state.getState(CHAINCODE_REGISTRY, name);
    if (record === undefined) return undefined;
    let prepared = this.#prepared.get(name);
    if (!prepared) {
      prepared = this.#runtime.prepare(this.#records.deployment(name, record).codePackage);
      this.#prepared.set(name, prepared);
    }
    return prepared;
  }

  /** Whether a chaincode is deployed (committed). */
  isDeployed(name: string): boolean {
    return this.#ledger.getState(CHAINCODE_REGISTRY, name) !== undefined;
  }

  /** Runs a query read-only on committed state; throws Fabric's composed error text. */
  query(spec: ChaincodeSpec, caller: CallerIdentity | null = null): Uint8Array {
    if (!this.#stateValid) throw new Error('Error: state may be inconsistent, cannot query');
    const name = spec.chaincodeID.name;
    const chaincode = this.#chaincode(name, this.#ledger);
    if (!chaincode) throw new Error(`Error:${notDeployedMessage(name)}`);
    const overlay = new StateOverlay(this.#ledger);
    const result: ExecutionResult = this.#runtime.execute({
      chaincodeName: name,
      chaincode,
      entry: 'query',
      args: spec.ctorMsg.args,
      context: transactionContext(randomUUID(), timestampNow(), spec, caller),
      host: this.#host(overlay),
      readOnly: true,
    });
    if (!result.ok) throw new Error(`Error:Transaction or query returned with failure: ${result.error}`);
    return result.payload;
  }

  /** Where a transaction stands: committed (in a recent block or the index), rejected, or unknown. */
  async transactionStatus(txid: string): Promise<
    { status: 'committed'; blockNumber: number } | { status: 'rejected'; error: string; blockNumber: number } | { status: 'unknown' }
  > {
    const recent = this.#recentTxids.get(txid);
    if (recent !== undefined) return { status: 'committed', blockNumber: recent };
    const rejected = this.#rejections.get(txid);
    if (rejected) return { status: 'rejected', ...rejected };
    const location = await this.#ledger.getTransaction(txid);
    if (location) return { status: 'committed', blockNumber: location.blockNumber };
    return { status: 'unknown' };
  }
}

const NONE_COMMITTED: ReadonlySet<string> = new Set();

function emptyEvent(): ChaincodeEvent {
  return { chaincodeID: '', txID: '', eventName: '', payload: EMPTY };
}

/** The chaincode's view of its transaction; the payload is encoded only if the chaincode asks. */
function transactionContext(txid: string, timestamp: { seconds: number; nanos: number }, spec: ChaincodeSpec, caller: CallerIdentity | null): TransactionContext {
  let payload: Uint8Array | undefined;
  return {
    txid,
    timestamp,
    get payload(): Uint8Array {
      payload ??= ChaincodeSpecCodec.encode(spec);
      return payload;
    },
    caller,
  };
}
