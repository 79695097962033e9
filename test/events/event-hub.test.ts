// The event hub: Fabric's register/echo protocol, exact-match chaincode interests with "" as a
// wildcard, global BLOCK and REJECTION interests, unregister, refusal of malformed registrations,
// consumers that disconnect or never read, and the three overflow rules of the bounded queue
// against real sockets (outbound-queue.test.ts checks the rules themselves exactly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
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

test('a FILTERED_BLOCK consumer gets each block as its number, hashes and txids; BLOCK consumers still get the whole block', async () => {
  await withHub(100, 10, async (events, address) => {
    const filtered = collector();
    const both = collector();
    const f = await EventClient.connect({ address, interests: [{ eventType: 'filtered_block' as unknown as 4 }], onEvent: (e) => filtered.push(e) });
    const b = await EventClient.connect({ address, interests: [{ eventType: EventType.BLOCK }, { eventType: EventType.FILTERED_BLOCK }], onEvent: (e) => both.push(e) });
    events.emit('block', { blockNumber: 6, block: block(['tx-1', 'tx-2']), blockHash: EMPTY });
    await filtered.waitFor(1);
    await both.waitFor(2);
    assert.deepEqual(filtered.received, [{ filteredBlock: { blockNumber: 6, stateHash: 'AQ==', previousBlockHash: 'Ag==', txids: ['tx-1', 'tx-2'] } }]);
    assert.deepEqual(both.received.map((e) => Object.keys(e)[0]), ['block', 'filteredBlock']);
    await b.unregister([{ eventType: EventType.FILTERED_BLOCK }]);
    events.emit('block', { blockNumber: 7, block: block([]), blockHash: EMPTY });
    await filtered.waitFor(2);
    await both.waitFor(3);
    assert.deepEqual(filtered.received[1], { filteredBlock: { blockNumber: 7, stateHash: 'AQ==', previousBlockHash: 'Ag==', txids: [] } });
    assert.deepEqual(both.received.map((e) => Object.keys(e)[0]), ['block', 'filteredBlock', 'block']);
    await f.close();
    await b.close();
  });
});

