// Chooses and wires the peer's consensus, as Fabric's peer did from peer.validator.*:
// - a lone peer (no members, noops): noops, no transport;
// - a validating peer of a network: the libp2p transport, state transfer served and used, and
//   the pbft plugin (or noops broadcasting its transactions to the other validators);
// - a non-validating peer: the transport, forwarding of client transactions to validators, and
//   a chain follower that keeps its ledger current.
import type { ConsensusPlugin, PbftStack } from '../../network/consensus.ts';
import { ForwardingConsensus } from '../../network/forward/forwarding-consensus.ts';
import { NoopsConsensus } from '../../network/noops/noops.ts';
import type { BatchTiming } from '../../network/pbft/batch-timing.ts';
import { readPbftConfig } from '../../network/pbft/config.ts';
import { PbftConsensus, type PbftLog } from '../../network/pbft/pbft-plugin.ts';
import type { Libp2pTransport } from '../../network/transport/libp2p-transport.ts';
import type { CoreConfig } from '../config/core-config.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Logger } from '../logging.ts';
import { TRANSACTION_BYTES_MAX } from '../protocol/limits.ts';
import { ChainFollower } from './chain-follower.ts';
import type { Executor } from './executor.ts';
import type { PeerSecurity } from '../security/peer-security.ts';
import { createPeerTransport, networked } from './peer-transport.ts';
import { StateTransfer, StateTransferServer } from './state-transfer.ts';

/** Milliseconds between a non-validating peer's rounds of asking validators for their heads. */
const FOLLOW_PERIOD_MS = 500;
/** Milliseconds between attempts to repair a state left behind by an interrupted transfer. */
const STATE_REPAIR_RETRY_MS = 2_000;

export interface ConsensusParts {
  consensus: ConsensusPlugin;
  transport: Libp2pTransport | undefined;
  /** Stops what the parts started, in reverse order (the plugin is stopped by the peer first). */
  stop(): Promise<void>;
}

interface SetupInput {
  config: CoreConfig;
  dataDir: string;
  ledger: Ledger;
  executor: Executor;
  log: Logger;
  /** Membership services (security.enabled): members are admitted by their validator certificate. */
  security?: PeerSecurity | undefined;
  /** Each PBFT batch executed here, with its ordering and execution times (the peer's metrics). */
  onBatchExecuted?: (timing: BatchTiming) => void;
}

function pluginName(config: CoreConfig): 'noops' | 'pbft' {
  // Fabric falls back to noops for an unknown plugin name.
  return config.string('peer.validator.consensus.plugin').trim().toLowerCase() === 'pbft' ? 'pbft' : 'noops';
}

function noops(input: SetupInput, broadcast?: (transaction: Uint8Array) => void): NoopsConsensus {
  const { config, executor, log } = input;
  return new NoopsConsensus(
    { execute: (batch) => executor.executeBatch(batch), head: () => executor.head() },
    {
      blockSize: config.number('noops.block.size'),
      blockWaitMs: config.durationMs('noops.block.wait'),
      queueMax: Math.max(config.number('peer.validator.consensus.buffersize'), config.number('noops.block.size') * 20),
      onError: (error) => log.error('Batch execution failed', { error: error.message }),
      ...(broadcast ? { broadcast } : {}),
    },
  );
}

function stateTransferFor(input: SetupInput, transport: Libp2pTransport): StateTransfer {
  const { config, ledger, log } = input;
  return new StateTransfer(ledger, transport, {
    blocksPerRequest: config.number('statetransfer.blocksperrequest'),
    maxDeltas: config.number('statetransfer.maxdeltas'),
    blockTimeoutMs: config.durationMs('statetransfer.timeout.singleblock'),
    snapshotTimeoutMs: config.durationMs('statetransfer.timeout.fullstate'),
    log: log.child('statetransfer'),
  });
}

function pbftLog(log: Logger): PbftLog {
  return (level, message, fields) => log[level](message, fields);
}

