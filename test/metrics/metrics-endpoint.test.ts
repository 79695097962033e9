// GET /metrics of a real peer after a known workload: the exact height, committed and rejected
// transactions, chaincode events, fuel (the same figure MockNetwork measures for the same calls:
// fuel is deterministic), REST request counts per route and status, event hub consumers; and the
// PBFT figures, view changes included, from a consensus status that moves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventClient } from '../../host/events/event-client.ts';
import { EventType } from '../../host/events/interests.ts';
import { PeerMetrics, type PeerMetricsSource } from '../../host/metrics/peer-metrics.ts';
import { PeerEvents } from '../../host/peer/events.ts';
import { MockNetwork } from '../../host/testing/mock-network.ts';
import type { ConsensusStatus } from '../../network/consensus.ts';
import { chaincode } from '../chaincode/built.ts';
import { startPeerFixture, type PeerFixture } from '../events/peer-fixture.ts';

let fixture: PeerFixture;

before(async () => {
  fixture = await startPeerFixture();
});

after(async () => {
  await fixture?.close();
});

/** The sample lines of a scrape (no comments), as name{labels} → value. */
function samples(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), line.slice(at + 1));
  }
  return map;
}

test('after a known workload, /metrics reports exactly what the peer did', async () => {
  const ex02Args = ['init', 'a', '100', 'b', '200'];
  const invokes = [['invoke', 'a', 'b', '10'], ['invoke', 'b', 'a', '5'], ['invoke', 'a', 'b', '1'], ['invoke', 'a', 'b', 'many']];
  const example02 = await fixture.deploy('chaincode_example02', ex02Args);
  for (const args of invokes) await fixture.invoke(example02, args);
  const sender = await fixture.deploy('eventsender', ['init']);
  await fixture.invoke(sender, ['invoke', 'x']);
  await fixture.invoke(sender, ['invoke', 'y']);

  // The fuel oracle: the same calls through the same sandbox.
  const mock = new MockNetwork();
  let fuel = mock.deploy('ex02', chaincode('chaincode_example02'), ex02Args).fuelUsed;
  for (const args of invokes) fuel += mock.invoke('ex02', args).fuelUsed;
  fuel += mock.deploy('sender', chaincode('eventsender'), ['init']).fuelUsed;
  fuel += mock.invoke('sender', ['invoke', 'x']).fuelUsed + mock.invoke('sender', ['invoke', 'y']).fuelUsed;

  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${fixture.rest}/chain`)).status, 200);
  assert.equal((await fetch(`${fixture.rest}/chain/blocks/999`)).status, 404);
  assert.equal((await fetch(`${fixture.rest}/no/such/route?x=${'y'.repeat(50)}`)).status, 404);
  const consumer = await EventClient.connect({ address: fixture.events, interests: [{ eventType: EventType.BLOCK }], onEvent: () => {} });

  const response = await fetch(`${fixture.rest}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const scraped = samples(await response.text());
  await consumer.close();

  // Genesis, 2 deploys, 6 invokes: one block each (each call waited for its commit).
  const expected: Array<[string, string]> = [
    ['weft_peer_info{peer="vp0",consensus="noops",validator="true"}', '1'],
    ['weft_block_height', '9'],
    ['weft_transactions_committed_total', '7'],
    ['weft_transactions_rejected_total', '1'],
    ['weft_chaincode_events_total', '2'],
    ['weft_chaincode_fuel_used_total', String(fuel)],
    ['weft_connected_peers', '0'],
    ['weft_event_consumers', '1'],
    ['weft_events_dropped_total', '0'],
    ['weft_event_consumers_disconnected_total', '0'],
    ['weft_rest_request_duration_seconds_count{method="GET",route="/chain",code="200"}', '3'],
    ['weft_rest_request_duration_seconds_bucket{method="GET",route="/chain",code="200",le="+Inf"}', '3'],
    ['weft_rest_request_duration_seconds_count{method="GET",route="/chain/blocks/:id",code="404"}', '1'],
    ['weft_rest_request_duration_seconds_count{method="GET",route="unmatched",code="404"}', '1'],
  ];
  for (const [name, value] of expected) assert.equal(scraped.get(name), value, name);
  assert.ok(fuel > 0);
  // A lone noops peer has no PBFT figures at all, rather than zeros that would mean something.
  assert.deepEqual([...scraped.keys()].filter((name) => name.startsWith('weft_pbft_')), []);
});

