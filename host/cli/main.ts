// The weft CLI entry point: runs a command, prints user errors as "Error: <message>" without a
// stack, and exits non-zero on failure.
import { CliError } from './cli-error.ts';
import { buildCli, CommanderError } from './program.ts';

const io = {
  stdout: (line: string) => process.stdout.write(`${line}\n`),
  stderr: (line: string) => process.stderr.write(`${line}\n`),
};

const { program } = buildCli(io, process.cwd(), process.env);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version end here too, with exit code 0.
    process.exitCode = error.exitCode;
  } else if (error instanceof CliError) {
    io.stderr(`Error: ${error.message}`);
    process.exitCode = error.exitCode;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`Error: ${message}`);
    if (process.env.WEFT_DEBUG) io.stderr(error instanceof Error ? (error.stack ?? '') : '');
    process.exitCode = 1;
  }
}
