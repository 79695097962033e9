// The ledger's own bounds: on what it accepts from other peers (deltas, blocks, snapshots) and
// on what one call may ask of it. Protocol-wide bounds (key, value, name sizes) live in
// host/protocol/limits.ts.

/** An encoded state delta above this is refused (a block's writes are bounded only by its transactions). */
export const STATE_DELTA_BYTES_MAX = 512 * 1024 * 1024;
/** Keys one state delta may carry. */
export const STATE_DELTA_KEYS_MAX = 10_000_000;

/** Blocks one readBlocks call returns (state transfer asks for a few at a time; Fabric: 20). */
export const BLOCK_RANGE_MAX = 1_000;

/** Default target size of a snapshot chunk; a chunk holds at least one entry, so a big value may exceed it. */
export const SNAPSHOT_CHUNK_BYTES_DEFAULT = 1024 * 1024;
/** Hard bound on an encoded snapshot chunk (one entry of the largest key and value fits). */
export const SNAPSHOT_CHUNK_BYTES_MAX = 4 * 1024 * 1024;
/** Entries one snapshot chunk may carry. */
export const SNAPSHOT_CHUNK_ENTRIES_MAX = 1_000_000;
/** Default bound on the total key and value bytes an installed snapshot may hold. */
export const SNAPSHOT_BYTES_MAX_DEFAULT = 8 * 1024 * 1024 * 1024;
/** State entries written per (unsynced) LevelDB batch while installing a snapshot. */
export const SNAPSHOT_INSTALL_BATCH_ENTRIES = 10_000;

/** Bytes of a persist key (UTF-8). */
export const PERSIST_KEY_BYTES_MAX = 1_024;

/** Decoded blocks kept for getTransaction and friends. */
export const BLOCK_CACHE_ENTRIES = 32;
