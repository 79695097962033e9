// `weft membersrvc start`: membership services (ECA, TCA, TLSCA) in the foreground, configured by
// a membersrvc.yaml (default: Fabric's users and attributes), serving its HTTP API.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerMembersrvcCommands(program: Command, context: CliContext): void {
  const membersrvc = program.command('membersrvc').description('membership services: the certificate authorities of a network with security enabled');

  membersrvc
    .command('start')
    .description('start the CA (ECA, TCA, TLSCA) in the foreground over HTTP (Ctrl-C stops it)')
    .option('--ca-config <file>', "membersrvc.yaml: users, roles, affiliations, attributes (default: Fabric's predefined users)")
    .option('--address <host:port>', 'listen address (default server.address, 0.0.0.0:7054)')
    .option('--data <dir>', 'store directory (default server.rootpath/server.cadir)')
    .action(async (flags: { caConfig?: string; address?: string; data?: string }) => {
      const { Membersrvc } = await import('../../membersrvc/membersrvc.ts');
      const service = await Membersrvc.start({ configFile: flags.caConfig, address: flags.address, storeDir: flags.data, cwd: context.cwd });
      context.io.stdout(`Membership services started: ${service.url} (store ${service.ca.config.storeDir})`);
      await new Promise<void>((resolveStop) => {
        let stopping = false;
        const stop = (): void => {
          if (stopping) return;
          stopping = true;
          service.stop().then(resolveStop, (error: Error) => {
            context.io.stderr(`Error while stopping: ${error.message}`);
            resolveStop();
          });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      context.io.stdout('Membership services stopped');
    });
}
