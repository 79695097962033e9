// A running membership services process: the CA opened on its store and its HTTP API listening.
// `weft membersrvc start` runs one in the foreground; tests and benches start one in-process.
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parseHostPort } from '../config/addresses.ts';
import { loadCaConfig, type CaConfig } from './ca-config.ts';
import { buildCaServer } from './ca-server.ts';
import { CertificateAuthority, type CaOptions } from './certificate-authority.ts';

export interface MembersrvcOptions extends CaOptions {
  /** membersrvc.yaml (default: the shipped file with Fabric's users). */
  configFile?: string | undefined;
  /** host:port to listen on instead of server.address. */
  address?: string | undefined;
  /** Store directory instead of server.rootpath/server.cadir. */
  storeDir?: string | undefined;
  /** Directory relative paths are resolved against. */
  cwd?: string;
}

export class Membersrvc {
  readonly ca: CertificateAuthority;
  readonly url: string;
  readonly #app: FastifyInstance;

  private constructor(ca: CertificateAuthority, app: FastifyInstance, url: string) {
    this.ca = ca;
    this.#app = app;
    this.url = url;
  }

  static async start(options: MembersrvcOptions = {}): Promise<Membersrvc> {
    const cwd = options.cwd ?? process.cwd();
    const loaded = loadCaConfig(options.configFile ? resolve(cwd, options.configFile) : undefined, {
      ...(options.address ? { address: options.address } : {}),
      ...(options.storeDir ? { storeDir: options.storeDir } : {}),
    });
    const config: CaConfig = { ...loaded, storeDir: resolve(cwd, loaded.storeDir) };
    const { host, port } = parseHostPort(config.address, 'server.address');
    const ca = await CertificateAuthority.open(config, options);
    const app = buildCaServer(ca);
    try {
      const address = await app.listen({ host, port });
      return new Membersrvc(ca, app, address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1'));
    } catch (error) {
      await ca.close();
      throw new Error(`membersrvc cannot listen on ${config.address}: ${(error as Error).message}`, { cause: error });
    }
  }

  async stop(): Promise<void> {
    await this.#app.close();
    await this.ca.close();
  }
}
