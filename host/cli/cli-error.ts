// An error meant for the person at the terminal: printed as "Error: <message>" without a stack,
// and the command exits non-zero.
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}
