// The event hub: Fabric's register/echo protocol, exact-match chaincode interests with "" as a
// wildcard, global BLOCK and REJECTION interests, refusal of malformed registrations, and the
// bounded per-consumer queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { EventHub } from '../../host/events/event-hub.ts';
import { EventClient, type HubEvent } from '../../host/events/event-client.ts';
import { EventType } from '../../host/events/interests.ts';
import { PeerEvents } from '../../host/peer/events.ts';
import { emptyTransaction, type Block } from '../../host/protocol/messages.ts';

const EMPTY = new Uint8Array(0);

function block(txids: string[]): Block {
  return {
    version: 0,
    transactions: txids.map((txid) => ({ ...emptyTransaction(), type: 2, txid })),
    stateHash: new Uint8Array([1]),
    previousBlockHash: new Uint8Array([2]),
    consensusMetadata: EMPTY,
    nonHashData: null,
  };
}

async function withHub(bufferSize: number, timeoutMs: number, body: (events: PeerEvents, address: string, hub: EventHub) => Promise<void>): Promise<void> {
  const events = new PeerEvents();
  const hub = new EventHub(events, { bufferSize, timeoutMs });
  const address = await hub.listen('127.0.0.1', 0);
  try {
    await body(events, address, hub);
  } finally {
    await hub.close();
  }
}

