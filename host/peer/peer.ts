// The peer's composition root: opens the ledger, the chaincode runtime and the executor, starts the
// consensus plugin and the REST API, and stops them in reverse order. It is also the PeerApi the
// REST layer serves.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ConsensusPlugin } from '../../network/consensus.ts';
import { loadChaincodeCode } from '../chaincode/build.ts';
import { parseHostPort } from '../config/addresses.ts';
import type { CoreConfig } from '../config/core-config.ts';
import { EventHub } from '../events/event-hub.ts';
import { deployedChaincodes, registerExplorerRoutes } from '../explorer/explorer-routes.ts';
import { PeerHeights } from '../explorer/peer-heights.ts';
import { Ledger } from '../ledger/ledger.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { registerMetricsRoute } from '../metrics/metrics-route.ts';
import { PeerMetrics } from '../metrics/peer-metrics.ts';
import { processExists } from '../process-exists.ts';
import { TransactionCodec, type Block, type BlockchainInfo, type ChaincodeSpec, type Transaction } from '../protocol/messages.ts';
import { buildRestServer, type PeerApi, type PeerEndpoint, type TransactionStatus } from '../rest/server.ts';
import { ChaincodeRuntime } from '../runtime/runtime.ts';
import type { CallerIdentity } from '../runtime/types.ts';
import { PeerSecurity } from '../security/peer-security.ts';
import { PrivacyMode, PrivacyModeError, privacySettingsProblem } from '../security/privacy-mode.ts';
import type { RegistrarApi } from '../rest/registrar.ts';
import type { SecureOptions } from '../rest/server.ts';
import { setUpConsensus, type ConsensusParts } from './consensus-setup.ts';
import { PeerEvents } from './events.ts';
import { Executor, notDeployedMessage } from './executor.ts';
import { newDeployTransaction, newInvokeTransaction, timestampNow } from './transactions.ts';

/** Deploys submitted through this peer and not yet committed or rejected, so an invoke right after is accepted. */
const PENDING_DEPLOYS_MAX = 10_000;

export interface PeerOptions {
  config: CoreConfig;
  logger?: Logger;
  /** Directory chaincode paths given over REST are resolved against (default: the process's). */
  cwd?: string;
}

export class PeerAlreadyRunningError extends Error {
  override name = 'PeerAlreadyRunningError';
}

export class Peer implements PeerApi {
  readonly config: CoreConfig;
  readonly id: string;
  readonly dataDir: string;
  readonly events = new PeerEvents();
  readonly log: Logger;
  readonly securityEnabled: boolean;
  /** GET /metrics: counters from the events and hooks below, gauges read from status(). */
  readonly metrics: PeerMetrics;
  readonly #cwd: string;
  #ledger: Ledger | undefined;
  #runtime: ChaincodeRuntime | undefined;
  #executor: Executor | undefined;
  #consensus: ConsensusPlugin | undefined;
  #parts: ConsensusParts | undefined;
  #rest: FastifyInstance | undefined;
  #restAddress: string | undefined;
  #eventHub: EventHub | undefined;
  #eventsAddress: string | undefined;
  readonly #pendingDeploys = new Set<string>();
  /** Membership services on this peer (security.enabled), once started. */
  #security: PeerSecurity | undefined;
  /** Privacy mode (security.privacy) of this peer, once security started. */
  #privacy: PrivacyMode | undefined;

