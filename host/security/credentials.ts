// Users' credentials kept by a peer, where Fabric kept them: the login token
// <fileSystemPath>/client/loginToken_<id> and the keys and certificates in
// <fileSystemPath>/crypto/client/<id>/. Directories are 0700 and files 0600: the enrollment key
// signs for the user. The enrollment id was checked against rest.validPatterns before it gets here.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaCertificates } from './ca-requests.ts';
import type { Enrollment } from './ca-client.ts';
import { chainPublicPointFrom } from './chain-key.ts';
import { EciesRecipient } from './ecies.ts';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const ENROLLMENT_FILE = 'enrollment.json';
/** Ids become file names: only these, whatever rest.validPatterns allows. */
const SAFE_ID = /^\w{1,64}$/;

function safeId(id: string): string {
  if (!SAFE_ID.test(id)) throw new Error(`Invalid enrollment ID "${id}": letters, digits and _ only`);
  return id;
}

interface StoredEnrollment {
  enrollId: string;
  privateKey: string;
  ecert: string;
  kdfKey: string;
  caCerts: CaCertificates;
  /** Privacy mode's chain public key (base64 point) and, for a validator, the chain private key (base64 scalar). */
  chainPublicKey?: string;
  chainPrivateKey?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function secureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: DIR_MODE });
  await chmod(path, DIR_MODE);
}

async function secureWrite(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: FILE_MODE });
  await chmod(path, FILE_MODE);
}

export class CredentialStore {
  readonly #dataDir: string;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  tokenPath(id: string): string {
    return join(this.#dataDir, 'client', `loginToken_${safeId(id)}`);
  }

  cryptoDir(id: string): string {
    return join(this.#dataDir, 'crypto', 'client', safeId(id));
  }

  isLoggedIn(id: string): Promise<boolean> {
    return SAFE_ID.test(id) ? exists(this.tokenPath(id)) : Promise.resolve(false);
  }

  /** Keeps an enrollment and writes the login token. */
  async save(enrollment: Enrollment): Promise<void> {
    await secureDir(join(this.#dataDir, 'crypto'));
    await secureDir(join(this.#dataDir, 'crypto', 'client'));
    await secureDir(this.cryptoDir(enrollment.enrollId));
    const stored: StoredEnrollment = {
      enrollId: enrollment.enrollId,
      privateKey: Buffer.from(enrollment.privateKey.export({ format: 'der', type: 'pkcs8' })).toString('base64'),
      ecert: Buffer.from(enrollment.ecert).toString('base64'),
      kdfKey: Buffer.from(enrollment.kdfKey).toString('base64'),
      caCerts: enrollment.caCerts,
      ...(enrollment.chainPublicKey ? { chainPublicKey: Buffer.from(enrollment.chainPublicKey).toString('base64') } : {}),
      ...(enrollment.chainPrivateKey ? { chainPrivateKey: Buffer.from(enrollment.chainPrivateKey.scalar()).toString('base64') } : {}),
    };
    await secureWrite(join(this.cryptoDir(enrollment.enrollId), ENROLLMENT_FILE), JSON.stringify(stored));
    await secureDir(join(this.#dataDir, 'client'));
    await secureWrite(this.tokenPath(enrollment.enrollId), enrollment.enrollId);
  }

  /** A logged-in user's enrollment, or undefined when the user has no token or no keys here. */
  async load(id: string): Promise<Enrollment | undefined> {
    if (!(await this.isLoggedIn(id))) return undefined;
    let stored: StoredEnrollment;
    try {
      stored = JSON.parse(await readFile(join(this.cryptoDir(id), ENROLLMENT_FILE), 'utf8')) as StoredEnrollment;
    } catch {
      return undefined;
    }
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: Buffer.from(stored.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
    } catch (error) {
      throw new Error(`the stored key of ${id} is damaged: ${(error as Error).message}`);
    }
    let chainPublicKey: Uint8Array | undefined;
    let chainPrivateKey: EciesRecipient | undefined;
    try {
      if (stored.chainPublicKey) chainPublicKey = chainPublicPointFrom(stored.chainPublicKey);
      if (stored.chainPrivateKey) chainPrivateKey = new EciesRecipient(new Uint8Array(Buffer.from(stored.chainPrivateKey, 'base64')));
    } catch (error) {
      throw new Error(`the stored chain key of ${id} is damaged: ${(error as Error).message}`);
    }
    return {
      enrollId: stored.enrollId,
      privateKey,
      ecert: new Uint8Array(Buffer.from(stored.ecert, 'base64')),
      kdfKey: new Uint8Array(Buffer.from(stored.kdfKey, 'base64')),
      caCerts: stored.caCerts,
      chainPublicKey,
      chainPrivateKey,
    };
  }

  /** Deletes the token and the user's crypto directory; false if the user was not logged in. */
  async remove(id: string): Promise<boolean> {
    const was = await this.isLoggedIn(id);
    await rm(this.tokenPath(id), { force: true });
    await rm(this.cryptoDir(id), { recursive: true, force: true });
    return was;
  }
}
