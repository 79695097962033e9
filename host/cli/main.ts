// The weft CLI entry point: runs a command, prints user errors as "Error: <message>" without a
// stack, and exits non-zero on failure.
import { CliError } from './cli-error.ts';
import { buildCli, CommanderError } from './program.ts';

const io = {
  stdout: (line: string) => process.stdout.write(`${line}\n`),
  stderr: (line: string) => process.stderr.write(`${line}\n`),
};

// A reader that goes away (`weft bench … | head`) is an interrupt, as it is for any Unix tool, and
// not a crash: commands that stop cleanly on Ctrl-C (bench, an attached network) stop the same
// way, stopping the peers they started; the rest end as they would on Ctrl-C. Later writes to the
// closed stream are dropped.
let outputClosed = false;
const onOutputError = (error: NodeJS.ErrnoException): void => {
  if (error.code !== 'EPIPE' || outputClosed) return;
  outputClosed = true;
  process.kill(process.pid, 'SIGINT');
};
process.stdout.on('error', onOutputError);
process.stderr.on('error', onOutputError);

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
