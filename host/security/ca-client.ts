// A member's client of the CA's HTTP API (host/membersrvc/ca-server.ts): enrolls, asks for TCert
// batches and a validator certificate, registers and revokes users. Each signed request is built
// with the member's enrollment key from host/security/ca-requests.ts.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  registerRequestBytes,
  requestBytes,
  revokeRequestBytes,
  tcertRequestBytes,
  validatorCertRequestBytes,
  type CaCertificates,
  type EnrollResponse,
  type NewUser,
  type RevocationList,
  type TCertResponse,
} from './ca-requests.ts';
import { signBytes } from './keys.ts';
import { chainPublicPointFrom, openChainKey } from './chain-key.ts';
import type { EciesRecipient } from './ecies.ts';

export class CaClientError extends Error {
  override name = 'CaClientError';
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

const CA_TIMEOUT_MS = 30_000;
/** A sealed chain private key is 113 bytes (152 in base64). */
const CHAIN_PRIVATE_KEY_B64_MAX = 256;

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** http://host:port from "host:port" (0.0.0.0 → 127.0.0.1) or a URL. */
export function caBaseUrl(address: string): string {
  const trimmed = address.trim().replace(/\/+$/, '');
  if (/^https?:\/\//.test(trimmed)) return trimmed;
  return `http://${trimmed.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^:/, '127.0.0.1:')}`;
}

export interface Enrollment {
  enrollId: string;
  privateKey: KeyObject;
  ecert: Uint8Array;
  kdfKey: Uint8Array;
  caCerts: CaCertificates;
  /** Privacy mode's chain public key (uncompressed point); absent from enrollments kept before weft had one. */
  chainPublicKey?: Uint8Array | undefined;
  /** The chain private key: enrollments with the validator role only. */
  chainPrivateKey?: EciesRecipient | undefined;
}

export interface IssuedTCert {
  der: Uint8Array;
  nonce: Uint8Array;
}

export class CaClient {
  readonly baseUrl: string;

  constructor(address: string) {
    this.baseUrl = caBaseUrl(address);
  }

  async #call(path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(CA_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      throw new CaClientError(`Cannot reach membership services at ${this.baseUrl}: ${cause?.code ?? (error as Error).message}`, 0);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CaClientError(`Membership services at ${this.baseUrl} answered ${path} with something that is not JSON (HTTP ${response.status})`, response.status);
    }
    if (response.status !== 200) throw new CaClientError((parsed as { Error?: string }).Error ?? `HTTP ${response.status}`, response.status);
    return parsed;
  }

  async caCertificates(): Promise<CaCertificates> {
    return (await this.#call('/ca/certs')) as CaCertificates;
  }

  /** Enrolls with a fresh P-256 key; the private key never leaves this process. */
  async enroll(enrollId: string, enrollSecret: string): Promise<Enrollment> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = b64(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
    const signature = b64(signBytes(privateKey, requestBytes('enroll', [enrollId, spki])));
    const answer = (await this.#call('/eca/enroll', { enrollId, enrollSecret, publicKey: spki, signature })) as EnrollResponse;
    let chainPublicKey: Uint8Array;
    let chainPrivateKey: EciesRecipient | undefined;
    try {
      chainPublicKey = chainPublicPointFrom(answer.chainPublicKey);
      if (answer.chainPrivateKey !== undefined) {
        if (typeof answer.chainPrivateKey !== 'string' || answer.chainPrivateKey.length > CHAIN_PRIVATE_KEY_B64_MAX) throw new Error('the sealed chain private key in the enrollment answer is not base64 of a sealed key');
        chainPrivateKey = openChainKey(new Uint8Array(Buffer.from(answer.chainPrivateKey, 'base64')), privateKey, enrollId, chainPublicKey);
      }
    } catch (error) {
      throw new CaClientError(`Membership services at ${this.baseUrl}: ${(error as Error).message}`, 200);
    }
    return {
      enrollId,
      privateKey,
      ecert: new Uint8Array(Buffer.from(answer.ecert, 'base64')),
      kdfKey: new Uint8Array(Buffer.from(answer.kdfKey, 'base64')),
      caCerts: answer.caCerts,
      chainPublicKey,
      chainPrivateKey,
    };
  }

  async tcerts(enrollment: Pick<Enrollment, 'enrollId' | 'privateKey'>, count: number, attributes: string[] = []): Promise<Uint8Array[]> {
    return (await this.tcertBatch(enrollment, count, attributes)).map((t) => t.der);
  }

  /** A batch of TCerts with each one's derivation nonce; an answer of the wrong shape is refused. */
  async tcertBatch(enrollment: Pick<Enrollment, 'enrollId' | 'privateKey'>, count: number, attributes: string[] = []): Promise<IssuedTCert[]> {
    const body = { enrollId: enrollment.enrollId, count, attributes, timestamp: Date.now() };
    const signature = b64(signBytes(enrollment.privateKey, tcertRequestBytes(body)));
    const answer = (await this.#call('/tca/tcerts', { ...body, signature })) as Partial<TCertResponse>;
    const { tcerts, nonces } = answer;
    if (!Array.isArray(tcerts) || !Array.isArray(nonces) || tcerts.length !== count || nonces.length !== count || [...tcerts, ...nonces].some((t) => typeof t !== 'string')) {
      throw new CaClientError(`Membership services at ${this.baseUrl} answered a TCert request with something other than ${count} certificates and nonces`, 200);
    }
    return tcerts.map((t, i) => ({ der: new Uint8Array(Buffer.from(t, 'base64')), nonce: new Uint8Array(Buffer.from(nonces[i]!, 'base64')) }));
  }

  async validatorCert(enrollment: Pick<Enrollment, 'enrollId' | 'privateKey'>, peerPublicKey: Uint8Array): Promise<Uint8Array> {
    const body = { enrollId: enrollment.enrollId, peerPublicKey: b64(peerPublicKey), timestamp: Date.now() };
    const signature = b64(signBytes(enrollment.privateKey, validatorCertRequestBytes(body)));
    const answer = (await this.#call('/tlsca/validator', { ...body, signature })) as { cert: string };
    return new Uint8Array(Buffer.from(answer.cert, 'base64'));
  }

  async register(registrar: Pick<Enrollment, 'enrollId' | 'privateKey'>, user: NewUser): Promise<string> {
    const body = { registrar: registrar.enrollId, user, timestamp: Date.now() };
    const signature = b64(signBytes(registrar.privateKey, registerRequestBytes(body)));
    return ((await this.#call('/eca/register', { ...body, signature })) as { secret: string }).secret;
  }

  async revoke(registrar: Pick<Enrollment, 'enrollId' | 'privateKey'>, target: string): Promise<number> {
    const body = { registrar: registrar.enrollId, target, timestamp: Date.now() };
    const signature = b64(signBytes(registrar.privateKey, revokeRequestBytes(body)));
    return ((await this.#call('/eca/revoke', { ...body, signature })) as { revoked: number }).revoked;
  }

  async revocationList(): Promise<RevocationList> {
    return (await this.#call('/eca/crl')) as RevocationList;
  }
}
