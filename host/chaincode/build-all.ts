// `npm run build`: compiles every chaincode folder under chaincode/ (and one level down in a group
// folder such as chaincode/blockbench/) and chaincode/fixtures/ into
// <folder>/build/<name>.wasm. A folder is skipped while its output is newer than its sources,
// sdk-as/, asconfig.json, the build wrapper, the module checks and the ABI table, so
// `npm test`'s pretest is quick when nothing changed. AssemblyScript folders compile in worker threads (one asc per worker); `index.wat`
// fixtures are assembled with binaryen. Every non-fixture module is checked against the host ABI
// (imports, exports, no floats) and fails the build otherwise. A fixture holding
// `expect-build-error.txt` is meant not to compile: its failure (with that text in the message)
// is the expected outcome and does not fail the build.
//
// Usage: node host/chaincode/build-all.ts [--force] [name ...]
import { readdir, stat, readFile, writeFile, rm, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WEFT_ROOT, findEntry } from './build.ts';
import { buildWat } from './build-wat.ts';
import { checkModule, describeProblems } from './module-check.ts';
import type { BuildJobMessage, BuildJobReply } from './build-worker.ts';
import { createProgress, elapsed } from '../progress.ts';

/** Worker threads compiling at once: each holds its own asc and binaryen (~150 MB), so stay small. */
export const BUILD_WORKERS_MAX = 2;
/** Name of the file that marks a fixture as meant not to compile; it holds text the compiler error must contain. */
export const EXPECT_BUILD_ERROR_FILE = 'expect-build-error.txt';
/** Where an expected build failure is recorded, so it is not recompiled while nothing changed. */
const EXPECTED_ERROR_STAMP = 'expected-build-error.log';

export const CHAINCODE_ROOT = join(WEFT_ROOT, 'chaincode');
const FIXTURES_DIR = 'fixtures';
const BUILD_DIR = 'build';

export interface ChaincodeFolder {
  /** Folder name, also the module's file name. */
  name: string;
  /** Path relative to chaincode/, e.g. `map` or `fixtures/infinite_loop`. */
  label: string;
  dir: string;
  fixture: boolean;
  kind: 'assemblyscript' | 'wat';
  entry: string;
  outFile: string;
  /** Text the compiler error must contain, for fixtures meant not to compile. */
  expectBuildError: string | undefined;
}

export type BuildOutcome =
  | { folder: ChaincodeFolder; status: 'fresh' }
  | { folder: ChaincodeFolder; status: 'built'; bytes: number; ms: number }
  | { folder: ChaincodeFolder; status: 'expected-error'; message: string }
  | { folder: ChaincodeFolder; status: 'failed'; message: string };

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function describeFolder(dir: string, label: string, fixture: boolean): Promise<ChaincodeFolder | undefined> {
  const name = basename(dir);
  const outFile = join(dir, BUILD_DIR, `${name}.wasm`);
  const expectFile = join(dir, EXPECT_BUILD_ERROR_FILE);
  const expectBuildError = fixture && (await exists(expectFile)) ? (await readFile(expectFile, 'utf8')).trim() : undefined;
  const wat = join(dir, 'index.wat');
  if (await exists(wat)) return { name, label, dir, fixture, kind: 'wat', entry: wat, outFile, expectBuildError };
  try {
    const entry = await findEntry(dir);
    return { name, label, dir, fixture, kind: 'assemblyscript', entry, outFile, expectBuildError };
  } catch {
    return undefined; // not a chaincode folder (no entry)
  }
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/**
 * Every chaincode folder (those with an entry), chaincodes first, then fixtures, each sorted by
 * name. A folder without an entry is a group (e.g. `blockbench/`): its subfolders with an entry
 * are chaincodes too, labelled `group/name` (one level only).
 */
export async function discoverChaincodes(root: string = CHAINCODE_ROOT): Promise<ChaincodeFolder[]> {
  const found: ChaincodeFolder[] = [];
  for (const name of await subdirectories(root)) {
    if (name === FIXTURES_DIR || name === BUILD_DIR) continue;
    const folder = await describeFolder(join(root, name), name, false);
    if (folder) {
      found.push(folder);
      continue;
    }
    for (const member of await subdirectories(join(root, name))) {
      if (member === BUILD_DIR) continue;
      const grouped = await describeFolder(join(root, name, member), `${name}/${member}`, false);
      if (grouped) found.push(grouped);
    }
  }
  for (const name of await subdirectories(join(root, FIXTURES_DIR))) {
    const folder = await describeFolder(join(root, FIXTURES_DIR, name), `${FIXTURES_DIR}/${name}`, true);
    if (folder) found.push(folder);
  }
  return found;
}

/** Newest modification time (ms) of the files under `path`, skipping build output folders. */
async function newestMtime(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.name === BUILD_DIR || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    newest = Math.max(newest, await newestMtime(join(path, entry.name)));
  }
  return newest;
}

