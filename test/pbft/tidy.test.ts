// Keeps the PBFT core pure (ARCHITECTURE.md: network/pbft does no I/O): reads the sources and
// fails on node:* imports, clocks, timers, randomness, promises, processes, and value imports
// from outside the core. Only the driver files may touch the outside world.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const CORE_DIR = join(import.meta.dirname, '../../network/pbft');
/** The driver side: may use node:crypto, timers and promises. */
const DRIVER_FILES = new Set(['pbft-plugin.ts', 'digest.ts']);
/** Value imports the core may make outside its folder: plain constants with no imports of their own. */
const ALLOWED_OUTSIDE_VALUE_IMPORTS = new Set(['../../host/protocol/limits.ts']);

const BANNED: Array<[RegExp, string]> = [
  [/\bfrom\s+['"]node:/, 'a node:* import'],
  [/\bimport\s*\(/, 'a dynamic import'],
  [/\brequire\s*\(/, 'require()'],
  [/\bDate\b/, 'Date'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\bperformance\b/, 'performance'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'a timer'],
  [/\bqueueMicrotask\b/, 'queueMicrotask'],
  [/\bprocess\./, 'process'],
  [/\bPromise\b/, 'a Promise'],
  [/\basync\s/, 'async'],
  [/\bawait\s/, 'await'],
  [/\bBuffer\b/, 'Buffer'],
  [/\bcrypto\b/, 'crypto'],
];

function coreFiles(): string[] {
  return readdirSync(CORE_DIR).filter((f) => f.endsWith('.ts') && !DRIVER_FILES.has(f));
}

/** The source without comments and string contents, so prose may mention what code may not use. */
function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
    .replace(/`(?:\\.|[^`\\])*`/g, '``')
    .replace(/'(?:\\.|[^'\\\n])*'/g, (m) => (m.startsWith("'.") || m.startsWith("'node:") ? m : "''"));
}

describe('network/pbft core stays pure', () => {
  it('has the files this test expects', () => {
    const files = coreFiles();
    for (const expected of ['replica.ts', 'codec.ts', 'view-change.ts', 'messages.ts', 'config.ts']) assert.ok(files.includes(expected), `${expected} missing`);
    for (const driver of DRIVER_FILES) assert.ok(readdirSync(CORE_DIR).includes(driver), `${driver} missing`);
  });

  it('uses no I/O, clock, timer, randomness or promise in any core file', () => {
    const problems: string[] = [];
    for (const file of coreFiles()) {
      const code = codeOnly(readFileSync(join(CORE_DIR, file), 'utf8'));
      for (const [pattern, what] of BANNED) if (pattern.test(code)) problems.push(`${file} uses ${what}`);
    }
    assert.deepEqual(problems, []);
  });

  it('imports values only from the core itself (and the protocol limits), types from anywhere', () => {
    const problems: string[] = [];
    for (const file of coreFiles()) {
      const source = readFileSync(join(CORE_DIR, file), 'utf8');
      for (const match of source.matchAll(/^import\s+(type\s+)?[\s\S]*?from\s+'([^']+)';/gm)) {
        const typeOnly = match[1] !== undefined;
        const from = match[2] as string;
        if (typeOnly || from.startsWith('./')) continue;
        if (!ALLOWED_OUTSIDE_VALUE_IMPORTS.has(from)) problems.push(`${file} imports a value from ${from}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('depends on a limits file that itself imports nothing', () => {
    const limits = readFileSync(join(CORE_DIR, '../../host/protocol/limits.ts'), 'utf8');
    assert.doesNotMatch(limits, /^import /m);
  });

  it('catches a banned API when one is present (the check can fail)', () => {
    const code = codeOnly("const t = setTimeout(() => 1, 5); // setTimeout in a comment is fine\nconst s = 'Date in a string is fine';");
    assert.ok(BANNED.some(([pattern]) => pattern.test(code)));
    assert.ok(!/\bDate\b/.test(code));
  });
});
