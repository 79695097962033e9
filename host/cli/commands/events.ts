// `weft events listen`: Fabric v0.6's block-listener (examples/events/block-listener) as a
// command — prints every committed block and, on request, rejections and one chaincode's events,
// until Ctrl-C. Its flags mirror the example's: --events-address, --listen-to-rejections,
// --events-from-chaincode.
import type { Command } from 'commander';
import { EventClient, type HubEvent } from '../../events/event-client.ts';
import { EventType, type Interest } from '../../events/interests.ts';
import type { CliContext } from '../context.ts';

interface ListenFlags {
  eventsAddress?: string;
  listenToRejections?: boolean;
  eventsFromChaincode?: string;
  eventName: string;
  json?: boolean;
  count?: string;
}

function describe(event: HubEvent): string[] {
  if ('block' in event) {
    const transactions = (event.block.transactions as Array<{ txid?: string }> | undefined) ?? [];
    const lines = [`Received block ${event.block.blockNumber}`, '--------------'];
    for (const tx of transactions) lines.push(`Transaction: ${tx.txid ?? ''}`);
    return lines;
  }
  if ('rejection' in event) {
    return ['Received rejected transaction', '--------------', `Transaction: ${String(event.rejection.tx.txid ?? '')}`, `Error: ${event.rejection.errorMsg}`];
  }
  const e = event.chaincodeEvent;
  const payload = e.payload ? Buffer.from(e.payload, 'base64').toString('utf8') : '';
  return ['Received chaincode event', '------------------------', `Chaincode: ${e.chaincodeID ?? ''}`, `Transaction: ${e.txID ?? ''}`, `Event: ${e.eventName ?? ''}`, `Payload: ${payload}`];
}

export function registerEventsCommands(program: Command, context: CliContext): void {
  const events = program.command('events').description('watch a peer\'s event stream: blocks, chaincode events, rejections');

  events
    .command('listen')
    .description('print events from a peer\'s event hub until Ctrl-C (Fabric\'s block-listener)')
    .option('--events-address <address>', 'event hub address (default: peer.validator.events.address of the config)')
    .option('--listen-to-rejections', 'also print rejected transactions')
    .option('--events-from-chaincode <name>', 'also print the events of this chaincode')
    .option('--event-name <name>', 'only this event name of that chaincode ("" = all)', '')
    .option('--json', 'one JSON object per line instead of text')
    .option('--count <n>', 'exit after this many events')
    .action(async (flags: ListenFlags) => {
      const address = flags.eventsAddress ?? context.config().string('peer.validator.events.address');
      const interests: Interest[] = [{ eventType: EventType.BLOCK }];
      if (flags.listenToRejections) interests.push({ eventType: EventType.REJECTION });
      if (flags.eventsFromChaincode) {
        interests.push({ eventType: EventType.CHAINCODE, chaincodeRegInfo: { chaincodeID: flags.eventsFromChaincode, eventName: flags.eventName } });
      }
      const limit = flags.count === undefined ? Infinity : Number(flags.count);
      if (!(limit > 0) || (limit !== Infinity && !Number.isInteger(limit))) throw new Error(`--count must be a positive integer, got "${flags.count}"`);
      let seen = 0;
      let finish: (reason?: string) => void = () => {};
      const done = new Promise<string | undefined>((resolve) => {
        finish = resolve;
      });
      const client = await EventClient.connect({
        address,
        interests,
        onEvent: (event) => {
          if (flags.json) context.io.stdout(JSON.stringify(event));
          else for (const line of describe(event)) context.io.stdout(line);
          if (++seen >= limit) finish();
        },
        onDisconnect: (reason) => finish(reason),
      });
      context.io.stderr(`Listening to ${address}${flags.eventsFromChaincode ? ` (chaincode ${flags.eventsFromChaincode})` : ''}; Ctrl-C to stop`);
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
