// The PBFT core's bounds. Every queue, map and message field the core keeps or accepts has a
// limit here (or one derived from the configuration: N, K, L, batchsize); anything beyond is
// dropped with a reason, never stored. test/pbft/constants.test.ts asserts the relations.
import { BLOCK_TRANSACTIONS_MAX, TRANSACTION_BYTES_MAX } from '../../host/protocol/limits.ts';

const MiB = 1_048_576;

/** Replicas a network may have (N). Bounds every per-replica map and the view-change set of a new-view. */
export const REPLICAS_MAX = 256;
/**
 * Largest log size L = K·logmultiplier (Fabric's default is 40); bounds certificates, P/Q sets
 * and new-view assignments, and so keeps a view-change well inside one consensus message.
 */
export const LOG_SIZE_MAX = 2_000;
/** Largest checkpoint period K. */
export const CHECKPOINT_PERIOD_MAX = 1_000;

/** Largest encoded consensus message; the transport's consensus channel carries 8 MiB. */
export const MESSAGE_BYTES_MAX = 8 * MiB;
/** Largest encoded request batch: a pre-prepare carries one, plus a few hundred bytes of framing. */
export const BATCH_BYTES_MAX = 8 * MiB - 64 * 1_024;
/** Requests in one batch; a batch becomes one block. */
export const BATCH_REQUESTS_MAX = BLOCK_TRANSACTIONS_MAX;
/** Transactions one batch (one block) executes as, over all its requests' bundles. */
export const BATCH_TRANSACTIONS_MAX = BLOCK_TRANSACTIONS_MAX;
/** With batchwhenidle, the primary cuts a batch at once while fewer than this many are in flight. */
export const BATCHES_IN_FLIGHT_WHEN_IDLE = 2;
/** Bytes of one request's payload (one encoded transaction). */
export const REQUEST_PAYLOAD_BYTES_MAX = TRANSACTION_BYTES_MAX;
/** Bytes of a signature (Ed25519: 64). */
export const SIGNATURE_BYTES_MAX = 512;
/** Characters of a batch digest (base64 of a 64-byte hash is 88). */
export const DIGEST_CHARS_MAX = 128;
/** Characters of a checkpoint id (base64 of the encoded ledger head). */
export const CHECKPOINT_ID_CHARS_MAX = 1_024;
/** Entries of a view-change's C set; a replica keeps at most logmultiplier + 1 checkpoints (L + 1 when K = 1). */
export const CSET_ENTRIES_MAX = LOG_SIZE_MAX + 1;
/** Q-set entries kept per sequence number (different digests pre-prepared in different views); the oldest views go first. */
export const QSET_DIGESTS_PER_SEQNO_MAX = 8;
/** Entries of a view-change's P or Q set, and of a new-view's assignments. */
export const PQ_ENTRIES_MAX = LOG_SIZE_MAX * QSET_DIGESTS_PER_SEQNO_MAX;

/** Per origin, executed request counters are kept as a low mark plus at most this many ranges above it. */
export const DEDUP_RANGES_PER_ORIGIN_MAX = 64;
/** An origin reserves request counters in blocks of this size, persisted before any is used. */
export const REQUEST_COUNTER_RESERVATION = 64;

/** Log notes a Ready carries; beyond, they are counted only. */
export const NOTES_PER_READY_MAX = 256;
/** Sequence numbers one status answer retransmits messages for. */
export const STATUS_RESEND_SEQNOS_MAX = 16;
/** Own outstanding requests re-sent to the primary per status sweep. */
export const REQUEST_RESENDS_PER_SWEEP_MAX = 256;
/** Request batches answered to fetches per tick (a fetch answer can be megabytes). */
export const BATCH_FETCH_ANSWERS_PER_TICK_MAX = 8;
/** Longest new-view timeout, in ticks, however often it doubles. */
export const NEW_VIEW_TIMEOUT_TICKS_MAX = 1 << 20;
/** Ticks a failed state transfer waits before it is retried. */
export const STATE_TRANSFER_RETRY_TICKS = 20;

/** The C-set entry every replica has before its first checkpoint (Fabric's literal). */
export const GENESIS_CHECKPOINT_ID = 'XXX GENESIS';
