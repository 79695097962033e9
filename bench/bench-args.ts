// The command line every standalone bench (`node bench/<name>.bench.ts`) accepts: --quick for a
// shorter run, --help, and the flags a bench adds. A bench takes minutes and may start a network,
// so a mistyped or unknown argument stops it before it starts instead of being ignored; and once
// it runs, Ctrl-C cleans up what it started (host/bench/cleanups.ts).
import { basename } from 'node:path';
import { cleanUpOnInterrupt } from '../host/bench/cleanups.ts';

export interface BenchArgs {
  quick: boolean;
}

/**
 * Checks process.argv for the bench whose file is `file` (import.meta.url or a path); prints the
 * usage and exits 0 on --help, or explains and exits 1 on an argument it does not know.
 * `valued` are the bench's own flags that take a value (the bench reads them itself).
 */
export function benchArgs(file: string, description: string, valued: readonly string[] = []): BenchArgs {
  const name = basename(file.replace(/^file:\/\//, ''));
  const own = valued.map((flag) => ` [${flag} <value>]`).join('');
  const usage = `Usage: node bench/${name} [--quick]${own}\n\n${description}\n--quick runs a shorter version. \`npm run bench -- --help\` lists every bench.\n`;
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage);
    process.exit(0);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--quick') continue;
    if (valued.includes(arg)) {
      if (i + 1 >= args.length) return fail(`${arg} needs a value`, name);
      i++;
      continue;
    }
    return fail(`unknown argument ${JSON.stringify(arg)}`, name);
  }
  // Ctrl-C stops the networks the bench started and removes their directories before it exits.
  cleanUpOnInterrupt();
  return { quick: args.includes('--quick') };
}

function fail(problem: string, name: string): never {
  process.stderr.write(`bench/${name}: ${problem}; see node bench/${name} --help\n`);
  process.exit(1);
}
