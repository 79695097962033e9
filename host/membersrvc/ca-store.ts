// The CA's embedded store (LevelDB, like the ledger's): its own keys and certificates, the users
// with their enrollment state, and every certificate issued with its owner, so a revocation can
// list them. Values are JSON; bytes inside are base64.
import { Level } from 'level';

export interface StoredUser {
  id: string;
  roles: number;
  /** One-time enrollment secret; cleared when used. */
  secret: string;
  affiliation: string;
  registrar: { roles: number; delegateRoles: number } | null;
  /** 0 registered, 1 enrolled (Fabric's user state). */
  state: 0 | 1;
  revoked: boolean;
  /** SPKI DER of the enrollment key, base64 (once enrolled). */
  publicKey?: string;
  /** The TCert derivation key, base64 (once enrolled). */
  kdfKey?: string;
  ecertSerial?: string;
  registeredBy?: string;
}

export interface StoredCert {
  serial: string;
  kind: string;
  owner: string;
  der: string;
  revoked: boolean;
}

export class CaStore {
  readonly #db: Level<string, string>;

  private constructor(db: Level<string, string>) {
    this.#db = db;
  }

  static async open(dir: string): Promise<CaStore> {
    const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    try {
      await db.open();
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') throw new Error(`CA store ${dir} is locked: is another membersrvc running on it?`, { cause: error });
      throw new Error(`cannot open CA store ${dir}: ${cause?.message ?? (error as Error).message}`, { cause: error });
    }
    return new CaStore(db);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  async #get<T>(key: string): Promise<T | undefined> {
    const value = await this.#db.get(key);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  getMeta<T>(name: string): Promise<T | undefined> {
    return this.#get<T>(`meta/${name}`);
  }

  async putMeta(name: string, value: unknown): Promise<void> {
    await this.#db.put(`meta/${name}`, JSON.stringify(value));
  }

  getUser(id: string): Promise<StoredUser | undefined> {
    return this.#get<StoredUser>(`user/${id}`);
  }

  async putUser(user: StoredUser): Promise<void> {
    await this.#db.put(`user/${user.id}`, JSON.stringify(user));
  }

  async putCerts(certs: StoredCert[]): Promise<void> {
    await this.#db.batch(
      certs.flatMap((c) => [
        { type: 'put' as const, key: `cert/${c.serial}`, value: JSON.stringify(c) },
        { type: 'put' as const, key: `owned/${c.owner}/${c.serial}`, value: '' },
      ]),
    );
  }

  getCert(serial: string): Promise<StoredCert | undefined> {
    return this.#get<StoredCert>(`cert/${serial}`);
  }

  /** Marks every certificate of a user revoked; returns how many. */
  async revokeCertsOf(owner: string): Promise<number> {
    const ops: Array<{ type: 'put'; key: string; value: string }> = [];
    for await (const key of this.#db.keys({ gte: `owned/${owner}/`, lt: `owned/${owner}/\xff` })) {
      const serial = key.slice(`owned/${owner}/`.length);
      const cert = await this.getCert(serial);
      if (cert && !cert.revoked) {
        ops.push({ type: 'put', key: `cert/${serial}`, value: JSON.stringify({ ...cert, revoked: true }) });
        ops.push({ type: 'put', key: `revoked/${serial}`, value: '' });
      }
    }
    await this.#db.batch(ops);
    return ops.length / 2;
  }

  async revokedSerials(): Promise<string[]> {
    const serials: string[] = [];
    for await (const key of this.#db.keys({ gte: 'revoked/', lt: 'revoked/\xff' })) serials.push(key.slice('revoked/'.length));
    return serials;
  }
}
