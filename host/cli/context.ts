// What every CLI command gets: where to print, the working directory and environment, and the
// peer configuration (core.yaml + CORE_* variables), loaded once on first use.
import { CoreConfig } from '../config/core-config.ts';

export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
}

export interface CliContext {
  io: CliIo;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The config file given with --config, if any. */
  configFile: string | undefined;
  config(): CoreConfig;
}

export function createContext(io: CliIo, cwd: string, env: NodeJS.ProcessEnv): CliContext {
  let loaded: CoreConfig | undefined;
  const context: CliContext = {
    io,
    cwd,
    env,
    configFile: undefined,
    config() {
      loaded ??= CoreConfig.load({ file: context.configFile, env: context.env });
      return loaded;
    },
  };
  return context;
}

/** The REST address of the peer a command talks to: --peer, else the config's rest.address. */
export function peerAddress(flag: string | undefined, context: CliContext): string {
  return flag ?? context.config().string('rest.address');
}
