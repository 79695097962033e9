// `weft events listen`: Fabric v0.6's block-listener (examples/events/block-listener) as a
// command — prints every committed block and, on request, rejections and one chaincode's events,
// one line per event (or one JSON object per line with --json), until Ctrl-C. The example's own
// flags (--events-address, --listen-to-rejections, --events-from-chaincode) are accepted too.
import { Option, type Command } from 'commander';
import { EventClient, resolveEventsAddress, type HubEvent } from '../../events/event-client.ts';
import { EventType, type Interest } from '../../events/interests.ts';
import type { CliContext } from '../context.ts';

interface ListenFlags {
  peer?: string;
  eventsAddress?: string;
  filtered?: boolean;
  rejections?: boolean;
  listenToRejections?: boolean;
  chaincode?: string;
  eventsFromChaincode?: string;
  event?: string;
  eventName?: string;
  json?: boolean;
  count?: string;
}

/** Payload bytes shown in a text line; --json carries the whole payload. */
const PAYLOAD_SHOWN_MAX = 200;

function text(bytes: Buffer): string {
  const decoded = bytes.toString('utf8');
  const shown = decoded.length > PAYLOAD_SHOWN_MAX ? `${decoded.slice(0, PAYLOAD_SHOWN_MAX)}… (${bytes.length} bytes)` : decoded;
  // Keep one event per line: whatever a chaincode put in its payload, no control characters get through.
  return JSON.stringify(shown).slice(1, -1);
}

function blockLine(blockNumber: number, txids: string[]): string {
  return `Received block ${blockNumber}: ${txids.length} transaction${txids.length === 1 ? '' : 's'}${txids.length > 0 ? ` ${txids.join(' ')}` : ''}`;
}

/** One line per event, in Fabric's block-listener wording ("Received block", "Received rejected transaction"). */
export function describeEvent(event: HubEvent): string {
  if ('block' in event) {
    const transactions = (event.block.transactions as Array<{ txid?: string }> | undefined) ?? [];
    return blockLine(event.block.blockNumber, transactions.map((tx) => tx.txid ?? ''));
  }
  if ('filteredBlock' in event) return blockLine(event.filteredBlock.blockNumber, event.filteredBlock.txids);
  if ('rejection' in event) {
    return `Received rejected transaction ${String(event.rejection.tx.txid ?? '')}: ${text(Buffer.from(event.rejection.errorMsg))}`;
  }
  const e = event.chaincodeEvent;
  const payload = e.payload ? Buffer.from(e.payload, 'base64') : Buffer.alloc(0);
  return `Received chaincode event ${e.eventName ?? ''} from ${e.chaincodeID ?? ''} in ${e.txID ?? ''}: ${text(payload)}`;
}

export function registerEventsCommands(program: Command, context: CliContext): void {
  const events = program.command('events').description('watch a peer\'s event stream: blocks, chaincode events, rejections');

  events
    .command('listen')
    .description('print events from a peer\'s event hub, one line each, until Ctrl-C (Fabric\'s block-listener)')
    .option('--peer <url>', 'the peer: its REST URL (http://host:7050, the hub is looked up), its hub (ws://host:7053) or host:port of the hub (default: peer.validator.events.address of the config)')
    .option('--filtered', 'blocks as their number, hashes and txids only (weft\'s FILTERED_BLOCK event: far less for the peer to build and send)')
    .option('--rejections', 'also print rejected transactions')
    .option('--chaincode <id>', 'also print the events of this chaincode (its name)')
    .option('--event <name>', 'with --chaincode: only events of this name (default: all of its events)')
    .option('--json', 'one JSON object per line (the hub\'s Event) instead of text')
    .option('--count <n>', 'exit after this many events')
    .addOption(new Option('--events-address <address>', 'Fabric\'s block-listener name of --peer').hideHelp())
    .addOption(new Option('--listen-to-rejections', 'Fabric\'s name of --rejections').hideHelp())
    .addOption(new Option('--events-from-chaincode <id>', 'Fabric\'s name of --chaincode').hideHelp())
    .addOption(new Option('--event-name <name>', 'older name of --event').hideHelp())
    .action(async (flags: ListenFlags) => {
      const peer = flags.peer ?? flags.eventsAddress;
      const chaincode = flags.chaincode ?? flags.eventsFromChaincode;
      const eventName = flags.event ?? flags.eventName ?? '';
      if (eventName !== '' && chaincode === undefined) throw new Error('--event needs --chaincode: an event name belongs to one chaincode');
      const limit = flags.count === undefined ? Infinity : Number(flags.count);
      if (!(limit > 0) || (limit !== Infinity && !Number.isInteger(limit))) throw new Error(`--count must be a positive integer, got "${flags.count}"`);
      const address = peer === undefined ? context.config().string('peer.validator.events.address') : await resolveEventsAddress(peer);
      const interests: Interest[] = [{ eventType: flags.filtered ? EventType.FILTERED_BLOCK : EventType.BLOCK }];
      if (flags.rejections || flags.listenToRejections) interests.push({ eventType: EventType.REJECTION });
      if (chaincode !== undefined) interests.push({ eventType: EventType.CHAINCODE, chaincodeRegInfo: { chaincodeID: chaincode, eventName } });
      let seen = 0;
      let finish: (reason?: string) => void = () => {};
      const done = new Promise<string | undefined>((resolve) => {
        finish = resolve;
      });
      const client = await EventClient.connect({
        address,
        interests,
        onEvent: (event) => {
          if (seen >= limit) return;
          context.io.stdout(flags.json ? JSON.stringify(event) : describeEvent(event));
          if (++seen >= limit) finish();
        },
        onDisconnect: (reason) => finish(reason),
      });
      context.io.stderr(`Listening to ${address}${chaincode ? ` (chaincode ${chaincode}${eventName ? `, event ${eventName}` : ''})` : ''}; Ctrl-C to stop`);
      const onSignal = (): void => finish();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const reason = await done;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await client.close();
      if (reason !== undefined) throw new Error(`The event hub closed the connection: ${reason}`);
    });
}