/** Collects events and lets a test wait until it has seen n of them. */
function collector(): { received: HubEvent[]; push: (event: HubEvent) => void; waitFor: (n: number) => Promise<void> } {
  const received: HubEvent[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    received,
    push(event) {
      received.push(event);
      for (const waiter of waiters) if (received.length >= waiter.n) waiter.resolve();
    },
    waitFor: (n) => (received.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

test('a block consumer receives committed blocks with their number and transactions', async () => {
  await withHub(100, 10, async (events, address) => {
    const c = collector();
    const client = await EventClient.connect({ address, interests: [{ eventType: EventType.BLOCK }], onEvent: (e) => c.push(e) });
    events.emit('block', { blockNumber: 3, block: block(['tx-1', 'tx-2']), blockHash: new Uint8Array([7]) });
    await c.waitFor(1);
    const first = c.received[0];
    assert.ok(first && 'block' in first);
    assert.equal(first.block.blockNumber, 3);
    assert.deepEqual((first.block.transactions as Array<{ txid: string }>).map((t) => t.txid), ['tx-1', 'tx-2']);
    assert.equal(first.block.stateHash, Buffer.from([1]).toString('base64'));
    await client.close();
  });
});

test('chaincode interests match the chaincode id exactly; "" takes every event name', async () => {
  await withHub(100, 10, async (events, address) => {
    const all = collector();
    const named = collector();
    const a = await EventClient.connect({
      address,
      interests: [{ eventType: EventType.CHAINCODE, chaincodeRegInfo: { chaincodeID: 'cc1', eventName: '' } }],
      onEvent: (e) => all.push(e),
    });
    const b = await EventClient.connect({
      address,
      interests: [{ eventType: EventType.CHAINCODE, chaincodeRegInfo: { chaincodeID: 'cc1', eventName: 'event2' } }],
      onEvent: (e) => named.push(e),
    });
    const payload = new TextEncoder().encode('hello');
    events.emit('chaincodeEvent', { chaincodeID: 'cc1', txID: 't1', eventName: 'event1', payload }, 2);
    events.emit('chaincodeEvent', { chaincodeID: 'cc10', txID: 't2', eventName: 'event2', payload }, 2);
    events.emit('chaincodeEvent', { chaincodeID: 'cc1', txID: 't3', eventName: 'event2', payload }, 2);
    await all.waitFor(2);
    await named.waitFor(1);
    // A last, known event flushes the stream so nothing unexpected can still be in flight.
    events.emit('chaincodeEvent', { chaincodeID: 'cc1', txID: 't4', eventName: 'event2', payload }, 2);
    await all.waitFor(3);
    await named.waitFor(2);
    const txids = (list: HubEvent[]) => list.map((e) => ('chaincodeEvent' in e ? e.chaincodeEvent.txID : '?'));
    assert.deepEqual(txids(all.received), ['t1', 't3', 't4']);
    assert.deepEqual(txids(named.received), ['t3', 't4']);
    const first = all.received[0];
    assert.ok(first && 'chaincodeEvent' in first);
    assert.equal(Buffer.from(first.chaincodeEvent.payload ?? '', 'base64').toString(), 'hello');
    await a.close();
    await b.close();
  });
});

test('rejections go only to consumers that asked for them', async () => {
  await withHub(100, 10, async (events, address) => {
    const rejections = collector();
    const blocks = collector();
    const r = await EventClient.connect({ address, interests: [{ eventType: EventType.REJECTION }], onEvent: (e) => rejections.push(e) });
    const b = await EventClient.connect({ address, interests: [{ eventType: EventType.BLOCK }], onEvent: (e) => blocks.push(e) });
    events.emit('rejection', { transaction: { ...emptyTransaction(), txid: 'bad' }, error: 'Invalid transaction amount, expecting a integer value', blockNumber: 4 });
    events.emit('block', { blockNumber: 4, block: block([]), blockHash: EMPTY });
    await rejections.waitFor(1);
    await blocks.waitFor(1);
    const first = rejections.received[0];
    assert.ok(first && 'rejection' in first);
    assert.equal(first.rejection.tx.txid, 'bad');
    assert.equal(first.rejection.errorMsg, 'Invalid transaction amount, expecting a integer value');
    assert.equal(blocks.received.length, 1);
    assert.ok(blocks.received[0] && 'block' in blocks.received[0]);
    await r.close();
    await b.close();
  });
});

test('a malformed registration is refused with a reason, and the hub keeps serving', async () => {
  await withHub(100, 10, async (events, address) => {
    await assert.rejects(
      EventClient.connect({ address, interests: [{ eventType: 9 as 1 }], onEvent: () => {} }),
      /refused the registration: events\[0\]\.eventType must be 1 \(BLOCK\), 2 \(CHAINCODE\) or 3 \(REJECTION\)/,
    );
    const raw = new WebSocket(`ws://${address}`);
    const reply = await new Promise<string>((resolve) => {
      raw.once('open', () => raw.send('{not json'));
      raw.once('message', (data) => resolve(String(data)));
    });
    assert.match(JSON.parse(reply).error, /^invalid JSON/);
    raw.terminate();
    const c = collector();
    const client = await EventClient.connect({ address, interests: [{ eventType: EventType.BLOCK }], onEvent: (e) => c.push(e) });
    events.emit('block', { blockNumber: 1, block: block([]), blockHash: EMPTY });
    await c.waitFor(1);
    await client.close();
  });
});

test('the acknowledgement echoes the registration; unregister stops the events', async () => {
  await withHub(100, 10, async (events, address) => {
    const socket = new WebSocket(`ws://${address}`);
    const messages: Array<Record<string, unknown>> = [];
    const next = () => new Promise<Record<string, unknown>>((resolve) => socket.once('message', (d) => resolve(JSON.parse(String(d)))));
    await new Promise((resolve) => socket.once('open', resolve));
    let reply = next();
    socket.send(JSON.stringify({ register: { events: [{ eventType: 1 }] } }));
    assert.deepEqual(await reply, { register: { events: [{ eventType: 1 }] } });
    reply = next();
    events.emit('block', { blockNumber: 1, block: block([]), blockHash: EMPTY });
    messages.push(await reply);
    assert.ok('block' in (messages[0] ?? {}));
    reply = next();
    socket.send(JSON.stringify({ unregister: { events: [{ eventType: 1 }] } }));
    assert.deepEqual(await reply, { unregister: { events: [{ eventType: 1 }] } });
    // After unregistering, a block produces nothing; a rejection interest registered next proves the order.
    events.emit('block', { blockNumber: 2, block: block([]), blockHash: EMPTY });
    reply = next();
    socket.send(JSON.stringify({ register: { events: [{ eventType: 3 }] } }));
    assert.deepEqual(await reply, { register: { events: [{ eventType: 3 }] } });
    socket.terminate();
  });
});

test('a consumer that does not drain is disconnected once the timeout passes; the others keep receiving', async () => {
  await withHub(2, 0, async (events, address, hub) => {
    const c = collector();
    const good = await EventClient.connect({ address, interests: [{ eventType: EventType.BLOCK }], onEvent: (e) => c.push(e) });
    // A consumer whose socket is paused never reads, so its queue fills.
    const stuck = new WebSocket(`ws://${address}`);
    await new Promise((resolve) => stuck.once('open', resolve));
    const closed = new Promise<number>((resolve) => stuck.once('close', (code) => resolve(code)));
    stuck.send(JSON.stringify({ register: { events: [{ eventType: 1 }] } }));
    await new Promise((resolve) => stuck.once('message', resolve));
    stuck.pause();
    const big = block(Array.from({ length: 2000 }, (_, i) => `tx-${i}-${'x'.repeat(200)}`));
    for (let n = 0; n < 200; n++) events.emit('block', { blockNumber: n, block: big, blockHash: EMPTY });
    await c.waitFor(1);
    stuck.resume();
    assert.equal(await closed, 1013);
    assert.ok(hub.stats().disconnectedTooSlow >= 1);
    await good.close();
  });
});
