// The BLOCKBENCH workloads as operation streams for `weft bench`: which chaincode each deploys
// (chaincode/blockbench/), the transactions that set up its state before measuring, and the
// endless, seed-determined sequence of operations the clients send. The mixes follow BLOCKBENCH's
// drivers: YCSB (src/macro/kvstore: "user"+hash keys, one 100-byte field per update, reads and
// updates), Smallbank (src/macro/smallbank: six transactions uniformly, accounts 1…100,000,
// amounts 0), DoNothing, IOHeavy (write then scan of 20-byte keys / 100-byte values), CPUHeavy
// (sort of n integers).
import { keyChooser, ycsbKey, type KeyDistribution } from './key-choosers.ts';
import { SeededRandom } from './prng.ts';

export type WorkloadName = 'ycsb' | 'smallbank' | 'donothing' | 'ioheavy' | 'cpuheavy';
export const WORKLOAD_NAMES: readonly WorkloadName[] = ['ycsb', 'smallbank', 'donothing', 'ioheavy', 'cpuheavy'];

/** One request a client sends: an invoke goes through consensus, a query is answered by the peer alone. */
export interface Operation {
  kind: 'invoke' | 'query';
  /** ctorMsg.args, the function first. */
  args: string[];
}

export interface WorkloadOptions {
  seed: number;
  /** YCSB: records in the key space (all written before measuring). */
  records: number;
  /** YCSB: fraction of operations that are reads (queries), 0…1. */
  readRatio: number;
  /** YCSB: which records operations touch. */
  distribution: KeyDistribution;
  /** YCSB: bytes of the field an update writes (YCSB's fieldlength). */
  valueBytes: number;
  /** Smallbank: accounts 1…accounts, preloaded before measuring. */
  accounts: number;
  /** IOHeavy: keys per write or scan. */
  ioKeys: number;
  /** CPUHeavy: n of `sort n`. */
  sortSize: number;
}

/** BLOCKBENCH's figures where it has them (YCSB fieldlength 100, Smallbank's 100,000 accounts), else modest sizes for a 2-core machine. */
export const DEFAULT_WORKLOAD_OPTIONS: WorkloadOptions = {
  seed: 1,
  records: 10_000,
  readRatio: 0.5,
  distribution: 'zipfian',
  valueBytes: 100,
  accounts: 100_000,
  ioKeys: 1_000,
  sortSize: 1_000,
};

/** Bounds of the options (what the chaincodes accept, and what a preload can do in reasonable time). */
export const WORKLOAD_LIMITS = {
  recordsMax: 1_000_000,
  valueBytesMax: 65_536,
  accountsMax: 1_000_000,
  /** ioheavy's IO_KEYS_MAX. */
  ioKeysMax: 20_000,
  /** What fits cpuheavy's fuel (sort 100,000 ≈ 81 M of 200 M fuel). */
  sortSizeMax: 200_000,
} as const;

/** Smallbank accounts one `preload` transaction writes (the chaincode's PRELOAD_ACCOUNTS_MAX). */
export const PRELOAD_ACCOUNTS_PER_TX = 1_000;
/** YCSB's fields per record: an update writes one of them (writeallfields=false). */
const YCSB_FIELDS = 10;
/** Printable ASCII without '"' and '\\' (BLOCKBENCH blanked quotes out of values). */
const VALUE_CHARS = "!#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";

export interface Workload {
  name: WorkloadName;
  /** The chaincode's folder under chaincode/ (a build-all label). */
  chaincode: string;
  description: string;
  /** Invokes that put the state in place before measuring, in order (may be none); built lazily. */
  setup(options: WorkloadOptions): Iterable<Operation>;
  /** The operation stream: the same sequence for the same options (seed included). */
  operations(options: WorkloadOptions): () => Operation;
}

function ycsbValue(random: SeededRandom, bytes: number): string {
  let value = `field${random.below(YCSB_FIELDS)}=`;
  for (let i = 0; i < bytes; i++) value += VALUE_CHARS[random.below(VALUE_CHARS.length)];
  return value;
}

