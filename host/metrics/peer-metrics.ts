// The peer's metrics (GET /metrics): what it commits, rejects and burns in fuel, where its PBFT
// replica stands, how connected it is, what its event hub does and how long its REST requests
// take. Counters come from the peer's events and two hooks (fuel, REST responses); gauges and the
// PBFT core's own count of view changes are read at scrape time from what the peer already
// reports in /weft/status. Counters start at 0
// when the process starts, as Prometheus expects.
import type { ConsensusStatus } from '../../network/consensus.ts';
import type { BatchTiming } from '../../network/pbft/batch-timing.ts';
import type { EventHubStats } from '../events/event-hub.ts';
import type { PeerEvents } from '../peer/events.ts';
import { MetricsRegistry, type Counter, type Histogram } from './registry.ts';

/** Seconds: REST latency buckets, from a cached GET to a deploy that compiles chaincode. */
export const REST_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Seconds: a PBFT batch's ordering or execution, from an idle network's few ms to a stalled one's seconds. */
export const BATCH_STAGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** The route label of a request no route matched (so hostile URLs cannot mint label values). */
export const UNMATCHED_ROUTE = 'unmatched';

/** What the metrics read from the peer when scraped. */
export interface PeerMetricsSource {
  /** Ledger height (blocks, genesis included). */
  height(): number;
  /** The consensus plugin's status; null before start. */
  consensus(): ConsensusStatus | null;
  /** Members of the network connected now. */
  connectedPeers(): number;
  /** The event hub's counters; undefined where none runs (non-validating peer). */
  eventHub(): EventHubStats | undefined;
}

export interface PeerIdentity {
  peerId: string;
  validator: boolean;
}

export interface RequestSample {
  method: string;
  /** The route's pattern (e.g. /chain/blocks/:id), never the raw URL. */
  route: string;
  status: number;
  seconds: number;
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The PBFT fields of a consensus status, if it is PBFT's. */
interface PbftFigures {
  view: number | undefined;
  active: boolean | undefined;
  primary: number | undefined;
  lastExec: number | undefined;
  low: number | undefined;
  transfers: number | undefined;
  /** New views accepted since the replica started (exact). */
  viewChanges: number | undefined;
}

function pbft(status: ConsensusStatus | null): PbftFigures | undefined {
  if (status === null || status.plugin !== 'pbft' || status.view === undefined) return undefined;
  const primary = typeof status.primary === 'string' ? /^vp(\d+)$/.exec(status.primary) : null;
  const watermarks = status.watermarks as { low?: unknown } | undefined;
  const counters = status.counters as { transfers?: unknown } | undefined;
  return {
    view: finite(status.view),
    active: typeof status.activeView === 'boolean' ? status.activeView : undefined,
    primary: primary ? Number(primary[1]) : undefined,
    lastExec: finite(status.lastExec),
    low: finite(watermarks?.low),
    transfers: finite(counters?.transfers),
    viewChanges: finite(status.viewChanges),
  };
}

export class PeerMetrics {
  readonly registry = new MetricsRegistry();
  readonly #events: PeerEvents;
  readonly #committed: Counter;
  readonly #rejected: Counter;
  readonly #chaincodeEvents: Counter;
  readonly #fuel: Counter;
  readonly #requests: Histogram;
  readonly #batchOrdering: Histogram;
  readonly #batchExecution: Histogram;
  #started = false;
  readonly #onBlock = ({ block }: { block: { transactions: unknown[] } }): void => this.#committed.inc(block.transactions.length);
  readonly #onRejection = (): void => this.#rejected.inc();
  readonly #onChaincodeEvent = (): void => this.#chaincodeEvents.inc();

