// The events a real peer sends as it commits (Fabric v0.6 §2 "when each event is sent"): a block
// for every commit (deploys with their code stripped), a rejection with the error for a failed
// transaction (left out of its still-committed block), and a chaincode event for a transaction
// that set one, to the consumers whose interests match it; and `weft events listen` printing them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventClient, type HubEvent } from '../../host/events/event-client.ts';
import { EventType } from '../../host/events/interests.ts';
import { buildCli } from '../../host/cli/program.ts';
import { ChaincodeDeploymentSpecCodec } from '../../host/protocol/messages.ts';
import { startPeerFixture, type PeerFixture } from './peer-fixture.ts';

let fixture: PeerFixture;

before(async () => {
  fixture = await startPeerFixture();
});

after(async () => {
  await fixture?.close();
});

/** Events received by one consumer, awaitable by count. */
function recorder() {
  const events: HubEvent[] = [];
  let wake: () => void = () => {};
  return {
    events,
    onEvent(event: HubEvent) {
      events.push(event);
      wake();
    },
    async count(n: number) {
      while (events.length < n) await new Promise<void>((resolve) => (wake = resolve));
    },
  };
}

function label(event: HubEvent): string {
  if ('block' in event) return `block ${event.block.blockNumber} [${((event.block.transactions as Array<{ txid: string }> | undefined) ?? []).map((t) => t.txid).join(',')}]`;
  if ('filteredBlock' in event) return `filtered block ${event.filteredBlock.blockNumber} [${event.filteredBlock.txids.join(',')}]`;
  if ('rejection' in event) return `rejection ${String(event.rejection.tx.txid)}: ${event.rejection.errorMsg}`;
  const e = event.chaincodeEvent;
  return `chaincode ${e.eventName} ${e.txID}: ${Buffer.from(e.payload ?? '', 'base64').toString()}`;
}

test('committed, failed and event-setting transactions produce BLOCK, REJECTION and CHAINCODE events, each to the consumers that asked', async () => {
  const all = recorder();
  const listener = await EventClient.connect({
    address: fixture.events,
    interests: [{ eventType: EventType.BLOCK }, { eventType: EventType.REJECTION }],
    onEvent: (e) => all.onEvent(e),
  });
  const filtered = recorder();
  const filteredListener = await EventClient.connect({
    address: fixture.events,
    interests: [{ eventType: EventType.FILTERED_BLOCK }],
    onEvent: (e) => filtered.onEvent(e),
  });

  const example02 = await fixture.deploy('chaincode_example02', ['init', 'a', '100', 'b', '200']);
  const moved = await fixture.invoke(example02, ['invoke', 'a', 'b', '10']);
  assert.equal(moved.status.status, 'committed');
  const failed = await fixture.invoke(example02, ['invoke', 'a', 'b', 'ten']);
  assert.deepEqual(failed.status, { status: 'rejected', error: 'Invalid transaction amount, expecting a integer value', blockNumber: 3 });
  const sender = await fixture.deploy('eventsender', ['init']);

  // Interests in the new chaincode: every event of it, and a name it never uses.
  await listener.register([{ eventType: EventType.CHAINCODE, chaincodeRegInfo: { chaincodeID: sender, eventName: '' } }]);
  const other = recorder();
  const otherName = await EventClient.connect({
    address: fixture.events,
    interests: [{ eventType: EventType.CHAINCODE, chaincodeRegInfo: { chaincodeID: sender, eventName: 'not-evtsender' } }, { eventType: EventType.BLOCK }],
    onEvent: (e) => other.onEvent(e),
  });
  const sent = await fixture.invoke(sender, ['invoke', 'x', 'y']);
  assert.equal(sent.status.status, 'committed');

  await all.count(7);
  assert.deepEqual(all.events.map(label), [
    `block 1 [${example02}]`,
    `block 2 [${moved.txid}]`,
    `block 3 []`,
    `rejection ${failed.txid}: Invalid transaction amount, expecting a integer value`,
    `block 4 [${sender}]`,
    `block 5 [${sent.txid}]`,
    `chaincode evtsender ${sent.txid}: Event 0,x,y`,
  ]);
  const event = all.events[6];
  assert.ok(event && 'chaincodeEvent' in event);
  assert.equal(event.chaincodeEvent.chaincodeID, sender);

  // As Fabric, a deploy in a block event carries no code.
  const deployBlock = all.events[0];
  assert.ok(deployBlock && 'block' in deployBlock);
  const deployTx = (deployBlock.block.transactions as Array<{ payload: string }>)[0];
  assert.ok(deployTx);
  const spec = ChaincodeDeploymentSpecCodec.decode(Buffer.from(deployTx.payload, 'base64'));
  assert.equal(spec.codePackage.length, 0);
  assert.equal(spec.chaincodeSpec.chaincodeID.path, 'chaincode/chaincode_example02');

  // A FILTERED_BLOCK consumer gets each block's txids and hashes, and nothing of the transactions.
  await filtered.count(5);
  assert.deepEqual(filtered.events.map(label), [
    `filtered block 1 [${example02}]`,
    `filtered block 2 [${moved.txid}]`,
    `filtered block 3 []`,
    `filtered block 4 [${sender}]`,
    `filtered block 5 [${sent.txid}]`,
  ]);
  for (const [index, event] of filtered.events.entries()) {
    const full = all.events.filter((e) => 'block' in e)[index];
    assert.ok(full && 'block' in full && 'filteredBlock' in event);
    const headerFields = ['previousBlockHash', 'stateHash', 'timestamp'].filter((field) => field in full.block);
    assert.deepEqual(Object.keys(event.filteredBlock).sort(), ['blockNumber', ...headerFields, 'txids'].sort());
    assert.equal(event.filteredBlock.stateHash, full.block.stateHash);
    assert.equal(event.filteredBlock.previousBlockHash, full.block.previousBlockHash);
    assert.deepEqual(event.filteredBlock.timestamp, full.block.timestamp);
  }
  await filteredListener.close();

  // The consumer of another event name of that chaincode got the block and nothing else.
  await other.count(1);
  assert.deepEqual(other.events.map(label), [`block 5 [${sent.txid}]`]);

  await listener.close();
  await otherName.close();
});

