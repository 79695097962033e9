// Membership services and one peer with security.enabled (noops), both in the test's process, on
// free ports of 127.0.0.1 with data in a temporary directory; users log in through the peer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreConfig } from '../../host/config/core-config.ts';
import { Membersrvc } from '../../host/membersrvc/membersrvc.ts';
import { Peer } from '../../host/peer/peer.ts';
import { emptyChaincodeSpec, type ChaincodeSpec } from '../../host/protocol/messages.ts';
import type { TransactionStatus } from '../../host/rest/server.ts';

export interface SecureFixture {
  ca: Membersrvc;
  peer: Peer;
  dir: string;
  waitFor(txid: string): Promise<TransactionStatus>;
  close(): Promise<void>;
}

export function spec(name: string, args: string[], user: string, extra: Partial<ChaincodeSpec> = {}): ChaincodeSpec {
  return { ...emptyChaincodeSpec(), chaincodeID: { path: '', name }, ctorMsg: { args: args.map((a) => new TextEncoder().encode(a)) }, secureContext: user, ...extra };
}

export interface SecureFixtureOptions {
  tcertBatchSize?: number;
  tcertReuse?: number;
  /** More CORE_* settings of the peer (e.g. CORE_SECURITY_PRIVACY). */
  env?: Record<string, string>;
}

export async function startSecureFixture(users: Record<string, string>, options: SecureFixtureOptions = {}): Promise<SecureFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-secure-'));
  const ca = await Membersrvc.start({ address: '127.0.0.1:0', storeDir: join(dir, 'ca') });
  const config = CoreConfig.load({
    env: {
      CORE_PEER_ID: 'vp0',
      CORE_PEER_FILESYSTEMPATH: join(dir, 'peer'),
      CORE_REST_ADDRESS: '127.0.0.1:0',
      CORE_PEER_VALIDATOR_EVENTS_ADDRESS: '127.0.0.1:0',
      CORE_NOOPS_BLOCK_WAIT: '20ms',
      CORE_SECURITY_ENABLED: 'true',
      CORE_SECURITY_ENROLLID: 'test_vp0',
      CORE_SECURITY_ENROLLSECRET: 'MwYpmSRjupbT',
      CORE_SECURITY_TCERTBATCH_SIZE: String(options.tcertBatchSize ?? 4),
      CORE_SECURITY_TCERTBATCH_REUSE: String(options.tcertReuse ?? 1),
      CORE_PEER_PKI_ECA_PADDR: ca.url,
      ...options.env,
    },
  });
  const peer = new Peer({ config });
  try {
    await peer.start();
    for (const [user, secret] of Object.entries(users)) await peer.security!.login(user, secret);
  } catch (error) {
    // What started must stop, or its servers keep the test process alive after the failure.
    await peer.stop().catch(() => undefined);
    await ca.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ca,
    peer,
    dir,
    async waitFor(txid) {
      for (let i = 0; i < 500; i++) {
        const status = await peer.transactionStatus(txid);
        if (status.status !== 'unknown') return status;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`transaction ${txid} neither committed nor rejected`);
    },
    async close() {
      await peer.stop();
      await ca.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
