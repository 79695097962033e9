// The ledger's errors, one class per cause, so callers (peer start-up, state transfer) can tell
// "another peer holds this directory" from "the data is damaged" from "that block is bad".

/** Another process (or another Ledger in this one) has the LevelDB directory open. */
export class LedgerLockedError extends Error {
  override name = 'LedgerLockedError';
}

/** The stored ledger is damaged or not a weft ledger; it is not opened. */
export class LedgerCorruptError extends Error {
  override name = 'LedgerCorruptError';
}

/** The ledger was closed, or a failed disk write left it unusable until reopened. */
export class LedgerClosedError extends Error {
  override name = 'LedgerClosedError';
}

/** A commit, append or state change was refused before anything was written; the ledger is unchanged. */
export class LedgerRejectedError extends Error {
  override name = 'LedgerRejectedError';
}
