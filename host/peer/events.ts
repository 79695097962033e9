// What a peer announces as it commits: blocks, chaincode events and rejected transactions
// (Fabric v0.6's BLOCK, CHAINCODE and REJECTION events). The event hub, REST waiters and
// metrics subscribe here.
import { EventEmitter } from 'node:events';
import type { ChaincodeEvent, Transaction } from '../protocol/messages.ts';
import type { CommittedBlock } from '../ledger/types.ts';

export interface RejectionEvent {
  transaction: Transaction;
  error: string;
  /** The block the transaction was left out of. */
  blockNumber: number;
}

export interface PeerEventMap {
  block: [CommittedBlock];
  chaincodeEvent: [ChaincodeEvent, number];
  rejection: [RejectionEvent];
}

export class PeerEvents extends EventEmitter<PeerEventMap> {
  constructor() {
    super();
    // Subscribers are the event hub's consumers; their number is bounded there, not here.
    this.setMaxListeners(0);
  }
}