test('a malformed registration is refused with a reason, and the hub keeps serving', async () => {
  await withHub(100, 10, async (events, address) => {
    await assert.rejects(
      EventClient.connect({ address, interests: [{ eventType: 9 as 1 }], onEvent: () => {} }),
      /refused the registration: events\[0\]\.eventType must be 1 \(BLOCK\), 2 \(CHAINCODE\), 3 \(REJECTION\) or 4 \(FILTERED_BLOCK\)/,
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

test('unregister removes exactly the named chaincode interest; the client\'s register/unregister resolve on the echo', async () => {
  await withHub(100, 10, async (events, address) => {
    const c = collector();
    const client = await EventClient.connect({
      address,
      interests: [
        { eventType: EventType.CHAINCODE, chaincodeRegInfo: { chaincodeID: 'cc1', eventName: 'event1' } },
        { eventType: EventType.CHAINCODE, chaincodeRegInfo: { chaincodeID: 'cc1', eventName: 'event2' } },
      ],
      onEvent: (e) => c.push(e),
    });
    const payload = new Uint8Array(0);
    await client.unregister([{ eventType: EventType.CHAINCODE, chaincodeRegInfo: { chaincodeID: 'cc1', eventName: 'event1' } }]);
    events.emit('chaincodeEvent', { chaincodeID: 'cc1', txID: 't1', eventName: 'event1', payload }, 1);
    events.emit('chaincodeEvent', { chaincodeID: 'cc1', txID: 't2', eventName: 'event2', payload }, 1);
    await client.register([{ eventType: EventType.BLOCK }]);
    events.emit('block', { blockNumber: 9, block: block([]), blockHash: EMPTY });
    await c.waitFor(2);
    assert.deepEqual(
      c.received.map((e) => ('chaincodeEvent' in e ? e.chaincodeEvent.txID : 'block' in e ? `block ${e.block.blockNumber}` : '?')),
      ['t2', 'block 9'],
    );
    await assert.rejects(client.register([{ eventType: 7 as 1 }]), /The event hub refused the request: events\[0\]\.eventType must be 1 \(BLOCK\)/);
    await client.close();
  });
});

test('a consumer that disconnects is forgotten; the hub keeps publishing to the others', async () => {
  await withHub(100, 10, async (events, address, hub) => {
    const c = collector();
    const gone = await EventClient.connect({ address, interests: [{ eventType: EventType.BLOCK }], onEvent: () => {} });
    const stays = await EventClient.connect({ address, interests: [{ eventType: EventType.BLOCK }], onEvent: (e) => c.push(e) });
    assert.equal(hub.stats().consumers, 2);
    await gone.close();
    for (let i = 0; i < 50 && hub.stats().consumers !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(hub.stats().consumers, 1);
    events.emit('block', { blockNumber: 1, block: block([]), blockHash: EMPTY });
    await c.waitFor(1);
    assert.equal(hub.stats().dropped, 0);
    await stays.close();
  });
});

/**
 * A consumer that opens the WebSocket, registers for blocks and then never reads a byte: a raw
 * TCP client that writes the handshake and the registration frame and nothing else.
 */
async function neverReadingConsumer(address: string): Promise<Socket> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = connect({ host, port });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`GET / HTTP/1.1\r\nHost: ${address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  // A masked client text frame (mask 0: the payload is sent as is).
  const payload = Buffer.from(JSON.stringify({ register: { events: [{ eventType: 1 }] } }));
  socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
  socket.pause();
  return socket;
}

/** Publishes big blocks until the never-reading consumer's queue has overflowed, as the hub counts. */
async function floodUntil(events: PeerEvents, hub: EventHub, done: () => boolean): Promise<number> {
  const big = block(Array.from({ length: 100 }, (_, i) => `tx-${i}-${'x'.repeat(200)}`));
  let n = 0;
  while (!done() && n < 5000) {
    events.emit('block', { blockNumber: n++, block: big, blockHash: EMPTY });
    // One block per turn of the event loop, as a committing peer publishes them: a consumer that
    // reads keeps up, the one that does not fills the kernel's buffers and then its queue.
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(done(), `the never-reading consumer still had room after ${n} blocks (stats ${JSON.stringify(hub.stats())})`);
  return n;
}

test('timeout < 0 (drop): a consumer that never reads loses events but stays connected; the others get every block', async () => {
  await withHub(16, -1, async (events, address, hub) => {
    const c = collector();
    const good = await EventClient.connect({ address, interests: [{ eventType: EventType.BLOCK }], onEvent: (e) => c.push(e) });
    const stuck = await neverReadingConsumer(address);
    for (let i = 0; i < 100 && hub.stats().consumers < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const published = await floodUntil(events, hub, () => hub.stats().dropped >= 20);
    await c.waitFor(published);
    assert.equal(c.received.length, published, 'the reading consumer lost nothing');
    assert.equal(hub.stats().consumers, 2, 'the never-reading consumer is still connected');
    assert.equal(hub.stats().disconnectedTooSlow, 0);
    stuck.destroy();
    await good.close();
  });
});

test('timeout = 0 (disconnect): a consumer that never reads is disconnected at its first overflow; the others get every block', async () => {
  await withHub(16, 0, async (events, address, hub) => {
    const c = collector();
    const good = await EventClient.connect({ address, interests: [{ eventType: EventType.BLOCK }], onEvent: (e) => c.push(e) });
    const stuck = await neverReadingConsumer(address);
    for (let i = 0; i < 100 && hub.stats().consumers < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const published = await floodUntil(events, hub, () => hub.stats().disconnectedTooSlow === 1);
    assert.equal(hub.stats().dropped, 1, 'only the event that found the queue full');
    assert.equal(hub.stats().consumers, 1);
    await c.waitFor(published);
    assert.equal(c.received.length, published);
    stuck.destroy();
    await good.close();
  });
});

test('timeout = 0: a ws consumer that paused reading sees close code 1013 with the reason once it reads again', async () => {
  await withHub(2, 0, async (events, address, hub) => {
    const stuck = new WebSocket(`ws://${address}`);
    await new Promise((resolve) => stuck.once('open', resolve));
    const closed = new Promise<[number, string]>((resolve) => stuck.once('close', (code, reason) => resolve([code, reason.toString()])));
    stuck.send(JSON.stringify({ register: { events: [{ eventType: 1 }] } }));
    await new Promise((resolve) => stuck.once('message', resolve));
    stuck.pause();
    await floodUntil(events, hub, () => hub.stats().disconnectedTooSlow === 1);
    stuck.resume();
    assert.deepEqual(await closed, [1013, 'consumer too slow: its queue of 2 events was full']);
  });
});

test('timeout > 0 (wait): events beyond the queue wait, as many as the queue holds, and go out in order', async () => {
  // A long timeout, so nothing expires here (outbound-queue.test.ts checks expiry on a fake clock).
  await withHub(2, 60_000, async (events, address, hub) => {
    const c = collector();
    const client = await EventClient.connect({ address, interests: [{ eventType: EventType.BLOCK }], onEvent: (e) => c.push(e) });
    const sentBefore = hub.stats().sent;
    // One synchronous burst: the socket has taken none yet, so 2 are written, 2 wait, 2 find both full.
    for (let n = 0; n < 6; n++) events.emit('block', { blockNumber: n, block: block([`tx-${n}`]), blockHash: EMPTY });
    assert.equal(hub.stats().sent - sentBefore, 2);
    assert.equal(hub.stats().dropped, 2);
    await c.waitFor(4);
    events.emit('block', { blockNumber: 6, block: block([]), blockHash: EMPTY });
    await c.waitFor(5);
    assert.deepEqual(c.received.map((e) => ('block' in e ? e.block.blockNumber : -1)), [0, 1, 2, 3, 6]);
    assert.equal(hub.stats().dropped, 2);
    assert.equal(hub.stats().consumers, 1);
    await client.close();
  });
});
