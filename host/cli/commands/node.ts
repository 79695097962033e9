// `weft node start|status|stop`: run a peer in the foreground, ask whether one is running, stop it.
// Status and stop find the peer through its pid file under peer.fileSystemPath, as Fabric's
// `peer node stop --stop-peer-pid-file` did, and its REST address from the same config.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../../logging.ts';
import { ownerPidFrom, watchOwner } from '../../launcher/owner-watch.ts';
import { RestClient } from '../../rest/client.ts';
import { CliError } from '../cli-error.ts';
import type { CliContext } from '../context.ts';

/** Fabric's ServerStatus values. */
const Status = { STARTED: 1, STOPPED: 2, PAUSED: 3, ERROR: 4, UNKNOWN: 5 } as const;
type StatusName = keyof typeof Status;

const STOP_WAIT_MS = 30_000;

async function readPid(context: CliContext): Promise<number | undefined> {
  const dir = resolve(context.cwd, context.config().string('peer.fileSystemPath'));
  try {
    const pid = Number((await readFile(join(dir, 'peer.pid'), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function peerStatus(context: CliContext): Promise<StatusName> {
  const pid = await readPid(context);
  try {
    await new RestClient(context.config().string('rest.address'), { timeoutMs: 3_000 }).chain();
    return 'STARTED';
  } catch {
    if (pid !== undefined && alive(pid)) return 'UNKNOWN';
    return pid === undefined ? 'UNKNOWN' : 'STOPPED';
  }
}

export function registerNodeCommands(program: Command, context: CliContext): void {
  const node = program.command('node').description('start, stop and check a peer');

  node
    .command('start')
    .description('start a peer in the foreground (Ctrl-C stops it cleanly)')
    .option('--peer-chaincodedev', 'accepted for Fabric compatibility; weft runs chaincode inside the peer, so there is no dev mode')
    .action(async () => {
      const config = context.config();
      let owner: number | undefined;
      try {
        owner = ownerPidFrom(context.env);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      const logger = createLogger({
        level: config.string('logging.level') || 'info',
        format: (context.env.CORE_LOGGING_FORMAT as 'json' | 'text' | undefined) ?? undefined,
        base: { peer: config.string('peer.id') },
      });
      // Loaded here: the peer pulls in the ledger, runtime and REST server, which other commands do not need.
      const { Peer } = await import('../../peer/peer.ts');
      const peer = new Peer({ config, logger, cwd: context.cwd });
      await peer.start();
      context.io.stdout(`Peer ${peer.id} started: REST ${peer.restUrl ?? 'disabled'}, data ${peer.dataDir}`);
      await new Promise<void>((resolveStop) => {
        let stopping = false;
        const stop = (reason: string): void => {
          if (stopping) return;
          stopping = true;
          logger.notice(`Stopping: ${reason}`);
          peer.stop().then(resolveStop, (error: Error) => {
            logger.error('Error while stopping', { error: error.message });
            resolveStop();
          });
        };
        process.once('SIGINT', () => stop('received SIGINT'));
        process.once('SIGTERM', () => stop('received SIGTERM'));
        // A bench or test that started this peer for itself and died must not leave it running.
        if (owner !== undefined) watchOwner(owner, () => stop(`process ${owner}, which started this peer, is gone`));
      });
    });

  node
    .command('id')
    .description("print this peer's member-list entry (<peer.id>=<libp2p peer id>@<peer.address>), creating its key on first use")
    .action(async () => {
      const config = context.config();
      const { loadOrCreatePeerIdentity, formatMemberList } = await import('../../../network/transport/index.ts');
      const identity = await loadOrCreatePeerIdentity(resolve(context.cwd, config.string('peer.fileSystemPath')));
      const address = config.string('peer.address');
      const announce = address.startsWith('0.0.0.0:') ? undefined : address;
      context.io.stdout(formatMemberList([{ id: config.string('peer.id'), peerId: identity.peerId, ...(announce ? { address: announce } : {}) }]));
      if (identity.created) context.io.stderr(`Created ${identity.keyFile}`);
    });

  node
    .command('status')
    .description('print the status of the peer named by the config (STARTED, STOPPED or UNKNOWN)')
    .action(async () => {
      context.io.stdout(`status:${await peerStatus(context)}`);
    });

  node
    .command('stop')
    .description('stop the peer named by the config (through its pid file) and wait for it to exit')
    .option('--stop-peer-pid-file', 'accepted for Fabric compatibility: the pid file is always used')
    .action(async () => {
      const pid = await readPid(context);
      if (pid === undefined || !alive(pid)) {
        context.io.stdout('status:STOPPED');
        return;
      }
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + STOP_WAIT_MS;
      while (alive(pid)) {
        if (Date.now() > deadline) throw new CliError(`Peer (pid ${pid}) did not stop within ${STOP_WAIT_MS / 1000}s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      context.io.stdout('status:STOPPED');
    });
}