const ycsb: Workload = {
  name: 'ycsb',
  chaincode: 'blockbench/kvstore',
  description: 'YCSB over kvstore: reads (queries) and updates (invokes) of "user"+hash keys, one 100-byte field per update',
  *setup(options) {
    // YCSB's load phase: every record written once, from its own stream so the run's operations do not depend on it.
    const random = new SeededRandom(options.seed + 1_000_003);
    for (let n = 0; n < options.records; n++) yield { kind: 'invoke', args: ['write', ycsbKey(n), ycsbValue(random, options.valueBytes)] };
  },
  operations(options) {
    const random = new SeededRandom(options.seed);
    const choose = keyChooser(options.distribution, random, options.records);
    return () => {
      const read = random.fraction() < options.readRatio;
      const key = ycsbKey(choose());
      return read ? { kind: 'query', args: ['read', key] } : { kind: 'invoke', args: ['write', key, ycsbValue(random, options.valueBytes)] };
    };
  },
};

const smallbank: Workload = {
  name: 'smallbank',
  chaincode: 'blockbench/smallbank',
  description: "Smallbank: BLOCKBENCH's six transactions drawn uniformly over uniformly drawn accounts, amounts 0",
  *setup(options) {
    for (let first = 1; first <= options.accounts; first += PRELOAD_ACCOUNTS_PER_TX) {
      const count = Math.min(PRELOAD_ACCOUNTS_PER_TX, options.accounts - first + 1);
      yield { kind: 'invoke', args: ['preload', String(first), String(count)] };
    }
  },
  operations(options) {
    const random = new SeededRandom(options.seed);
    const account = (): string => String(random.between(1, options.accounts));
    // BLOCKBENCH's ClientThread: op uniform in 1…6; UpdateBalance/UpdateSaving/SendPayment/WriteCheck with amount 0.
    return () => {
      switch (random.between(1, 6)) {
        case 1: return { kind: 'invoke', args: ['amalgate', account(), account()] };
        case 2: return { kind: 'invoke', args: ['getBalance', account()] };
        case 3: return { kind: 'invoke', args: ['updateBalance', account(), '0'] };
        case 4: return { kind: 'invoke', args: ['updateSaving', account(), '0'] };
        case 5: return { kind: 'invoke', args: ['sendPayment', account(), account(), '0'] };
        default: return { kind: 'invoke', args: ['writeCheck', account(), '0'] };
      }
    };
  },
};

const donothing: Workload = {
  name: 'donothing',
  chaincode: 'blockbench/donothing',
  description: 'DoNothing: an invoke that returns at once (consensus and commit cost alone)',
  setup: () => [],
  operations: () => () => ({ kind: 'invoke', args: ['donothing'] }),
};

const ioheavy: Workload = {
  name: 'ioheavy',
  chaincode: 'blockbench/ioheavy',
  description: 'IOHeavy: each write puts n fresh keys, the scan after it reads the same n',
  setup: () => [],
  operations(options) {
    let n = 0;
    return () => {
      const range = Math.floor(n / 2) * options.ioKeys;
      const op: Operation = { kind: 'invoke', args: [n % 2 === 0 ? 'write' : 'scan', String(range), String(options.ioKeys)] };
      n++;
      return op;
    };
  },
};

const cpuheavy: Workload = {
  name: 'cpuheavy',
  chaincode: 'blockbench/cpuheavy',
  description: 'CPUHeavy: each invoke sorts n+1 integers (quicksort) inside the chaincode',
  setup: () => [],
  operations: (options) => () => ({ kind: 'invoke', args: ['sort', String(options.sortSize)] }),
};

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = { ycsb, smallbank, donothing, ioheavy, cpuheavy };

export function isWorkloadName(name: string): name is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(name);
}

/** Checks options against WORKLOAD_LIMITS; returns the problems, empty if none. */
export function workloadOptionProblems(options: WorkloadOptions): string[] {
  const problems: string[] = [];
  const integer = (value: number, name: string, min: number, max: number): void => {
    if (!Number.isSafeInteger(value) || value < min || value > max) problems.push(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  };
  integer(options.seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
  integer(options.records, 'records', 1, WORKLOAD_LIMITS.recordsMax);
  if (!(options.readRatio >= 0 && options.readRatio <= 1)) problems.push(`read ratio must be from 0 to 1, got ${options.readRatio}`);
  integer(options.valueBytes, 'value size', 1, WORKLOAD_LIMITS.valueBytesMax);
  integer(options.accounts, 'accounts', 1, WORKLOAD_LIMITS.accountsMax);
  integer(options.ioKeys, 'io keys', 1, WORKLOAD_LIMITS.ioKeysMax);
  integer(options.sortSize, 'sort size', 0, WORKLOAD_LIMITS.sortSizeMax);
  return problems;
}