export async function setUpConsensus(input: SetupInput): Promise<ConsensusParts> {
  const { config, dataDir, ledger, executor, log } = input;
  if (!networked(config)) {
    if (config.string('peer.validator.consensus.plugin').trim().toLowerCase() !== 'noops') {
      log.warning(`Consensus plugin "${config.string('peer.validator.consensus.plugin')}" is unknown; using noops, as Fabric does`);
    }
    return { consensus: noops(input), transport: undefined, stop: async () => {} };
  }

  const plugin = pluginName(config);
  const validator = config.bool('peer.validator.enabled');
  const transport = await createPeerTransport(config, dataDir, log.child('transport'), input.security);
  const server = new StateTransferServer(ledger, { snapshotIdleMs: config.durationMs('statetransfer.timeout.fullstate') });
  transport.onRequest('sync', (from, payload) => server.handle(from, payload));
  const transfer = stateTransferFor(input, transport);
  const validatorIds = (): string[] => transport.connected().filter((peer) => peer.validator).map((peer) => peer.id);

  let consensus: ConsensusPlugin;
  let follower: ChainFollower | undefined;
  if (!validator) {
    const f = plugin === 'pbft' ? config.number('pbft.general.f') : 0;
    consensus = new ForwardingConsensus(transport, { plugin, fanout: f + 1, transactionBytesMax: TRANSACTION_BYTES_MAX });
    follower = new ChainFollower(transfer, transport, ledger, {
      periodMs: FOLLOW_PERIOD_MS,
      f,
      timeoutMs: config.durationMs('statetransfer.timeout.singleblock'),
      log: log.child('follower'),
      onStateValid: (valid) => executor.setStateValid(valid),
    });
  } else if (plugin === 'pbft') {
    const stack: PbftStack = {
      execute: (batch) => executor.executeBatch(batch),
      head: () => executor.head(),
      storage: { load: (prefix) => ledger.loadPersist(prefix), write: (changes) => ledger.writePersist(changes) },
      syncTo: (target, peers) => transfer.syncTo(target, peers),
      setStateValid: (valid) => executor.setStateValid(valid),
    };
    const options = input.onBatchExecuted === undefined ? {} : { onBatchExecuted: input.onBatchExecuted };
    consensus = new PbftConsensus(stack, transport, transport.signer, readPbftConfig(config, config.string('peer.id')), pbftLog(log.child('pbft')), options);
  } else {
    const plugin = noops(input, (transaction) => transport.broadcast('transaction', transaction));
    transport.onMessage('transaction', (_from, transaction) => plugin.receive(transaction));
    consensus = plugin;
  }

  await transport.start();
  follower?.start();
  const repair = repairInterruptedTransfer(ledger, transfer, executor, validatorIds, log);
  return {
    consensus,
    transport,
    async stop() {
      repair.stop();
      await follower?.stop();
      await transport.stop();
    },
  };
}

/**
 * A transfer interrupted by a crash leaves the state behind the chain (the ledger refuses commits
 * until it is at the head again). Bring it to the head from the other peers, retrying until one
 * can serve it; queries are refused meanwhile.
 */
function repairInterruptedTransfer(ledger: Ledger, transfer: StateTransfer, executor: Executor, peers: () => string[], log: Logger): { stop(): void } {
  if (!ledger.stateStatus().behind) return { stop() {} };
  executor.setStateValid(false);
  log.warning('The world state is behind the chain (an interrupted state transfer); fetching it from the other peers', {
    stateBlock: ledger.stateStatus().blockNumber,
    height: ledger.height(),
  });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = async (): Promise<void> => {
    const head = ledger.head();
    try {
      await transfer.syncTo({ height: head.height, blockHash: head.blockHash }, peers());
      executor.setStateValid(true);
      log.notice('The world state is at the head block again');
    } catch (error) {
      log.warning('Could not fetch the world state yet', { error: (error as Error).message });
      if (!stopped) timer = setTimeout(() => void attempt(), STATE_REPAIR_RETRY_MS);
    }
  };
  timer = setTimeout(() => void attempt(), STATE_REPAIR_RETRY_MS);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
