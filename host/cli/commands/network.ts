// `weft network up|down|stop|start|status|list`: a local network of peer processes (Fabric's
// `docker-compose up/stop/start` without Docker), and the peers a running peer is connected to.
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { runExample02Demo } from '../../launcher/example02-demo.ts';
import { networkDown, networkStatus, networkUp, startPeer, stopPeer, type NetworkLayout } from '../../launcher/network-launcher.ts';
import { RestClient, restBaseUrl } from '../../rest/client.ts';
import { CliError } from '../cli-error.ts';
import { peerAddress, type CliContext } from '../context.ts';

const DEFAULT_DATA = '.weft/network';

interface UpFlags {
  peers: string;
  consensus: string;
  data: string;
  basePort: string;
  example02?: boolean;
  attach?: boolean;
}

function integer(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new CliError(`${flag} must be an integer, got "${text}"`);
  return n;
}

function printLayout(layout: NetworkLayout, context: CliContext, dataDir: string): void {
  context.io.stdout(`Network of ${layout.peers.length} ${layout.consensus} peers (data in ${dataDir}, layout in ${dataDir}/network.json):`);
  for (const peer of layout.peers) context.io.stdout(`  ${peer.id}  REST http://${peer.restAddress}  peer ${peer.listenAddress}  events ${peer.eventsAddress}`);
}

/** Milliseconds between checks that the attached network's peers are still running. */
const WATCH_PERIOD_MS = 5_000;

