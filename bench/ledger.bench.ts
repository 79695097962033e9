// Ledger benchmark (standalone: node bench/ledger.bench.ts [--quick]). Prints:
//  1. commit of blocks of 500 example02-like transactions × 2 keys, at 10k and 1M keys of state
//     (ms per block including state hash, delta, indexes and the synced write; keys/s);
//  2. state-hash update cost against the number of keys changed, at 10k and 1M keys of state
//     (the trie alone: it should follow the keys changed, not the state size);
//  3. open time at 1M keys (load from LevelDB, rebuild and check the state hash) and the heap.
// --quick uses 100k instead of 1M keys.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../host/ledger/ledger.ts';
import { StateHashTrie } from '../host/ledger/state-hash.ts';
import type { BlockInput, WriteSet } from '../host/ledger/types.ts';
import { emptyTransaction, TransactionType, type Transaction } from '../host/protocol/messages.ts';
import { benchArgs } from './bench-args.ts';

const { quick: QUICK } = benchArgs(import.meta.url, 'The ledger: commits of 500-transaction blocks and state-hash updates at 10k and 1M keys of state, and the open time at 1M keys (100k with --quick).');
const LARGE_STATE_KEYS = QUICK ? 100_000 : 1_000_000;
const SMALL_STATE_KEYS = 10_000;
const TRANSACTIONS_PER_BLOCK = 500;
const BLOCKS_MEASURED = 60;
const FILL_KEYS_PER_BLOCK = 10_000;
const CHANGED_KEY_COUNTS = [1, 10, 100, 1_000, 10_000];

const utf8 = new TextEncoder();
const NAMESPACE = 'example02';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

const fmt = (value: number, digits = 2): string => value.toFixed(digits);
const mb = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;

function invokeTransaction(i: number): Transaction {
  return {
    ...emptyTransaction(),
    type: TransactionType.CHAINCODE_INVOKE,
    txid: randomUUID(),
    chaincodeID: utf8.encode(`{"name":"${'e'.repeat(128)}"}`),
    payload: utf8.encode(`{"chaincodeSpec":{"ctorMsg":{"args":["invoke","a${i}","b${i}","1"]}}}`),
    timestamp: { seconds: 1_700_000_000, nanos: i },
  };
}

/** A block of example02 moves: each transaction rewrites two accounts of a state of `stateKeys`. */
function example02Block(blockNumber: number, stateKeys: number): BlockInput {
  const keys = new Map<string, Uint8Array | null>();
  const transactions: Transaction[] = [];
  for (let i = 0; i < TRANSACTIONS_PER_BLOCK; i++) {
    const from = (blockNumber * 7_919 + i * 2) % stateKeys;
    keys.set(`account${from}`, utf8.encode(String(1_000_000 - blockNumber)));
    keys.set(`account${(from + 1) % stateKeys}`, utf8.encode(String(1_000_000 + blockNumber)));
    transactions.push(invokeTransaction(i));
  }
  return {
    transactions,
    writes: new Map([[NAMESPACE, keys]]),
    consensusMetadata: utf8.encode(String(blockNumber)),
    chaincodeEvents: transactions.map(() => ({ chaincodeID: '', txID: '', eventName: '', payload: new Uint8Array(0) })),
    transactionResults: [],
    commitTimestamp: { seconds: 1_700_000_000, nanos: 0 },
  };
}

async function fill(ledger: Ledger, stateKeys: number): Promise<void> {
  for (let start = 0; start < stateKeys; start += FILL_KEYS_PER_BLOCK) {
    const keys = new Map<string, Uint8Array | null>();
    for (let k = start; k < Math.min(stateKeys, start + FILL_KEYS_PER_BLOCK); k++) keys.set(`account${k}`, utf8.encode('1000000'));
    const writes: WriteSet = new Map([[NAMESPACE, keys]]);
    await ledger.commitBlock({ transactions: [], writes, consensusMetadata: new Uint8Array(0), chaincodeEvents: [], transactionResults: [], commitTimestamp: { seconds: 0, nanos: 0 } });
  }
}