test('PBFT figures come from the consensus status; a view change is counted once the new view is active', () => {
  let status: ConsensusStatus = { plugin: 'pbft', view: 0, viewChanges: 0, primary: 'vp0', activeView: true, lastExec: 12, watermarks: { low: 10, high: 50 }, counters: { transfers: 0 } };
  const source: PeerMetricsSource = { height: () => 13, consensus: () => status, connectedPeers: () => 3, eventHub: () => undefined };
  const events = new PeerEvents();
  const metrics = new PeerMetrics(events, source, { peerId: 'vp1', validator: true });
  const read = () => samples(metrics.render());
  let scraped = read();
  assert.equal(scraped.get('weft_pbft_view'), '0');
  assert.equal(scraped.get('weft_pbft_primary'), '0');
  assert.equal(scraped.get('weft_pbft_view_active'), '1');
  assert.equal(scraped.get('weft_pbft_last_stable_checkpoint'), '10');
  assert.equal(scraped.get('weft_pbft_last_executed'), '12');
  assert.equal(scraped.get('weft_pbft_view_changes_total'), '0');
  assert.equal(scraped.get('weft_connected_peers'), '3');
  assert.equal(scraped.get('weft_event_consumers'), undefined, 'no event hub, no hub figures');

  status = { ...status, view: 1, primary: 'vp1', activeView: false };
  scraped = read();
  assert.equal(scraped.get('weft_pbft_view_active'), '0');
  assert.equal(scraped.get('weft_pbft_view_changes_total'), '0', 'not yet: the view change is under way');
  // The replica skips view 1 (its primary is down too) and settles in view 2: one new view accepted.
  status = { ...status, view: 2, viewChanges: 1, primary: 'vp2', activeView: true, watermarks: { low: 20, high: 60 }, counters: { transfers: 1 } };
  scraped = read();
  assert.equal(scraped.get('weft_pbft_view_changes_total'), '1');
  assert.equal(scraped.get('weft_pbft_primary'), '2');
  assert.equal(scraped.get('weft_pbft_last_stable_checkpoint'), '20');
  assert.equal(scraped.get('weft_pbft_state_transfers_total'), '1');
  scraped = read();
  assert.equal(scraped.get('weft_pbft_view_changes_total'), '1', 'the same view is not counted twice');
  assert.equal(scraped.get('weft_peer_info{peer="vp1",consensus="pbft",validator="true"}'), '1');
});

test('the count of view changes is the replica\'s own, read at each scrape', () => {
  let status: ConsensusStatus = { plugin: 'pbft', view: 0, viewChanges: 0, primary: 'vp0', activeView: true, lastExec: 1, watermarks: { low: 0, high: 40 }, counters: {} };
  const source: PeerMetricsSource = { height: () => 2, consensus: () => status, connectedPeers: () => 3, eventHub: () => undefined };
  const metrics = new PeerMetrics(new PeerEvents(), source, { peerId: 'vp1', validator: true });
  const read = () => samples(metrics.render()).get('weft_pbft_view_changes_total');
  assert.equal(read(), '0');
  // Two view changes (views 1 and 2) completed between two scrapes.
  status = { ...status, view: 2, viewChanges: 2, primary: 'vp2' };
  assert.equal(read(), '2');
  assert.equal(read(), '2');
  status = { ...status, view: 3, viewChanges: 3, primary: 'vp3' };
  assert.equal(read(), '3');
});

test('each PBFT batch lands in the ordering and execution histograms; one without a pre-prepare seen has no ordering', () => {
  const source: PeerMetricsSource = { height: () => 2, consensus: () => null, connectedPeers: () => 3, eventHub: () => undefined };
  const metrics = new PeerMetrics(new PeerEvents(), source, { peerId: 'vp1', validator: true });
  assert.equal(samples(metrics.render()).get('weft_pbft_batch_execution_seconds_count'), undefined, 'no batch yet, no series');
  metrics.observeBatch({ seqNo: 1, transactions: 100, orderingMs: 40, executionMs: 30 });
  metrics.observeBatch({ seqNo: 2, transactions: 100, orderingMs: 300, executionMs: 3 });
  metrics.observeBatch({ seqNo: 3, transactions: 1, orderingMs: null, executionMs: 2_000 });
  const scraped = samples(metrics.render());
  assert.equal(scraped.get('weft_pbft_batch_ordering_seconds_count'), '2');
  assert.equal(scraped.get('weft_pbft_batch_ordering_seconds_bucket{le="0.05"}'), '1');
  assert.equal(scraped.get('weft_pbft_batch_ordering_seconds_bucket{le="0.5"}'), '2');
  assert.ok(Math.abs(Number(scraped.get('weft_pbft_batch_ordering_seconds_sum')) - 0.34) < 1e-9);
  assert.equal(scraped.get('weft_pbft_batch_execution_seconds_count'), '3');
  assert.equal(scraped.get('weft_pbft_batch_execution_seconds_bucket{le="0.005"}'), '1');
  assert.equal(scraped.get('weft_pbft_batch_execution_seconds_bucket{le="1"}'), '2');
  assert.equal(scraped.get('weft_pbft_batch_execution_seconds_bucket{le="2.5"}'), '3');
});