/** Stays in the foreground until Ctrl-C, reporting peers that stop, then stops the network. */
async function attach(dataDir: string, context: CliContext): Promise<void> {
  context.io.stdout('Serving; press Ctrl-C to stop the network.');
  const running = new Map<string, boolean>();
  // The watch also keeps this process alive: without it nothing would hold the event loop open.
  const watch = setInterval(() => {
    networkStatus(dataDir).then(
      (peers) => {
        for (const peer of peers) {
          if (running.get(peer.id) === true && !peer.running) context.io.stderr(`${peer.id} is no longer running; see ${peer.logFile} (restart it: weft network start ${peer.id})`);
          running.set(peer.id, peer.running);
        }
      },
      () => undefined,
    );
  }, WATCH_PERIOD_MS);
  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(watch);
      context.io.stdout('Stopping the network…');
      networkDown(dataDir, (line) => context.io.stdout(`  ${line}`)).then(resolveStop, (error: Error) => {
        context.io.stderr(`Error: ${error.message}`);
        resolveStop();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Reads the enrollment secret from the terminal (or a pipe), as Fabric's login prompts for it. */
async function promptSecret(user: string, context: CliContext): Promise<string> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  try {
    context.io.stderr(`Enter password for user '${user}': `);
    return (await prompt.question('')).trim();
  } finally {
    prompt.close();
  }
}

/** Fabric's `peer network login`: the peer enrolls the user with membership services and keeps the token. */
async function login(user: string, secret: string | undefined, peer: string | undefined, context: CliContext): Promise<void> {
  const base = restBaseUrl(peerAddress(peer, context));
  let response: Response;
  try {
    const status = await fetch(`${base}/registrar/${encodeURIComponent(user)}`);
    if (status.status === 200) {
      context.io.stdout(`User '${user}' is already logged in`);
      return;
    }
    const enrollSecret = secret ?? (await promptSecret(user, context));
    response = await fetch(`${base}/registrar`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enrollId: user, enrollSecret }),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    throw new CliError(`Cannot reach the peer at ${base}: ${cause?.code ?? (error as Error).message}`);
  }
  const body = (await response.json().catch(() => ({}))) as { OK?: string; Error?: string };
  if (response.status !== 200) throw new CliError(`Login failed for user '${user}': ${body.Error ?? `HTTP ${response.status}`}`);
  context.io.stdout(body.OK ?? `Login successful for user '${user}'.`);
}

export function registerNetworkCommands(program: Command, context: CliContext): void {
  const network = program.command('network').description('run a local network of peers; list the peers a peer is connected to');

  network
    .command('up')
    .description('start a network of peers on this machine, each its own process (resumes one already in --data)')
    .option('--peers <n>', 'number of peers (vp0…vpN-1)', '4')
    .option('--consensus <plugin>', 'pbft or noops', 'pbft')
    .option('--data <dir>', 'data directory of the network', DEFAULT_DATA)
    .option('--base-port <port>', 'ports: base+100·i (+0 REST, +1 peer, +3 events)', '7050')
    .option('--example02', 'deploy chaincode_example02 (a=100, b=200) if needed, move 10 from a to b, and show every peer\'s answer')
    .option('--attach', 'stay in the foreground and stop the network on Ctrl-C')
    .action(async (flags: UpFlags) => {
      const consensus = flags.consensus.toLowerCase();
      if (consensus !== 'pbft' && consensus !== 'noops') throw new CliError(`--consensus must be pbft or noops, got "${flags.consensus}"`);
      const layout = await networkUp({
        peers: integer(flags.peers, '--peers'),
        consensus,
        dataDir: flags.data,
        basePort: integer(flags.basePort, '--base-port'),
        progress: (line) => context.io.stderr(line),
        // An attached network lives as long as this command, even if it is killed without a chance to stop it.
        ...(flags.attach ? { ownedBy: process.pid } : {}),
      });
      printLayout(layout, context, flags.data);
      if (flags.example02) await runExample02Demo(layout, (line) => context.io.stdout(line));
      if (flags.attach) await attach(flags.data, context);
    });

  network
    .command('down')
    .description('stop every peer of the network (their data stays; `up` resumes them)')
    .option('--data <dir>', 'data directory of the network', DEFAULT_DATA)
    .action(async (flags: { data: string }) => {
      await networkDown(flags.data, (line) => context.io.stdout(line));
      context.io.stdout('Network stopped');
    });

  network
    .command('stop')
    .description('stop one peer, e.g. `weft network stop vp3`')
    .argument('<peer>', 'peer id (vpN)')
    .option('--data <dir>', 'data directory of the network', DEFAULT_DATA)
    .action(async (id: string, flags: { data: string }) => {
      await stopPeer(flags.data, id);
      context.io.stdout(`${id} stopped`);
    });

  network
    .command('start')
    .description('start one stopped peer again; it catches up from the others')
    .argument('<peer>', 'peer id (vpN)')
    .option('--data <dir>', 'data directory of the network', DEFAULT_DATA)
    .action(async (id: string, flags: { data: string }) => {
      const peer = await startPeer(flags.data, id);
      context.io.stdout(`${id} started: REST http://${peer.restAddress}`);
    });

  network
    .command('status')
    .description('which peers of the local network are running')
    .option('--data <dir>', 'data directory of the network', DEFAULT_DATA)
    .option('--json', 'machine-readable output')
    .action(async (flags: { data: string; json?: boolean }) => {
      const peers = await networkStatus(flags.data);
      if (flags.json) context.io.stdout(JSON.stringify(peers, null, 2));
      else for (const p of peers) context.io.stdout(`${p.id}  ${p.running ? `running (pid ${p.pid})` : 'stopped'}  REST http://${p.restAddress}`);
    });

  network
    .command('login')
    .description("log a user in on a peer (security enabled): the peer enrolls it with membership services and keeps its keys")
    .argument('<user>', 'enrollment id, e.g. lukas')
    .option('-p, --password <secret>', 'enrollment secret (prompted for when left out)')
    .option('--peer <address>', 'peer REST address (default: rest.address of the config)')
    .action(async (user: string, flags: { password?: string; peer?: string }) => login(user, flags.password, flags.peer, context));

  network
    .command('list')
    .alias('ls')
    .description('the peers a peer is connected to, as JSON (Fabric\'s `peer network list`: without the peer itself)')
    .option('--peer <address>', 'peer REST address (default: rest.address of the config)')
    .action(async (flags: { peer?: string }) => {
      const client = new RestClient(peerAddress(flags.peer, context));
      const self = context.config().string('peer.id');
      const { peers } = await client.peers();
      // REST lists the peer itself last (Fabric appends it); the CLI leaves it out.
      const others = peers.slice(0, -1).filter((p) => p.ID.name !== self || peers.length === 1);
      context.io.stdout(JSON.stringify({ Peers: peers.length <= 1 ? [] : others }));
    });
}