async function benchCommits(dir: string, stateKeys: number): Promise<void> {
  const ledger = await Ledger.open(dir, { deltaHistorySize: 500 });
  const fillStart = performance.now();
  await fill(ledger, stateKeys);
  const fillMs = performance.now() - fillStart;
  const times: number[] = [];
  const cpuStart = process.cpuUsage();
  for (let b = 0; b < BLOCKS_MEASURED; b++) {
    const input = example02Block(ledger.height(), stateKeys);
    const start = performance.now();
    await ledger.commitBlock(input);
    times.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpuStart);
  const cpuMsPerBlock = (cpu.user + cpu.system) / 1000 / BLOCKS_MEASURED;
  const keysPerBlock = TRANSACTIONS_PER_BLOCK * 2;
  const med = median(times);
  console.log(
    `commit, state ${stateKeys.toLocaleString('en')} keys: ${fmt(med)} ms/block median, p90 ${fmt(percentile(times, 0.9))} ms, ` +
      `${Math.round((keysPerBlock / med) * 1000).toLocaleString('en')} keys/s, ${Math.round((TRANSACTIONS_PER_BLOCK / med) * 1000).toLocaleString('en')} tx/s ` +
      `(CPU ${fmt(cpuMsPerBlock, 1)} ms/block incl. building the input; fill: ${fmt(fillMs / 1000, 1)} s)`,
  );
  await ledger.close();
}

function benchStateHash(stateKeys: number): void {
  const trie = new StateHashTrie();
  const present = new Set<number>();
  const key = (k: number): Uint8Array => utf8.encode(`${NAMESPACE}\u0000account${k}`);
  for (let k = 0; k < stateKeys; k++) {
    trie.set(key(k), utf8.encode('1000000'), false);
    present.add(k);
  }
  trie.rootHash();
  const parts: string[] = [];
  let round = 0;
  for (const changed of CHANGED_KEY_COUNTS) {
    const samples: number[] = [];
    const repeats = Math.max(3, Math.min(50, Math.floor(20_000 / changed)));
    for (let r = 0; r < repeats; r++) {
      round++;
      const start = performance.now();
      for (let i = 0; i < changed; i++) trie.set(key((round * 104_729 + i * 7_919) % stateKeys), utf8.encode(String(round)), true);
      trie.rootHash();
      samples.push(performance.now() - start);
    }
    const ms = median(samples);
    parts.push(`${changed} keys ${fmt(ms, 3)} ms (${fmt((ms * 1000) / changed, 1)} µs/key)`);
  }
  console.log(`state hash update, state ${stateKeys.toLocaleString('en')} keys: ${parts.join(', ')}`);
}

async function benchOpen(dir: string): Promise<void> {
  // The ledger in `dir` already holds stateKeys keys (from benchCommits).
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  const ledger = await Ledger.open(dir, { deltaHistorySize: 500 });
  const openMs = performance.now() - start;
  globalThis.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(
    `open, state ${ledger.stateSize().toLocaleString('en')} keys, height ${ledger.height()}: ${fmt(openMs / 1000, 2)} s ` +
      `(load from LevelDB + rebuild and check the state hash); heap for the state ${mb(heapAfter - heapBefore)}`,
  );
  // The part of open that is the state hash alone (as open builds it: all leaves, then one sort).
  const entries: Array<[Uint8Array, Uint8Array]> = [];
  const iterator = ledger.rangeState(NAMESPACE, '', '');
  for (let step = iterator.next(); !step.done; step = iterator.next()) entries.push([utf8.encode(`${NAMESPACE}\u0000${step.value[0]}`), step.value[1]]);
  const hashStart = performance.now();
  const trie = new StateHashTrie();
  for (const [composite, value] of entries) trie.addForBuild(composite, value);
  trie.finishBuild();
  trie.rootHash();
  console.log(
    `  of which rebuilding the state hash of ${entries.length.toLocaleString('en')} keys: ${fmt((performance.now() - hashStart) / 1000, 2)} s; ` +
      `trie storage ${mb(trie.allocatedBytes)} (outside the heap); process RSS ${mb(process.memoryUsage().rss)}`,
  );
  await ledger.close();
}

async function main(): Promise<void> {
  console.log(`ledger bench (node ${process.version}${QUICK ? ', --quick' : ''})`);
  const root = await mkdtemp(join(tmpdir(), 'weft-ledger-bench-'));
  try {
    await benchCommits(join(root, 'small'), SMALL_STATE_KEYS);
    await benchCommits(join(root, 'large'), LARGE_STATE_KEYS);
    benchStateHash(SMALL_STATE_KEYS);
    benchStateHash(LARGE_STATE_KEYS);
    await benchOpen(join(root, 'large'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
