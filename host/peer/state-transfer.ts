// State transfer (Fabric v0.6's core/peer/statetransfer): how a peer that fell behind brings its
// ledger to a target block, and how it serves others that do.
//
// Catching up to (height, blockHash), as Fabric did:
// 1. Blocks are fetched backwards from the target and each one's hash checked against the
//    previousBlockHash of the one above, down to our head: nothing a peer sends is appended
//    until it is proven to be on the chain that ends at the target.
// 2. State: within `maxDeltas` blocks, each block is appended with its state delta, and the
//    ledger checks the state hash after it against the block. Further behind, the blocks are
//    appended first and the state is replaced by a snapshot verified against the head block's
//    stateHash. A peer whose state has moved past the wanted block sends its snapshot plus the
//    deltas back to it; the inverted deltas are applied here before the snapshot is checked.
// 3. A peer that answers wrongly or not at all is skipped for the next one.
import BTreeModule from 'sorted-btree';
import type { ExecutedBatch, SyncTarget } from '../../network/consensus.ts';
import type { PeerTransport } from '../../network/transport/types.ts';
import { blockHashOf, decodeBlock } from '../ledger/block-store.ts';
import { sameBytes, shortHex } from '../ledger/bytes.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { chunkState, decodeSnapshotChunk, encodeSnapshotChunk, type StateSnapshotChunk } from '../ledger/snapshot.ts';
import { decodeStateDelta, invertStateDelta } from '../ledger/state-delta.ts';
import type { StateDelta } from '../ledger/types.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { compareKeys, compositeKey } from '../protocol/keys.ts';
import { BlockCodec, type Block } from '../protocol/messages.ts';
import {
  SYNC_ANSWER_BYTES_MAX,
  SYNC_BLOCKS_PER_ANSWER_MAX,
  decodeBlocksAnswer,
  decodeChunkAnswer,
  decodeHeadAnswer,
  decodeSnapshotAnswer,
  decodeSyncRequest,
  encodeBlocksAnswer,
  encodeChunkAnswer,
  encodeHeadAnswer,
  encodeSnapshotAnswer,
  encodeSyncRequest,
  type BlockEntry,
  type HeadAnswer,
  type SyncRequest,
} from './sync-messages.ts';

const BTree = BTreeModule.default;

/** Snapshots a peer serves at once (each holds a frozen view of the state). */
const SNAPSHOTS_OPEN_MAX = 4;
/** Milliseconds between progress lines of a long transfer. */
const PROGRESS_LOG_MS = 2_000;

export interface StateTransferOptions {
  /** Blocks asked for per request (statetransfer.blocksperrequest, Fabric 20). */
  blocksPerRequest: number;
  /** Further behind than this, state comes by snapshot (statetransfer.maxdeltas, Fabric 200). */
  maxDeltas: number;
  /** Milliseconds for one blocks/deltas request (statetransfer.timeout.singleblock, 2 s). */
  blockTimeoutMs: number;
  /** Milliseconds for a whole snapshot (statetransfer.timeout.fullstate, 60 s). */
  snapshotTimeoutMs: number;
  log?: Logger;
}

export class StateTransferError extends Error {
  override name = 'StateTransferError';
}

interface SnapshotSession {
  owner: string;
  chunks: Iterator<StateSnapshotChunk>;
  next: number;
  lastUsedMs: number;
}

/** Answers other peers' 'sync' requests from the local ledger. */
export class StateTransferServer {
  readonly #ledger: Ledger;
  readonly #idleMs: number;
  readonly #sessions = new Map<number, SnapshotSession>();
  #nextId = 1;

  constructor(ledger: Ledger, options: { snapshotIdleMs: number }) {
    this.#ledger = ledger;
    this.#idleMs = options.snapshotIdleMs;
  }

