// The weft CLI as a factory (so tests can run commands in-process): `weft node|chaincode|network|events|bench|version`,
// Fabric v0.6's `peer` command tree with weft's additions. Every command has --help.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerBenchCommands } from './commands/bench.ts';
import { registerChaincodeCommands } from './commands/chaincode.ts';
import { registerEventsCommands } from './commands/events.ts';
import { registerMembersrvcCommands } from './commands/membersrvc.ts';
import { registerNetworkCommands } from './commands/network.ts';
import { registerNodeCommands } from './commands/node.ts';
import { createContext, type CliContext, type CliIo } from './context.ts';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
export const VERSION = packageJson.version;

export function buildCli(io: CliIo, cwd: string, env: NodeJS.ProcessEnv): { program: Command; context: CliContext } {
  const context = createContext(io, cwd, env);
  const program = new Command('weft')
    .description('weft: a permissioned-blockchain peer — Wasm chaincode, PBFT over libp2p (Fabric v0.6, re-imagined)')
    .version(VERSION, '-v, --version', 'print the version')
    .option('--config <file>', 'core.yaml to read (Fabric key names; CORE_* variables override it)')
    .option('--logging-level <level>', 'logging level: critical, error, warning, notice, info, debug (or "info,pbft=debug")')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => io.stdout(text.replace(/\n$/, '')),
      writeErr: (text) => io.stderr(text.replace(/\n$/, '')),
    })
    .exitOverride()
    .hook('preAction', (command) => {
      const options = command.optsWithGlobals() as { config?: string; loggingLevel?: string };
      context.configFile = options.config;
      if (options.loggingLevel) context.env = { ...context.env, CORE_LOGGING_LEVEL: options.loggingLevel };
    });

  program
    .command('version')
    .description('print the version')
    .action(() => io.stdout(`weft ${VERSION}`));

  registerNodeCommands(program, context);
  registerChaincodeCommands(program, context);
  registerNetworkCommands(program, context);
  registerEventsCommands(program, context);
  registerBenchCommands(program, context);
  registerMembersrvcCommands(program, context);
  for (const command of program.commands) command.exitOverride().showHelpAfterError();
  return { program, context };
}

export { CommanderError };
