// Every command of the CLI has a description and answers --help with its usage, exit code 0,
// and an unknown command or option fails with a message and a non-zero exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildCli, CommanderError } from '../../host/cli/program.ts';

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io = { stdout: (line: string) => (out += `${line}\n`), stderr: (line: string) => (err += `${line}\n`) };
  const { program } = buildCli(io, process.cwd(), {});
  try {
    program.parse(['node', 'weft', ...args]);
    return { code: 0, out, err };
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode, out, err };
    throw error;
  }
}

function commandPaths(command: Command, prefix: string[] = []): string[][] {
  const paths: string[][] = [];
  for (const sub of command.commands) {
    const path = [...prefix, sub.name()];
    paths.push(path, ...commandPaths(sub, path));
  }
  return paths;
}

test('every command has a description and prints its usage with --help', () => {
  const { program } = buildCli({ stdout: () => {}, stderr: () => {} }, process.cwd(), {});
  const paths = commandPaths(program);
  assert.ok(paths.length >= 15, `expected the whole command tree, found ${paths.length} commands`);
  for (const path of paths) {
    const { code, out } = run([...path, '--help']);
    assert.equal(code, 0, `weft ${path.join(' ')} --help exit code`);
    assert.match(out, new RegExp(`Usage: weft ${path.join(' ')}`), `weft ${path.join(' ')} --help usage line`);
    const { program: fresh } = buildCli({ stdout: () => {}, stderr: () => {} }, process.cwd(), {});
    let node: Command | undefined = fresh;
    for (const name of path) node = node?.commands.find((c) => c.name() === name);
    assert.ok(node && node.description().length > 10, `weft ${path.join(' ')} has a description`);
  }
});

test('an unknown command or option fails with a message and a non-zero exit code', () => {
  const unknownCommand = run(['frobnicate']);
  assert.notEqual(unknownCommand.code, 0);
  assert.match(unknownCommand.err, /unknown command 'frobnicate'/);
  const unknownOption = run(['chaincode', 'query', '--bogus']);
  assert.notEqual(unknownOption.code, 0);
  assert.match(unknownOption.err, /unknown option '--bogus'/);
});