  async handle(from: string, payload: Uint8Array): Promise<Uint8Array> {
    const request = decodeSyncRequest(payload);
    switch (request.kind) {
      case 'head': {
        const status = this.#ledger.stateStatus();
        return encodeHeadAnswer({ height: status.height, blockHash: this.#ledger.head().blockHash, stateBlockNumber: status.blockNumber });
      }
      case 'blocks':
        return this.#blocks(request);
      case 'snapshot':
        return this.#openSnapshot(from, request.atLeast);
      case 'chunk':
        return this.#chunk(from, request.id, request.index);
    }
  }

  async #blocks(request: Extract<SyncRequest, { kind: 'blocks' }>): Promise<Uint8Array> {
    const height = this.#ledger.height();
    if (request.from >= height || request.to >= height) throw new StateTransferError(`blocks ${request.from}..${request.to} asked for, height is ${height}`);
    const step = request.to >= request.from ? 1 : -1;
    const entries: BlockEntry[] = [];
    let bytes = 0;
    for (let n = request.from; entries.length < SYNC_BLOCKS_PER_ANSWER_MAX; n += step) {
      const block = await this.#ledger.getBlock(n);
      if (!block) break;
      const encoded = BlockCodec.encode(block);
      const delta = request.withDeltas ? ((await this.#ledger.getEncodedStateDelta(n)) ?? null) : null;
      bytes += encoded.length + (delta?.length ?? 0);
      // Always answer with at least one block, so a requester makes progress.
      if (entries.length > 0 && bytes > SYNC_ANSWER_BYTES_MAX) break;
      entries.push({ blockNumber: n, block: encoded, delta });
      if (n === request.to) break;
    }
    return encodeBlocksAnswer(entries);
  }

  #openSnapshot(from: string, atLeast: number): Uint8Array {
    this.#expire();
    const status = this.#ledger.stateStatus();
    if (status.behind || status.blockNumber < atLeast) {
      throw new StateTransferError(`this peer's state is at block ${status.blockNumber}${status.behind ? ' (catching up)' : ''}, below ${atLeast}`);
    }
    if (this.#sessions.size >= SNAPSHOTS_OPEN_MAX) {
      const oldest = [...this.#sessions.entries()].sort((a, b) => a[1].lastUsedMs - b[1].lastUsedMs)[0];
      if (oldest) this.#sessions.delete(oldest[0]);
    }
    const snapshot = this.#ledger.exportStateSnapshot();
    const id = this.#nextId++;
    this.#sessions.set(id, { owner: from, chunks: snapshot.chunks[Symbol.iterator](), next: 0, lastUsedMs: Date.now() });
    return encodeSnapshotAnswer({ id, blockNumber: snapshot.blockNumber, stateHash: snapshot.stateHash, entryCount: snapshot.entryCount });
  }

  #chunk(from: string, id: number, index: number): Uint8Array {
    const session = this.#sessions.get(id);
    if (!session || session.owner !== from) throw new StateTransferError(`no snapshot ${id} open for ${from}`);
    if (index !== session.next) throw new StateTransferError(`snapshot ${id}: chunk ${index} asked for, next is ${session.next}`);
    session.next++;
    session.lastUsedMs = Date.now();
    const result = session.chunks.next();
    const chunk = result.done ? { entries: [] } : result.value;
    const last = result.done === true || chunk.entries.length === 0;
    if (last) this.#sessions.delete(id);
    return encodeChunkAnswer({ last, chunk: encodeSnapshotChunk(chunk) });
  }

  #expire(): void {
    const now = Date.now();
    for (const [id, session] of this.#sessions) if (now - session.lastUsedMs > this.#idleMs) this.#sessions.delete(id);
  }
}

/** Brings the local ledger to a target by fetching from other peers. */
export class StateTransfer {
  readonly #ledger: Ledger;
  readonly #transport: PeerTransport;
  readonly #options: StateTransferOptions;
  readonly #log: Logger;
  #progressAt = 0;

  constructor(ledger: Ledger, transport: PeerTransport, options: StateTransferOptions) {
    if (!(options.blocksPerRequest >= 1) || !(options.maxDeltas >= 0)) throw new Error('statetransfer: blocksperrequest must be ≥ 1 and maxdeltas ≥ 0');
    this.#ledger = ledger;
    this.#transport = transport;
    this.#options = options;
    this.#log = options.log ?? silentLogger;
  }

  /** A progress line for a long transfer, at most every PROGRESS_LOG_MS (and always for the last step). */
  #progress(step: string, done: number, total: number | undefined, last = done === total): void {
    const now = performance.now();
    if (!last && now - this.#progressAt < PROGRESS_LOG_MS) return;
    this.#progressAt = now;
    this.#log.info('State transfer progress', total === undefined ? { step, done } : { step, done, total });
  }

  async head(peer: string): Promise<HeadAnswer> {
    return decodeHeadAnswer(await this.#ask(peer, { kind: 'head' }, this.#options.blockTimeoutMs));
  }

  /** Brings the ledger (chain and state) to the target; resolves with the new head. */
  async syncTo(target: SyncTarget, peers: string[]): Promise<ExecutedBatch> {
    if (peers.length === 0) throw new StateTransferError('no peer to transfer state from');
    const local = this.#ledger.height();
    if (target.height <= local) {
      const have = await this.#ledger.getBlockHash(target.height - 1);
      if (!have || !sameBytes(have, target.blockHash)) {
        throw new StateTransferError(`block ${target.height - 1} here is ${have ? shortHex(have) : 'missing'}, the target is ${shortHex(target.blockHash)}: the chains differ`);
      }
    } else {
      await this.#fetchChain(target, peers);
    }
    if (this.#ledger.stateStatus().behind) await this.#bringStateToHead(peers);
    const head = this.#ledger.head();
    this.#log.info('State transfer complete', { height: head.height, blockHash: shortHex(head.blockHash) });
    return { height: head.height, blockHash: head.blockHash, stateHash: head.stateHash, consensusMetadata: head.consensusMetadata };
  }

  /** Proves the blocks from our head to the target and appends them (with their deltas when near). */
  async #fetchChain(target: SyncTarget, peers: string[]): Promise<void> {
    const local = this.#ledger.height();
    const count = target.height - local;
    const withDeltas = count <= this.#options.maxDeltas && !this.#ledger.stateStatus().behind;
    this.#log.info('State transfer', { from: local, to: target.height - 1, blocks: count, state: withDeltas ? 'deltas' : 'snapshot' });
    // Backwards from the target: hashes[i] is the proven hash of block local + i.
    const hashes: Uint8Array[] = new Array<Uint8Array>(count);
    const kept = new Map<number, { block: Block; delta: StateDelta | null }>();
    let expected = target.blockHash;
    let n = target.height - 1;
    this.#progressAt = performance.now();
    while (n >= local) {
      const low = Math.max(local, n - this.#options.blocksPerRequest + 1);
      const entries = await this.#fromAnyPeer(peers, `blocks ${n}..${low}`, (peer) => this.#fetchProven(peer, n, low, expected, withDeltas));
      for (const { blockNumber, block, delta } of entries) {
        hashes[blockNumber - local] = blockHashOf(block);
        if (withDeltas) kept.set(blockNumber, { block, delta });
      }
      const lowest = entries[entries.length - 1]!;
      expected = lowest.block.previousBlockHash;
      n = lowest.blockNumber - 1;
      this.#progress('blocks proven', target.height - 1 - n, count);
    }
    if (!sameBytes(expected, this.#ledger.head().blockHash)) {
      throw new StateTransferError(`the target's chain does not extend this peer's head block ${local - 1}: the chains differ`);
    }
    if (withDeltas && [...kept.values()].every((entry) => entry.delta !== null)) {
      for (let b = local; b < target.height; b++) {
        const { block, delta } = kept.get(b)!;
        await this.#ledger.appendBlockWithDelta(block, delta!, hashes[b - local]);
        this.#progress('blocks applied with their deltas', b - local + 1, count);
      }
      return;
    }
    // Blocks first (forwards, each segment checked against the proven hashes), state after.
    for (let b = local; b < target.height; b += this.#options.blocksPerRequest) {
      const high = Math.min(target.height - 1, b + this.#options.blocksPerRequest - 1);
      const cached = kept.size > 0 ? range(b, high).map((i) => kept.get(i)!.block) : undefined;
      const blocks =
        cached ??
        (await this.#fromAnyPeer(peers, `blocks ${b}..${high}`, async (peer) => {
          const entries = await this.#fetchBlocks(peer, b, high, false);
          return entries.map((entry, i) => {
            if (entry.blockNumber !== b + i || !sameBytes(blockHashOf(entry.block), hashes[entry.blockNumber - local]!)) {
              throw new StateTransferError(`${peer} sent block ${entry.blockNumber} that is not on the proven chain`);
            }
            return entry.block;
          });
        }));
      await this.#ledger.appendBlocksWithoutState(blocks, hashes[high - local]);
      this.#progress('blocks appended (state by snapshot next)', high - local + 1, count);
    }
  }

  /** Blocks from high down to low, each proven by the hash expected of it; as many as the peer sent. */
  async #fetchProven(peer: string, high: number, low: number, expectedHash: Uint8Array, withDeltas: boolean) {
    const entries = await this.#fetchBlocks(peer, high, low, withDeltas);
    let expected = expectedHash;
    for (const [i, entry] of entries.entries()) {
      if (entry.blockNumber !== high - i) throw new StateTransferError(`${peer} answered block ${entry.blockNumber} for ${high - i}`);
      const hash = blockHashOf(entry.block);
      if (!sameBytes(hash, expected)) throw new StateTransferError(`${peer} sent block ${entry.blockNumber} with hash ${shortHex(hash)}, expected ${shortHex(expected)}`);
      expected = entry.block.previousBlockHash;
    }
    return entries;
  }

  async #fetchBlocks(peer: string, from: number, to: number, withDeltas: boolean): Promise<Array<{ blockNumber: number; block: Block; delta: StateDelta | null }>> {
    const answer = decodeBlocksAnswer(await this.#ask(peer, { kind: 'blocks', from, to, withDeltas }, this.#options.blockTimeoutMs));
    if (answer.length === 0) throw new StateTransferError(`${peer} sent no blocks for ${from}..${to}`);
    return answer.map((entry) => ({
      blockNumber: entry.blockNumber,
      block: decodeBlock(entry.block),
      delta: entry.delta ? decodeStateDelta(entry.delta) : null,
    }));
  }

  /** Replaces the world state with the state of the head block, from a peer's snapshot. */
  async #bringStateToHead(peers: string[]): Promise<void> {
    const wanted = this.#ledger.height() - 1;
    await this.#fromAnyPeer(peers, `state of block ${wanted}`, async (peer) => {
      const deadline = Date.now() + this.#options.snapshotTimeoutMs;
      const opened = decodeSnapshotAnswer(await this.#ask(peer, { kind: 'snapshot', atLeast: wanted }, this.#options.blockTimeoutMs));
      if (opened.blockNumber < wanted) throw new StateTransferError(`${peer} offered the state of block ${opened.blockNumber}, below ${wanted}`);
      const chunks = this.#chunks(peer, opened.id, deadline);
      if (opened.blockNumber === wanted) {
        await this.#ledger.installStateSnapshot(wanted, chunks);
        return;
      }
      // The peer's state is ahead: take it back to our block with the inverted deltas in between.
      const state = new BTree<string, { chaincodeName: string; key: string; value: Uint8Array }>(undefined, compareKeys);
      for await (const chunk of chunks) {
        for (const entry of chunk.entries) state.set(compositeKey(entry.chaincodeName, entry.key), entry);
      }
      for (let b = opened.blockNumber; b > wanted; ) {
        const low = Math.max(wanted + 1, b - this.#options.blocksPerRequest + 1);
        const entries = await this.#fetchBlocks(peer, b, low, true);
        for (const entry of entries) {
          if (!entry.delta) throw new StateTransferError(`${peer} has no delta for block ${entry.blockNumber}`);
          applyDelta(state, invertStateDelta(entry.delta));
          b = entry.blockNumber - 1;
        }
      }
      // The ledger verifies the result against our own block's stateHash.
      await this.#ledger.installStateSnapshot(wanted, chunkState(entriesOf(state), 1024 * 1024));
    });
  }

  async *#chunks(peer: string, id: number, deadline: number): AsyncGenerator<StateSnapshotChunk> {
    for (let index = 0; ; index++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new StateTransferError(`the snapshot from ${peer} took longer than ${this.#options.snapshotTimeoutMs} ms`);
      const answer = decodeChunkAnswer(await this.#ask(peer, { kind: 'chunk', id, index }, Math.min(remaining, this.#options.blockTimeoutMs * 5)));
      const chunk = decodeSnapshotChunk(answer.chunk);
      // How many chunks a snapshot has is not known in advance.
      this.#progress(`snapshot chunks from ${peer}`, index + 1, undefined, answer.last);
      if (chunk.entries.length > 0) yield chunk;
      if (answer.last) return;
    }
  }

  async #fromAnyPeer<T>(peers: string[], what: string, attempt: (peer: string) => Promise<T>): Promise<T> {
    const problems: string[] = [];
    for (const peer of peers) {
      try {
        return await attempt(peer);
      } catch (error) {
        const message = (error as Error).message;
        problems.push(`${peer}: ${message}`);
        this.#log.warning('State transfer from a peer failed', { peer, what, error: message });
      }
    }
    throw new StateTransferError(`could not fetch ${what}: ${problems.join('; ')}`);
  }

  async #ask(peer: string, request: SyncRequest, timeoutMs: number): Promise<Uint8Array> {
    return this.#transport.request(peer, 'sync', encodeSyncRequest(request), timeoutMs);
  }
}

function range(low: number, high: number): number[] {
  return Array.from({ length: high - low + 1 }, (_, i) => low + i);
}

type StateTree = InstanceType<typeof BTree<string, { chaincodeName: string; key: string; value: Uint8Array }>>;

function applyDelta(state: StateTree, delta: StateDelta): void {
  for (const [chaincodeName, keys] of delta) {
    for (const [key, change] of keys) {
      const composite = compositeKey(chaincodeName, key);
      if (change.value === null) state.delete(composite);
      else state.set(composite, { chaincodeName, key, value: change.value });
    }
  }
}

function* entriesOf(state: StateTree): Generator<[string, Uint8Array]> {
  for (const [composite, entry] of state.entries()) yield [composite, entry.value];
}