/** Inputs every AssemblyScript chaincode depends on besides its own folder (the checks included: a new rule rechecks every module). */
const SHARED_INPUTS = [
  join(WEFT_ROOT, 'sdk-as'),
  join(WEFT_ROOT, 'asconfig.json'),
  join(WEFT_ROOT, 'host', 'chaincode', 'build.ts'),
  join(WEFT_ROOT, 'host', 'chaincode', 'module-check.ts'),
  join(WEFT_ROOT, 'host', 'runtime', 'abi.ts'),
];

function outputOf(folder: ChaincodeFolder): string {
  return folder.expectBuildError !== undefined ? join(folder.dir, BUILD_DIR, EXPECTED_ERROR_STAMP) : folder.outFile;
}

/** True if the folder's output is newer than everything it is built from. */
export async function isFresh(folder: ChaincodeFolder): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(outputOf(folder))).mtimeMs;
  } catch {
    return false;
  }
  const inputs = folder.kind === 'wat' ? [folder.dir] : [folder.dir, ...SHARED_INPUTS];
  for (const input of inputs) {
    if ((await newestMtime(input)) >= built) return false;
  }
  return true;
}

/** A small pool of build workers fed from one queue. */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, (reply: BuildJobReply) => void>();
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ message: BuildJobMessage; done: (reply: BuildJobReply) => void }> = [];
  private nextId = 0;

  constructor(size: number) {
    const script = new URL('./build-worker.ts', import.meta.url);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script);
      worker.on('message', (reply: BuildJobReply) => {
        const done = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        this.idle.push(worker);
        this.pump();
        done?.(reply);
      });
      worker.on('error', (error) => {
        // A crashed worker fails the jobs it held; the build then reports them.
        for (const [id, done] of this.pending) done({ id, ok: false, error: `build worker crashed: ${error.message}` });
        this.pending.clear();
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  build(dir: string, outFile: string): Promise<BuildJobReply> {
    return new Promise((resolvePromise) => {
      this.queue.push({ message: { id: this.nextId++, dir, outFile }, done: resolvePromise });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.pending.set(job.message.id, job.done);
      worker.postMessage(job.message);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The compiler's first error line (asc prefixes them with ERROR), else the first line. */
function firstError(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => l.includes('ERROR')) ?? lines[0] ?? '';
}

type CompileResult = { ok: true; wasm: Uint8Array; ms: number } | { ok: false; error: string };

async function compile(folder: ChaincodeFolder, pool: WorkerPool | undefined): Promise<CompileResult> {
  if (folder.kind === 'wat') {
    try {
      const started = performance.now();
      const wasm = await buildWat(folder.entry, folder.outFile);
      return { ok: true, wasm, ms: performance.now() - started };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
  if (pool === undefined) throw new Error('no build workers');
  const reply = await pool.build(folder.dir, folder.outFile);
  if (!reply.ok) return { ok: false, error: reply.error };
  return { ok: true, wasm: new Uint8Array(await readFile(folder.outFile)), ms: reply.ms };
}

async function buildOne(folder: ChaincodeFolder, pool: WorkerPool | undefined): Promise<BuildOutcome> {
  const result = await compile(folder, pool);
  if (folder.expectBuildError !== undefined) {
    if (result.ok) {
      await rm(folder.outFile, { force: true });
      return { folder, status: 'failed', message: `compiled, but ${EXPECT_BUILD_ERROR_FILE} says it must fail with "${folder.expectBuildError}"` };
    }
    if (!result.error.includes(folder.expectBuildError)) {
      return { folder, status: 'failed', message: `failed to compile as expected, but without "${folder.expectBuildError}":\n${result.error}` };
    }
    const stamp = outputOf(folder);
    await mkdir(dirname(stamp), { recursive: true });
    await writeFile(stamp, result.error);
    return { folder, status: 'expected-error', message: result.error };
  }
  if (!result.ok) return { folder, status: 'failed', message: result.error };
  if (!folder.fixture) {
    const problems = describeProblems(checkModule(result.wasm));
    if (problems.length > 0) {
      await rm(folder.outFile, { force: true }); // so the next build does not take it as fresh
      return { folder, status: 'failed', message: `the module breaks the weft ABI:\n${problems.join('\n')}` };
    }
  }
  return { folder, status: 'built', bytes: result.wasm.length, ms: result.ms };
}

function describeOutcome(outcome: BuildOutcome): string {
  const label = outcome.folder.label.padEnd(36);
  switch (outcome.status) {
    case 'fresh': return `fresh    ${label} up to date`;
    case 'built': return `built    ${label} ${(outcome.bytes / 1024).toFixed(1)} KiB in ${(outcome.ms / 1000).toFixed(1)} s`;
    case 'expected-error': return `refused  ${label} compiler error, as expected: ${firstError(outcome.message).slice(0, 120)}`;
    case 'failed': return `FAILED   ${label}\n${outcome.message}`;
  }
}

export interface BuildAllOptions {
  /** Rebuild even when outputs are fresh. */
  force?: boolean;
  /** Only these folders (names or labels). */
  only?: string[];
  root?: string;
  /** One line per folder as it is done (fresh, built, refused as expected, FAILED). */
  log?: (line: string) => void;
  /** The stale folders being built and how many are done, as it changes (a progress display). */
  onProgress?: (state: { done: number; total: number; pending: string[] }) => void;
}

/** Milliseconds between redraws of the build's progress line. */
const PROGRESS_TICK_MS = 250;
/** Folders named in the progress line. */
const PROGRESS_NAMES_MAX = 3;

/** Builds what is stale; resolves with one outcome per folder, in discovery order. */
export async function buildAll(options: BuildAllOptions = {}): Promise<BuildOutcome[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  let folders = await discoverChaincodes(options.root);
  if (options.only && options.only.length > 0) {
    const wanted = new Set(options.only);
    folders = folders.filter((f) => wanted.has(f.name) || wanted.has(f.label));
  }
  const stale: ChaincodeFolder[] = [];
  const outcomes = new Map<ChaincodeFolder, BuildOutcome>();
  for (const folder of folders) {
    if (!options.force && (await isFresh(folder))) {
      const outcome: BuildOutcome = { folder, status: 'fresh' };
      outcomes.set(folder, outcome);
      log(describeOutcome(outcome));
    } else {
      stale.push(folder);
    }
  }
  const ascJobs = stale.filter((f) => f.kind === 'assemblyscript').length;
  const workers = Math.min(BUILD_WORKERS_MAX, availableParallelism(), ascJobs);
  const pool = workers > 0 ? new WorkerPool(workers) : undefined;
  const pending = new Set(stale.map((f) => f.label));
  const report = (): void => options.onProgress?.({ done: stale.length - pending.size, total: stale.length, pending: [...pending] });
  report();
  try {
    await Promise.all(stale.map(async (folder) => {
      const outcome = await buildOne(folder, pool);
      outcomes.set(folder, outcome);
      pending.delete(folder.label);
      log(describeOutcome(outcome));
      report();
    }));
  } finally {
    await pool?.close();
  }
  return folders.map((f) => outcomes.get(f)!);
}

async function main(argv: string[]): Promise<number> {
  const force = argv.includes('--force');
  const only = argv.filter((a) => !a.startsWith('--'));
  const started = performance.now();
  // On a terminal, a redrawn line says what is still compiling; in CI, a plain line every few seconds.
  const progress = createProgress({ stream: process.stdout });
  let state = { done: 0, total: 0, pending: [] as string[] };
  const show = (): void => {
    if (state.pending.length === 0) return;
    const names = state.pending.slice(0, PROGRESS_NAMES_MAX).join(', ') + (state.pending.length > PROGRESS_NAMES_MAX ? ', …' : '');
    progress.status(`building ${state.done}/${state.total}: ${names} (${elapsed(started)})`);
  };
  const ticker = setInterval(show, PROGRESS_TICK_MS);
  let outcomes: BuildOutcome[];
  try {
    outcomes = await buildAll({ force, only, log: (line) => progress.step(line), onProgress: (next) => { state = next; show(); } });
  } finally {
    clearInterval(ticker);
    progress.clear();
  }
  const failed = outcomes.filter((o) => o.status === 'failed');
  const built = outcomes.filter((o) => o.status === 'built').length;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (failed.length > 0) {
    console.error(`chaincode build failed: ${failed.map((o) => o.folder.label).join(', ')} (${seconds} s)`);
    return 1;
  }
  console.log(`chaincode: ${outcomes.length} folders, ${built} built, ${outcomes.length - built} unchanged (${seconds} s)`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (error: unknown) => {
      console.error(error instanceof Error ? error.stack ?? error.message : String(error));
      process.exitCode = 1;
    },
  );
}

