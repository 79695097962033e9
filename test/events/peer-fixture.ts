// A real peer in the test's own process: noops, REST and event hub on free ports of 127.0.0.1,
// data in a temporary directory. Chaincode is deployed with its built module (npm run build),
// and each call waits until its transaction is committed or rejected, so block numbers are known.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreConfig } from '../../host/config/core-config.ts';
import { Peer } from '../../host/peer/peer.ts';
import { emptyChaincodeSpec, type ChaincodeSpec } from '../../host/protocol/messages.ts';
import type { TransactionStatus } from '../../host/rest/server.ts';
import { chaincode } from '../chaincode/built.ts';

export interface PeerFixture {
  peer: Peer;
  /** http://127.0.0.1:port */
  rest: string;
  /** 127.0.0.1:port of the event hub. */
  events: string;
  /** Deploys a built example chaincode; resolves with its name once committed. */
  deploy(name: string, args: string[]): Promise<string>;
  /** Invokes; resolves with the txid and its fate once committed or rejected. */
  invoke(chaincodeName: string, args: string[]): Promise<{ txid: string; status: TransactionStatus }>;
  close(): Promise<void>;
}

function spec(name: string, args: string[]): ChaincodeSpec {
  const base = emptyChaincodeSpec();
  return { ...base, chaincodeID: { path: '', name }, ctorMsg: { args: args.map((a) => new TextEncoder().encode(a)) } };
}

export async function startPeerFixture(env: Record<string, string> = {}): Promise<PeerFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-peer-'));
  const config = CoreConfig.load({
    env: {
      CORE_PEER_ID: 'vp0',
      CORE_PEER_FILESYSTEMPATH: dir,
      CORE_REST_ADDRESS: '127.0.0.1:0',
      CORE_PEER_VALIDATOR_EVENTS_ADDRESS: '127.0.0.1:0',
      CORE_NOOPS_BLOCK_WAIT: '20ms',
      ...env,
    },
  });
  const peer = new Peer({ config });
  await peer.start();
  const waitFor = async (txid: string): Promise<TransactionStatus> => {
    for (let i = 0; i < 500; i++) {
      const status = await peer.transactionStatus(txid);
      if (status.status !== 'unknown') return status;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`transaction ${txid} neither committed nor rejected`);
  };
  return {
    peer,
    rest: peer.restUrl ?? '',
    events: String(peer.status().events),
    async deploy(name, args) {
      const deployed = await peer.deploy({ ...spec('', args), chaincodeID: { path: `chaincode/${name}`, name: '' } }, chaincode(name));
      const status = await waitFor(deployed);
      if (status.status !== 'committed') throw new Error(`deploy of ${name} failed: ${JSON.stringify(status)}`);
      return deployed;
    },
    async invoke(chaincodeName, args) {
      const txid = await peer.invoke(spec(chaincodeName, args));
      return { txid, status: await waitFor(txid) };
    },
    async close() {
      await peer.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
