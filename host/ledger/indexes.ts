// The indexes key space (Fabric's indexesCF): block hash → block number and txid → (block
// number, index in block). A txid committed twice (outside the executor's dedup window) points
// at its latest block, as in Fabric.
import type { Transaction } from '../protocol/messages.ts';
import { blockHashIndexKey, decodeTxLocation, encodeTxLocation, readU64, txidIndexKey, u64 } from './key-spaces.ts';
import type { BatchOp, LedgerDb } from './level-db.ts';

export function blockIndexOps(blockNumber: number, blockHash: Uint8Array, transactions: Transaction[]): BatchOp[] {
  const ops: BatchOp[] = [{ type: 'put', key: blockHashIndexKey(blockHash), value: u64(blockNumber) }];
  for (let i = 0; i < transactions.length; i++) {
    ops.push({ type: 'put', key: txidIndexKey(transactions[i]!.txid), value: encodeTxLocation(blockNumber, i) });
  }
  return ops;
}

export async function blockNumberByHash(db: LedgerDb, blockHash: Uint8Array): Promise<number | undefined> {
  const value = await db.get(blockHashIndexKey(blockHash));
  return value === undefined ? undefined : readU64(value);
}

/** The txids among `txids` that the index holds, with their locations: one LevelDB read for all. */
export async function transactionLocations(db: LedgerDb, txids: readonly string[]): Promise<Map<string, { blockNumber: number; index: number }>> {
  const found = new Map<string, { blockNumber: number; index: number }>();
  if (txids.length === 0) return found;
  const values = await db.getMany(txids.map((txid) => txidIndexKey(txid)));
  for (let i = 0; i < txids.length; i++) {
    const value = values[i];
    if (value !== undefined) found.set(txids[i]!, decodeTxLocation(value));
  }
  return found;
}

export async function transactionLocation(db: LedgerDb, txid: string): Promise<{ blockNumber: number; index: number } | undefined> {
  const value = await db.get(txidIndexKey(txid));
  return value === undefined ? undefined : decodeTxLocation(value);
}
