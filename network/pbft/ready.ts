// What the core hands its driver after any input (etcd raft's Ready). The driver drains it with
// replica.ready() and must handle the fields in this order:
//   1. persist  — write all changes durably and atomically; nothing below happens before it is done
//   2. messages — send them (best effort; PBFT tolerates loss)
//   3. execute  — execute the batch and call replica.executed(seqNo, checkpointId) when its block is
//                 durable; the core emits the next batch only after that
//   4. stateTransfer — bring the ledger to the target, then replica.stateTransferred(...) or
//                 replica.stateTransferFailed()
//   5. stateValid — tell the peer whether its state may be queried (false while catching up)
import type { Digest, PbftMessage, ReplicaId, Request } from './messages.ts';

export interface Outbound {
  /** A replica, or 'all' for every other replica. */
  to: ReplicaId | 'all';
  message: PbftMessage;
}

export interface ExecuteBatch {
  seqNo: number;
  view: number;
  digest: Digest;
  /** The ordered requests minus those already executed (deduplicated). */
  requests: Request[];
  /** Their payloads: the encoded transactions to execute, in order. */
  transactions: Uint8Array[];
  /** For the block: the seqNo and the executed-request record after this batch (codec.ts BlockMetadata). */
  consensusMetadata: Uint8Array;
}

export interface StateTransferTarget {
  seqNo: number;
  /** The checkpoint id (codec.ts decodeCheckpointId gives the ledger height and hashes). */
  checkpointId: string;
  /** Replicas that vouched for it: fetch from them. */
  replicas: ReplicaId[];
}

export type NoteLevel = 'debug' | 'info' | 'warning' | 'error';

export interface Note {
  level: NoteLevel;
  text: string;
}

export interface SoftState {
  view: number;
  primary: ReplicaId;
  activeView: boolean;
  lastExec: number;
  h: number;
  skipInProgress: boolean;
}

export interface Ready {
  /** Durable before any message of this Ready is sent. Values null are deletions. */
  persist: Map<string, Uint8Array | null>;
  messages: Outbound[];
  execute: ExecuteBatch | null;
  stateTransfer: StateTransferTarget | null;
  /** A change of whether state may be queried; null when unchanged. */
  stateValid: boolean | null;
  soft: SoftState;
  /** What happened worth logging: drops with their reasons, view changes, state transfer. */
  notes: Note[];
  notesDropped: number;
}
