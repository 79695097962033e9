// The event hub's per-consumer queue and Fabric's three peer.validator.events.timeout behaviours,
// on a fake socket and a fake clock: exactly which frames go out, wait, are dropped, and when a
// consumer is disconnected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_BUFFER_MAX, OutboundQueue, overflowRule, type QueueCounters } from '../../host/events/outbound-queue.ts';

/** A socket that takes frames only when the test says so. */
function harness(bufferSize: number, timeoutMs: number) {
  const written: string[] = [];
  const pending: Array<() => void> = [];
  const disconnects: string[] = [];
  const counters: QueueCounters = { sent: 0, dropped: 0, disconnectedTooSlow: 0 };
  let now = 0;
  const queue = new OutboundQueue({
    bufferSize,
    rule: overflowRule(timeoutMs),
    counters,
    now: () => now,
    send: (frame, done) => {
      written.push(frame);
      pending.push(done);
    },
    disconnect: (reason) => disconnects.push(reason),
  });
  return {
    queue,
    written,
    disconnects,
    counters,
    advance: (ms: number) => {
      now += ms;
    },
    /** The socket takes the oldest n frames it was given. */
    drain: (n: number) => {
      for (const done of pending.splice(0, n)) done();
    },
  };
}

test('the timeout picks the rule: < 0 drop, 0 disconnect, > 0 wait that long', () => {
  assert.deepEqual(overflowRule(-1), { kind: 'drop' });
  assert.deepEqual(overflowRule(0), { kind: 'disconnect' });
  assert.deepEqual(overflowRule(10), { kind: 'wait', ms: 10 });
  assert.throws(() => overflowRule(Number.NaN), /peer\.validator\.events\.timeout must be a number of milliseconds, got NaN/);
  assert.throws(() => harness(0, 10), /peer\.validator\.events\.buffersize must be an integer from 1 to 100000, got 0/);
  assert.throws(() => harness(EVENT_BUFFER_MAX + 1, 10), /must be an integer from 1 to 100000, got 100001/);
});

test('drop (timeout < 0): frames beyond the queue are dropped, the consumer stays, and later frames flow again', () => {
  const h = harness(2, -1);
  assert.deepEqual(['a', 'b', 'c', 'd'].map((f) => h.queue.offer(f)), ['sent', 'sent', 'dropped', 'dropped']);
  assert.deepEqual(h.written, ['a', 'b']);
  h.drain(1);
  assert.equal(h.queue.offer('e'), 'sent');
  assert.deepEqual(h.written, ['a', 'b', 'e']);
  assert.deepEqual(h.counters, { sent: 3, dropped: 2, disconnectedTooSlow: 0 });
  assert.equal(h.queue.dropped, 2);
  assert.deepEqual(h.disconnects, []);
});

test('disconnect (timeout = 0): the first frame that finds the queue full ends the consumer; nothing is sent after', () => {
  const h = harness(2, 0);
  assert.deepEqual(['a', 'b', 'c'].map((f) => h.queue.offer(f)), ['sent', 'sent', 'disconnected']);
  assert.deepEqual(h.disconnects, ['consumer too slow: its queue of 2 events was full']);
  h.drain(2);
  assert.equal(h.queue.offer('d'), 'dropped');
  assert.deepEqual(h.written, ['a', 'b']);
  assert.deepEqual(h.counters, { sent: 2, dropped: 1, disconnectedTooSlow: 1 });
});

test('wait (timeout > 0): frames wait for room in order and go out when the socket drains in time', () => {
  const h = harness(2, 10);
  assert.deepEqual(['a', 'b', 'c', 'd'].map((f) => h.queue.offer(f)), ['sent', 'sent', 'waiting', 'waiting']);
  assert.equal(h.queue.waiting, 2);
  // A waiting list as long as the queue: one more finds both full.
  assert.equal(h.queue.offer('e'), 'dropped');
  h.advance(9);
  h.drain(1);
  assert.deepEqual(h.written, ['a', 'b', 'c']);
  h.drain(2);
  assert.deepEqual(h.written, ['a', 'b', 'c', 'd']);
  // While frames wait, a new one queues behind them even if there is room, so the order holds.
  assert.equal(h.queue.offer('f'), 'sent');
  assert.deepEqual(h.written, ['a', 'b', 'c', 'd', 'f']);
  assert.deepEqual(h.counters, { sent: 5, dropped: 1, disconnectedTooSlow: 0 });
  assert.deepEqual(h.disconnects, []);
});

test('wait (timeout > 0): a frame that waited its whole timeout is dropped; younger ones still go out', () => {
  const h = harness(2, 10);
  h.queue.offer('a');
  h.queue.offer('b');
  h.queue.offer('c'); // waits from t=0
  h.advance(6);
  h.queue.offer('d'); // waits from t=6
  h.advance(4); // t=10: c has waited 10 ms, d 4 ms
  h.drain(1);
  assert.deepEqual(h.written, ['a', 'b', 'd']);
  assert.deepEqual(h.counters, { sent: 3, dropped: 1, disconnectedTooSlow: 0 });
  assert.equal(h.queue.waiting, 0);
  // A stalled consumer never holds more than the queue and the waiting list, however much is published.
  for (let i = 0; i < 1000; i++) h.queue.offer(`x${i}`);
  assert.equal(h.queue.inFlight, 2);
  assert.equal(h.queue.waiting, 2);
  assert.equal(h.counters.dropped, 1 + 998);
});

test('a closed queue lets its waiting frames go and refuses new ones', () => {
  const h = harness(1, 50);
  h.queue.offer('a');
  h.queue.offer('b');
  h.queue.close();
  h.drain(1);
  assert.equal(h.queue.offer('c'), 'dropped');
  assert.deepEqual(h.written, ['a']);
  assert.equal(h.queue.waiting, 0);
});