  constructor(options: PeerOptions) {
    this.config = options.config;
    this.id = options.config.string('peer.id');
    this.log = options.logger ?? silentLogger;
    this.#cwd = options.cwd ?? process.cwd();
    this.dataDir = resolve(this.#cwd, options.config.string('peer.fileSystemPath'));
    this.securityEnabled = options.config.bool('security.enabled');
    this.metrics = new PeerMetrics(
      this.events,
      {
        height: () => this.#ledger?.height() ?? 0,
        consensus: () => this.#consensus?.status() ?? null,
        connectedPeers: () => this.#parts?.transport?.connected().length ?? 0,
        eventHub: () => this.#eventHub?.stats(),
      },
      { peerId: this.id, validator: options.config.bool('peer.validator.enabled') },
    );
  }

  get pidFile(): string {
    return join(this.dataDir, 'peer.pid');
  }

  /** The REST server's address once listening (e.g. http://127.0.0.1:7050). */
  get restUrl(): string | undefined {
    return this.#restAddress;
  }

  get executor(): Executor {
    if (!this.#executor) throw new Error('peer not started');
    return this.#executor;
  }

  get ledger(): Ledger {
    if (!this.#ledger) throw new Error('peer not started');
    return this.#ledger;
  }

  async start(): Promise<void> {
    const privacyProblem = privacySettingsProblem(this.config.bool('security.privacy'), this.securityEnabled);
    if (privacyProblem !== undefined) throw new PrivacyModeError(privacyProblem);
    await mkdir(this.dataDir, { recursive: true });
    await this.#claimPidFile();
    try {
      this.#ledger = await Ledger.open(join(this.dataDir, 'db'), {
        deltaHistorySize: this.config.number('ledger.state.deltaHistorySize'),
      });
      this.#runtime = new ChaincodeRuntime();
      this.#executor = new Executor(this.#ledger, this.#runtime, this.events, { onFuel: (fuel) => this.metrics.addFuel(fuel) });
      this.metrics.start();
      await this.#executor.open();
      if (this.securityEnabled) await this.#startSecurity(this.#executor);
      this.events.on('block', ({ block }) => this.#forgetCommittedDeploys(block.transactions));
      this.events.on('rejection', ({ transaction }) => this.#pendingDeploys.delete(transaction.txid));
      this.#parts = await setUpConsensus({
        config: this.config,
        dataDir: this.dataDir,
        ledger: this.#ledger,
        executor: this.#executor,
        log: this.log,
        security: this.#security,
        onBatchExecuted: (timing) => this.metrics.observeBatch(timing),
      });
      this.#consensus = this.#parts.consensus;
      await this.#consensus.start();
      if (this.config.bool('rest.enabled')) await this.#startRest();
      // Fabric runs the event hub on validating peers only.
      if (this.config.bool('peer.validator.enabled')) await this.#startEventHub();
      const info = this.#ledger.blockchainInfo();
      this.log.notice('Peer started', {
        id: this.id,
        height: info.height,
        rest: this.#restAddress ?? 'disabled',
        events: this.#eventsAddress ?? 'disabled',
        data: this.dataDir,
      });
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.metrics.stop();
    await this.#rest?.close();
    this.#rest = undefined;
    await this.#eventHub?.close();
    this.#eventHub = undefined;
    await this.#consensus?.stop();
    this.#consensus = undefined;
    await this.#parts?.stop();
    this.#parts = undefined;
    this.#security?.stop();
    this.#security = undefined;
    await this.#ledger?.close();
    this.#ledger = undefined;
    await this.#releasePidFile();
    this.log.notice('Peer stopped', { id: this.id });
  }

  /** Enrolls the peer, pins the CA certificates, and makes every transaction pass the security checks before it runs. */
  async #startSecurity(executor: Executor): Promise<void> {
    const security = new PeerSecurity({ config: this.config, dataDir: this.dataDir, log: this.log.child('security') });
    await security.start();
    this.#security = security;
    const privacy = PrivacyMode.forPeer({ privacy: this.config.bool('security.privacy'), validator: this.config.bool('peer.validator.enabled'), enrollment: security.enrollment });
    this.#privacy = privacy;
    executor.setChaincodeRecords(privacy.chaincodeRecords());
    executor.setAdmission((transaction, seen) => privacy.admit(transaction, security.checkForExecution(transaction, seen)));
  }

  /** Membership services of this peer; undefined while security is off. */
  get security(): PeerSecurity | undefined {
    return this.#security;
  }

  /** /registrar: logins on this peer (Fabric's Devops Login). */
  get registrar(): RegistrarApi {
    const pattern = new RegExp(this.config.string('rest.validPatterns.enrollmentID') || '^\\w+$');
    const need = (): PeerSecurity => {
      if (!this.#security) throw new Error('Security functionality must be enabled.');
      return this.#security;
    };
    return {
      securityEnabled: this.securityEnabled,
      enrollmentIdPattern: pattern,
      login: (id, secret) => need().login(id, secret),
      isLoggedIn: async (id) => (this.#security ? this.#security.isLoggedIn(id) : false),
      logout: (id) => need().logout(id),
      ecertPem: (id) => need().ecertPem(id),
      tcertsPem: (id, count) => need().tcertsPem(id, count),
    };
  }

  /** With security on: the transaction signed for its secureContext user, checked as a validator will. */
  async #secure(transaction: Transaction, spec: ChaincodeSpec, options: SecureOptions): Promise<Transaction> {
    if (!this.#security) return transaction;
    // With privacy, encrypted after any metadata signature (made over the plaintext payload) and before the TCert signature.
    const encrypt = this.#privacy?.encrypt;
    const signed = await this.#security.sign(transaction, spec.secureContext, spec.attributes, encrypt ? { ...options, encrypt } : options);
    const checked = this.#security.checkForSubmission(signed);
    if (!checked.ok) throw new Error(checked.error);
    return signed;
  }

  async #queryCaller(spec: ChaincodeSpec, options: SecureOptions): Promise<CallerIdentity | null> {
    if (!this.#security) return null;
    return this.#security.queryCaller(newInvokeTransaction(spec, timestampNow()), spec.secureContext, spec.attributes, options);
  }

  async #claimPidFile(): Promise<void> {
    try {
      const pid = Number((await readFile(this.pidFile, 'utf8')).trim());
      if (Number.isInteger(pid) && pid !== process.pid && processExists(pid)) {
        throw new PeerAlreadyRunningError(`A peer is already running on ${this.dataDir} (pid ${pid})`);
      }
    } catch (error) {
      if (error instanceof PeerAlreadyRunningError) throw error;
    }
    await writeFile(this.pidFile, `${process.pid}\n`);
  }

  async #releasePidFile(): Promise<void> {
    try {
      if (Number((await readFile(this.pidFile, 'utf8')).trim()) === process.pid) await rm(this.pidFile, { force: true });
    } catch {
      // No pid file: nothing to release.
    }
  }

  async #startRest(): Promise<void> {
    const { host, port } = parseHostPort(this.config.string('rest.address'), 'rest.address');
    const heights = new PeerHeights(() => this.#parts?.transport);
    this.#rest = buildRestServer(this, {
      onResponse: (sample) => this.metrics.observeRequest(sample),
      routes: [
        (app) => registerMetricsRoute(app, this.metrics),
        (app) =>
          registerExplorerRoutes(app, {
            height: () => this.ledger.height(),
            getBlock: (n) => this.ledger.getBlock(n),
            getBlockHash: (n) => this.ledger.getBlockHash(n),
            getTransaction: (txid) => this.ledger.getTransaction(txid),
            transactionStatus: (txid) => this.transactionStatus(txid),
            chaincodes: (after) => deployedChaincodes(this.ledger, after),
            status: () => this.status(),
            peerHeights: () => heights.list(),
          }),
      ],
    });
    const address = await this.#rest.listen({ host, port });
    this.#restAddress = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
  }

  async #startEventHub(): Promise<void> {
    const { host, port } = parseHostPort(this.config.string('peer.validator.events.address'), 'peer.validator.events.address');
    this.#eventHub = new EventHub(this.events, {
      bufferSize: this.config.number('peer.validator.events.buffersize'),
      timeoutMs: this.config.number('peer.validator.events.timeout'),
      log: this.log.child('events'),
    });
    this.#eventsAddress = await this.#eventHub.listen(host, port);
  }

  #forgetCommittedDeploys(transactions: Transaction[]): void {
    if (this.#pendingDeploys.size === 0) return;
    for (const transaction of transactions) this.#pendingDeploys.delete(transaction.txid);
  }

  // ---- PeerApi (served over REST)

  async deploy(spec: ChaincodeSpec, codePackage: Uint8Array | undefined, options: SecureOptions = {}): Promise<string> {
    const code = codePackage ?? (await loadChaincodeCode(resolve(this.#cwd, spec.chaincodeID.path)));
    const transaction = newDeployTransaction(spec, code, timestampNow());
    const name = transaction.txid;
    if (this.executor.isDeployed(name)) throw new Error(`deploy attempted but a chaincode with same name running ${name}`);
    // Every peer prepares the module again when it executes the deploy; doing it here first
    // answers the client with the reason at once instead of a silent rejection later.
    // The runtime caches the prepared module by code hash, so execution does not prepare it twice.
    if (!this.#runtime) throw new Error('peer is not running');
    this.#runtime.prepare(code);
    await this.#submit(await this.#secure(transaction, spec, options));
    if (this.#pendingDeploys.size < PENDING_DEPLOYS_MAX) this.#pendingDeploys.add(name);
    return name;
  }

  async invoke(spec: ChaincodeSpec, idGenerationAlg = '', options: SecureOptions = {}): Promise<string> {
    const name = spec.chaincodeID.name;
    // A lone peer knows every deploy, so it can refuse at once. In a network the deploy may have been
    // sent through another peer and not be committed here yet: as Fabric, submit, and let execution
    // reject the invoke if the chaincode really does not exist.
    if (!this.#parts?.transport && !this.executor.isDeployed(name) && !this.#pendingDeploys.has(name)) throw new Error(notDeployedMessage(name));
    const transaction = newInvokeTransaction(spec, timestampNow(), idGenerationAlg);
    await this.#submit(await this.#secure(transaction, spec, options));
    return transaction.txid;
  }

  async query(spec: ChaincodeSpec, options: SecureOptions = {}): Promise<Uint8Array> {
    return this.executor.query(spec, await this.#queryCaller(spec, options));
  }

  async #submit(transaction: Transaction): Promise<void> {
    if (!this.#consensus) throw new Error('peer is not running');
    await this.#consensus.submit(TransactionCodec.encode(transaction));
  }

  blockchainInfo(): BlockchainInfo {
    return this.ledger.blockchainInfo();
  }

  getBlock(blockNumber: number): Promise<Block | undefined> {
    return this.ledger.getBlock(blockNumber);
  }

  async getTransaction(txid: string): Promise<Transaction | undefined> {
    return (await this.ledger.getTransaction(txid))?.transaction;
  }

  /** The connected members of the network and, last, this peer (Fabric's /network/peers). */
  peers(): PeerEndpoint[] {
    const others: PeerEndpoint[] = (this.#parts?.transport?.connected() ?? []).map((peer) => ({
      ID: { name: peer.id },
      address: peer.address,
      type: peer.validator ? 1 : 2,
      pkiID: peer.pkiID,
    }));
    const self: PeerEndpoint = { ID: { name: this.id }, address: this.config.string('peer.address'), type: this.config.bool('peer.validator.enabled') ? 1 : 2 };
    return [...others, self];
  }

  /** The peer's id, chain height and consensus and transport figures (GET /weft/status). */
  status(): Record<string, unknown> {
    return {
      id: this.id,
      height: this.#ledger?.height() ?? 0,
      state: this.#ledger?.stateStatus(),
      consensus: this.#consensus?.status() ?? null,
      // The event hub's host:port (the explorer's live updates connect to it); null where none runs.
      events: this.#eventsAddress ?? null,
      transport: this.#parts?.transport?.stats() ?? null,
    };
  }

  transactionStatus(txid: string): Promise<TransactionStatus> {
    return this.executor.transactionStatus(txid);
  }
}
