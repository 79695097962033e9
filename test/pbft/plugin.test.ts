// Four real PbftConsensus plugins, real (short) timers, wired through a tiny in-test transport and
// fake stacks (an in-memory hash-chained ledger and an in-memory consensus store): submitted
// transactions execute as the same blocks on all four; with the primary stopped, a view change
// happens and the other three carry on.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { CoreConfig } from '../../host/config/core-config.ts';
import type { ConsensusStorage, ExecutedBatch, OrderedBatch, PbftStack, SyncTarget } from '../../network/consensus.ts';
import type { BatchTiming, BatchTimingSummary } from '../../network/pbft/batch-timing.ts';
import { readPbftConfig } from '../../network/pbft/config.ts';
import { PbftConsensus, type PbftLog } from '../../network/pbft/pbft-plugin.ts';
import type { Channel, PeerInfo, PeerTransport } from '../../network/transport/types.ts';
import { SimKeys } from '../sim/sim-signer.ts';

const N = 4;

class Hub {
  readonly transports = new Map<string, HubTransport>();
  readonly stacks = new Map<string, FakeStack>();
}

class HubTransport implements PeerTransport {
  readonly selfId: string;
  up = true;
  readonly #hub: Hub;
  readonly #handlers = new Map<Channel, (from: string, payload: Uint8Array) => void>();

  constructor(hub: Hub, id: string) {
    this.selfId = id;
    this.#hub = hub;
    hub.transports.set(id, this);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.up = false;
  }
  connected(): PeerInfo[] {
    return [...this.#hub.transports.values()]
      .filter((t) => t !== this && t.up)
      .map((t) => ({ id: t.selfId, address: `memory:${t.selfId}`, validator: true, pkiID: t.selfId }));
  }
  send(to: string, channel: Channel, payload: Uint8Array): void {
    const target = this.#hub.transports.get(to);
    if (!this.up || target === undefined || !target.up) return;
    const copy = payload.slice();
    setImmediate(() => target.deliver(this.selfId, channel, copy));
  }
  broadcast(channel: Channel, payload: Uint8Array): void {
    for (const peer of this.connected()) this.send(peer.id, channel, payload);
  }
  onMessage(channel: Channel, handler: (from: string, payload: Uint8Array) => void): void {
    this.#handlers.set(channel, handler);
  }
  async request(): Promise<Uint8Array> {
    throw new Error('not used');
  }
  onRequest(): void {}
  deliver(from: string, channel: Channel, payload: Uint8Array): void {
    if (this.up) this.#handlers.get(channel)?.(from, payload);
  }
}

interface FakeBlock extends ExecutedBatch {
  transactions: Uint8Array[];
}

const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

class MemoryStorage implements ConsensusStorage {
  readonly entries = new Map<string, Uint8Array>();
  async load(prefix: string): Promise<Map<string, Uint8Array>> {
    return new Map([...this.entries].filter(([key]) => key.startsWith(prefix)));
  }
  async write(changes: Map<string, Uint8Array | null>): Promise<void> {
    for (const [key, value] of changes) {
      if (value === null) this.entries.delete(key);
      else this.entries.set(key, value);
    }
  }
}

class FakeStack implements PbftStack {
  readonly storage = new MemoryStorage();
  blocks: FakeBlock[] = [{ height: 1, blockHash: sha(new TextEncoder().encode('genesis')), stateHash: new Uint8Array(32), consensusMetadata: new Uint8Array(0), transactions: [] }];
  stateValid = true;
  readonly #hub: Hub;

  constructor(hub: Hub, id: string) {
    this.#hub = hub;
    hub.stacks.set(id, this);
  }

  async execute(batch: OrderedBatch): Promise<ExecutedBatch> {
    await new Promise((resolve) => setImmediate(resolve));
    const previous = this.head();
    const stateHash = sha(previous.stateHash, ...batch.transactions);
    const blockHash = sha(previous.blockHash, stateHash, batch.consensusMetadata);
    const block: FakeBlock = { height: previous.height + 1, blockHash, stateHash, consensusMetadata: batch.consensusMetadata, transactions: batch.transactions };
    this.blocks.push(block);
    return block;
  }

  head(): ExecutedBatch {
    const { height, blockHash, stateHash, consensusMetadata } = this.blocks[this.blocks.length - 1] as FakeBlock;
    return { height, blockHash, stateHash, consensusMetadata };
  }