/** Runs `weft events listen …` in-process; resolves once it listens, with its output and its end. */
async function listen(args: string[]): Promise<{ lines: string[]; done: Promise<unknown> }> {
  const lines: string[] = [];
  let listening: () => void = () => {};
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const { program } = buildCli({ stdout: (line) => lines.push(line), stderr: (line) => line.startsWith('Listening to') && listening() }, process.cwd(), {});
  const done = program.parseAsync(['node', 'weft', 'events', 'listen', ...args]);
  await Promise.race([ready, done]);
  return { lines, done };
}

test('weft events listen --peer <REST URL> prints one line per event; --json prints the hub\'s Event', async () => {
  const example02 = await fixture.deploy('chaincode_example02', ['init', 'a', '7', 'b', '8']);
  const text = await listen(['--peer', fixture.rest, '--rejections', '--count', '2']);
  const failed = await fixture.invoke(example02, ['invoke', 'a', 'b', 'lots']);
  assert.equal(failed.status.status, 'rejected');
  const blockNumber = failed.status.status === 'rejected' ? failed.status.blockNumber : -1;
  await text.done;
  assert.deepEqual(text.lines, [`Received block ${blockNumber}: 0 transactions`, `Received rejected transaction ${failed.txid}: Invalid transaction amount, expecting a integer value`]);

  const json = await listen(['--peer', `ws://${fixture.events}`, '--json', '--count', '1']);
  const moved = await fixture.invoke(example02, ['invoke', 'a', 'b', '1']);
  await json.done;
  assert.equal(json.lines.length, 1);
  const event = JSON.parse(json.lines[0] ?? '{}');
  assert.equal(event.block.blockNumber, blockNumber + 1);
  assert.deepEqual(event.block.transactions.map((t: { txid: string }) => t.txid), [moved.txid]);

  const filteredText = await listen(['--peer', fixture.rest, '--filtered', '--count', '1']);
  const movedAgain = await fixture.invoke(example02, ['invoke', 'a', 'b', '1']);
  await filteredText.done;
  assert.deepEqual(filteredText.lines, [`Received block ${blockNumber + 2}: 1 transaction ${movedAgain.txid}`]);

  await assert.rejects(listen(['--event', 'x']).then((r) => r.done), /--event needs --chaincode: an event name belongs to one chaincode/);
});