  constructor(events: PeerEvents, source: PeerMetricsSource, identity: PeerIdentity) {
    this.#events = events;
    const r = this.registry;
    r.gauge('weft_peer_info', 'The peer: its id, consensus plugin and whether it validates (always 1).', {
      labels: ['peer', 'consensus', 'validator'],
      read: () => [{ labels: { peer: identity.peerId, consensus: source.consensus()?.plugin ?? 'none', validator: String(identity.validator) }, value: 1 }],
    });
    r.gauge('weft_block_height', 'Blocks in the chain, the genesis block included (Fabric\'s height).', { read: () => source.height() });
    this.#committed = r.counter('weft_transactions_committed_total', 'Transactions this peer executed and committed in a block (blocks fetched by state transfer are not counted).');
    this.#rejected = r.counter('weft_transactions_rejected_total', 'Transactions this peer executed that failed and were left out of their block.');
    this.#chaincodeEvents = r.counter('weft_chaincode_events_total', 'Chaincode events emitted (one per transaction that set one, failed ones included, as Fabric).');
    this.#fuel = r.counter('weft_chaincode_fuel_used_total', 'Fuel burnt by chaincode executing ordered transactions (deploys and invokes, failed ones included; not queries).');
    r.gauge('weft_connected_peers', 'Members of the network this peer is connected to now.', { read: () => source.connectedPeers() });
    r.gauge('weft_pbft_view', 'The PBFT view this replica is in.', { read: () => pbft(source.consensus())?.view });
    r.gauge('weft_pbft_view_active', '1 while the view is active, 0 during a view change.', {
      read: () => {
        const active = pbft(source.consensus())?.active;
        return active === undefined ? undefined : active ? 1 : 0;
      },
    });
    r.gauge('weft_pbft_primary', 'The replica id of the current view\'s primary (vpN → N).', { read: () => pbft(source.consensus())?.primary });
    r.counter('weft_pbft_view_changes_total', 'New views this replica has accepted since it started (counted by the PBFT core).', {
      read: () => pbft(source.consensus())?.viewChanges,
    });
    r.gauge('weft_pbft_last_stable_checkpoint', 'Sequence number of the last stable checkpoint (the low watermark).', { read: () => pbft(source.consensus())?.low });
    r.gauge('weft_pbft_last_executed', 'Sequence number of the last executed PBFT batch.', { read: () => pbft(source.consensus())?.lastExec });
    r.counter('weft_pbft_state_transfers_total', 'State transfers this replica has started to catch up.', { read: () => pbft(source.consensus())?.transfers });
    r.gauge('weft_event_consumers', 'Consumers connected to the event hub.', { read: () => source.eventHub()?.consumers });
    r.counter('weft_events_sent_total', 'Event hub frames handed to consumers\' sockets (events and acknowledgements).', { read: () => source.eventHub()?.sent });
    r.counter('weft_events_dropped_total', 'Events the hub dropped for consumers whose queue stayed full.', { read: () => source.eventHub()?.dropped });
    r.counter('weft_event_consumers_disconnected_total', 'Consumers the hub disconnected because their queue was full (peer.validator.events.timeout 0).', {
      read: () => source.eventHub()?.disconnectedTooSlow,
    });
    // Present at 0 from the start, so a rate() over the first scrapes is right.
    for (const counter of [this.#committed, this.#rejected, this.#chaincodeEvents, this.#fuel]) counter.inc(0);
    this.#requests = r.histogram('weft_rest_request_duration_seconds', 'REST requests by method, route and status, from arrival to the response sent.', REST_LATENCY_BUCKETS, {
      labels: ['method', 'route', 'code'],
    });
    this.#batchOrdering = r.histogram(
      'weft_pbft_batch_ordering_seconds',
      'PBFT batches executed here: from their pre-prepare seen or sent until their execution starts (the three phases and any wait for earlier batches).',
      BATCH_STAGE_BUCKETS,
    );
    this.#batchExecution = r.histogram('weft_pbft_batch_execution_seconds', 'PBFT batches executed here: from execution start until their block is committed.', BATCH_STAGE_BUCKETS);
  }

  /** Subscribes to the peer's events. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#events.on('block', this.#onBlock);
    this.#events.on('rejection', this.#onRejection);
    this.#events.on('chaincodeEvent', this.#onChaincodeEvent);
  }

  stop(): void {
    if (!this.#started) return;
    this.#started = false;
    this.#events.off('block', this.#onBlock);
    this.#events.off('rejection', this.#onRejection);
    this.#events.off('chaincodeEvent', this.#onChaincodeEvent);
  }

  /** Fuel of one executed transaction (the executor's onFuel hook). */
  addFuel(fuelUsed: number): void {
    if (Number.isFinite(fuelUsed) && fuelUsed > 0) this.#fuel.inc(fuelUsed);
  }

  /** One REST response (the REST server's onResponse hook). */
  observeRequest(sample: RequestSample): void {
    this.#requests.observe(sample.seconds, { method: sample.method, route: sample.route, code: String(sample.status) });
  }

  /** One PBFT batch executed (the plugin's onBatchExecuted hook); one without a pre-prepare seen here has no ordering time. */
  observeBatch(timing: BatchTiming): void {
    if (timing.orderingMs !== null) this.#batchOrdering.observe(timing.orderingMs / 1_000);
    this.#batchExecution.observe(timing.executionMs / 1_000);
  }

  /** The text exposition of every metric. */
  render(): string {
    return this.registry.render();
  }
}