  async syncTo(target: SyncTarget, peers: string[]): Promise<ExecutedBatch> {
    for (const peer of peers) {
      const donor = this.#hub.stacks.get(peer);
      const block = donor?.blocks[target.height - 1];
      if (donor !== undefined && block !== undefined && Buffer.from(block.blockHash).equals(Buffer.from(target.blockHash))) {
        this.blocks = donor.blocks.slice(0, target.height);
        return this.head();
      }
    }
    throw new Error('no peer has the target block');
  }

  setStateValid(valid: boolean): void {
    this.stateValid = valid;
  }

  transactions(): string[] {
    return this.blocks.flatMap((b) => b.transactions.map((t) => new TextDecoder().decode(t)));
  }
}

function network(onBatchExecuted?: (id: string, timing: BatchTiming) => void): { hub: Hub; plugins: PbftConsensus[]; stacks: FakeStack[]; logs: string[] } {
  const hub = new Hub();
  const keys = new SimKeys(N, 7);
  const logs: string[] = [];
  const config = CoreConfig.load({
    env: {},
    overrides: {
      'pbft.general.batchsize': 3,
      'pbft.general.timeout.batch': '60ms',
      'pbft.general.timeout.request': '600ms',
      'pbft.general.timeout.viewchange': '600ms',
      'pbft.general.timeout.resendviewchange': '600ms',
    },
  });
  const plugins: PbftConsensus[] = [];
  const stacks: FakeStack[] = [];
  for (let i = 0; i < N; i++) {
    const id = `vp${i}`;
    const transport = new HubTransport(hub, id);
    const stack = new FakeStack(hub, id);
    const log: PbftLog = (level, message) => {
      if (level !== 'debug') logs.push(`${id} ${level} ${message}`);
    };
    const hook = onBatchExecuted === undefined ? {} : { onBatchExecuted: (timing: BatchTiming) => onBatchExecuted(id, timing) };
    plugins.push(new PbftConsensus(stack, transport, keys.signerFor(i), readPbftConfig(config, id), log, { tickMs: 10, ...hook }));
    stacks.push(stack);
  }
  return { hub, plugins, stacks, logs };
}

async function waitFor(predicate: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return predicate();
}

describe('PbftConsensus plugin (4 replicas, real timers)', () => {
  it('orders submitted transactions into the same blocks everywhere, and survives losing the primary', async () => {
    const { hub, plugins, stacks, logs } = network();
    await Promise.all(plugins.map((p) => p.start()));
    try {
      const first = Array.from({ length: 10 }, (_, i) => `tx-a${i}`);
      for (const [i, tx] of first.entries()) await (plugins[i % N] as PbftConsensus).submit(new TextEncoder().encode(tx));
      const allExecuted = await waitFor(() => stacks.every((s) => first.every((tx) => s.transactions().includes(tx))), 10_000);
      assert.ok(allExecuted, `not all executed: ${stacks.map((s) => s.transactions().length).join(',')}\n${logs.slice(-20).join('\n')}`);
      const chains = stacks.map((s) => s.blocks.map((b) => Buffer.from(b.blockHash).toString('hex')).join(','));
      assert.equal(new Set(chains).size, 1, 'the four ledgers differ');
      assert.deepEqual([...(stacks[0] as FakeStack).transactions()].sort(), [...first].sort());
      assert.equal((plugins[1] as PbftConsensus).status().view, 0);

      // vp0 (the primary of view 0) goes away.
      await (plugins[0] as PbftConsensus).stop();
      (hub.transports.get('vp0') as HubTransport).up = false;
      const second = Array.from({ length: 5 }, (_, i) => `tx-b${i}`);
      for (const tx of second) await (plugins[2] as PbftConsensus).submit(new TextEncoder().encode(tx));
      const survivors = stacks.slice(1);
      const progressed = await waitFor(() => survivors.every((s) => second.every((tx) => s.transactions().includes(tx))), 15_000);
      assert.ok(progressed, `no progress without the primary: ${JSON.stringify((plugins[1] as PbftConsensus).status())}\n${logs.slice(-30).join('\n')}`);
      for (const plugin of plugins.slice(1)) {
        const status = plugin.status();
        assert.ok((status.view as number) >= 1, `still in view ${String(status.view)}`);
        assert.equal(status.activeView, true);
        assert.notEqual(status.primary, 'vp0');
      }
      const survivorChains = survivors.map((s) => s.blocks.map((b) => Buffer.from(b.blockHash).toString('hex')).join(','));
      assert.equal(new Set(survivorChains).size, 1, 'the surviving ledgers differ');
      assert.equal(survivors[0]?.transactions().filter((tx) => tx.startsWith('tx-')).length, 15, 'a transaction executed twice or went missing');
    } finally {
      await Promise.all(plugins.map((p) => p.stop()));
    }
  });

  it('transactions submitted together (within the bundle window) become one request; they execute in submission order', async () => {
    const { plugins, stacks, logs } = network();
    await Promise.all(plugins.map((p) => p.start()));
    try {
      const vp1 = plugins[1] as PbftConsensus;
      const txs = Array.from({ length: 7 }, (_, i) => `tx-c${i}`);
      await Promise.all(txs.map((tx) => vp1.submit(new TextEncoder().encode(tx))));
      const executed = await waitFor(() => stacks.every((s) => s.transactions().length === txs.length), 10_000);
      assert.ok(executed, `not executed: ${stacks.map((s) => s.transactions().length).join(',')}\n${logs.slice(-20).join('\n')}`);
      for (const stack of stacks) assert.deepEqual(stack.transactions(), txs);
      const counters = vp1.status().counters as Record<string, number>;
      assert.deepEqual([counters.requestsOriginated, counters.transactionsOriginated, counters.malformedBundles], [1, 7, 0]);
    } finally {
      await Promise.all(plugins.map((p) => p.stop()));
    }
  });

  it('times each executed batch: the hook hears its ordering and execution, the status sums up the last ones, and a failing hook changes nothing', async () => {
    const heard: Array<[string, BatchTiming]> = [];
    const { plugins, stacks, logs } = network((id, timing) => {
      heard.push([id, timing]);
      if (id === 'vp3') throw new Error('metrics broke');
    });
    await Promise.all(plugins.map((p) => p.start()));
    try {
      const txs = Array.from({ length: 7 }, (_, i) => `tx-t${i}`);
      await Promise.all(txs.map((tx) => (plugins[1] as PbftConsensus).submit(new TextEncoder().encode(tx))));
      const executed = await waitFor(() => stacks.every((s) => s.transactions().length === txs.length), 10_000);
      assert.ok(executed, `not executed: ${stacks.map((s) => s.transactions().length).join(',')}\n${logs.slice(-20).join('\n')}`);
      assert.deepEqual(heard.map(([id]) => id).sort(), ['vp0', 'vp1', 'vp2', 'vp3']);
      for (const [id, timing] of heard) {
        assert.deepEqual([timing.seqNo, timing.transactions], [1, 7], id);
        // Every replica saw (or, as primary, sent) the pre-prepare before executing.
        assert.ok(timing.orderingMs !== null && timing.orderingMs >= 0, `${id} ordering ${timing.orderingMs}`);
        assert.ok(timing.executionMs >= 0);
      }
      for (const plugin of plugins) {
        const summary = plugin.status().batchTiming as BatchTimingSummary;
        assert.deepEqual([summary.batches, summary.transactionsPerBatch], [1, 7]);
      }
      assert.ok(logs.some((line) => line.startsWith('vp3 warning batch timing hook failed: metrics broke')), logs.join('\n'));
      // vp3 goes on ordering after its hook failed.
      await (plugins[3] as PbftConsensus).submit(new TextEncoder().encode('tx-after'));
      assert.ok(await waitFor(() => stacks.every((s) => s.transactions().includes('tx-after')), 10_000), logs.slice(-20).join('\n'));
    } finally {
      await Promise.all(plugins.map((p) => p.stop()));
    }
  });

  it('refuses transactions when stopped, oversized, or empty, with clear errors', async () => {
    const { plugins } = network();
    const plugin = plugins[0] as PbftConsensus;
    await assert.rejects(plugin.submit(new Uint8Array(4)), /consensus is not running/);
    await plugin.start();
    try {
      await assert.rejects(plugin.submit(new Uint8Array(0)), /empty transaction/);
      await assert.rejects(plugin.submit(new Uint8Array(4_194_305)), /exceeds 4194304 bytes/);
      assert.equal(plugin.status().plugin, 'pbft');
      assert.deepEqual(plugin.status().watermarks, { low: 0, high: 40 });
    } finally {
      await plugin.stop();
    }
    await assert.rejects(plugin.submit(new Uint8Array(4)), /consensus is not running/);
  });
});
