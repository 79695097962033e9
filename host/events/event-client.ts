// A consumer of a peer's event hub (Fabric v0.6's events/consumer): connects, registers its
// interests, waits for the echo that acknowledges them (regTimeout clamped to 100 ms–60 s, as
// Fabric), then hands every event to the caller; more interests can be registered or
// unregistered later, each call resolving on the hub's echo. Used by `weft events listen`, the
// tests, and Node applications (README: "Subscribing from Node").
import WebSocket from 'ws';
import type { Interest } from './interests.ts';

/** Bytes of one event frame the client accepts (a block of large transactions is big). */
const EVENT_FRAME_BYTES_MAX = 64 * 1024 * 1024;
/** Milliseconds to wait for a peer's /weft/status when resolving its event hub address. */
const STATUS_TIMEOUT_MS = 5_000;

export type HubEvent =
  | { block: Record<string, unknown> & { blockNumber: number } }
  | { filteredBlock: { blockNumber: number; txids: string[]; stateHash?: string; previousBlockHash?: string; timestamp?: { seconds?: number; nanos?: number } } }
  | { chaincodeEvent: { chaincodeID?: string; txID?: string; eventName?: string; payload?: string } }
  | { rejection: { tx: Record<string, unknown>; errorMsg: string } };

export class EventClientError extends Error {
  override name = 'EventClientError';
}

export interface EventClientOptions {
  /** host:port of peer.validator.events.address, or a ws:// URL. */
  address: string;
  interests: Interest[];
  /** Milliseconds to wait for the registration echo. */
  registrationTimeoutMs?: number;
  onEvent: (event: HubEvent) => void;
  /** Called once when the connection ends after registration. */
  onDisconnect?: (reason: string) => void;
}

function clampRegistrationTimeout(ms: number): number {
  return Math.min(60_000, Math.max(100, ms));
}

export function eventsUrl(address: string): string {
  if (/^wss?:\/\//.test(address)) return address;
  return `ws://${address.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^:/, '127.0.0.1:')}`;
}

/**
 * The event hub address to use for a peer given as a URL: ws:// or wss:// is the hub itself;
 * http(s):// is the peer's REST API, whose /weft/status names its hub; host:port is the hub.
 */
export async function resolveEventsAddress(peer: string): Promise<string> {
  const trimmed = peer.trim();
  if (!/^https?:\/\//.test(trimmed)) return trimmed;
  const base = trimmed.replace(/\/+$/, '');
  let status: unknown;
  try {
    const response = await fetch(`${base}/weft/status`, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
    status = await response.json();
  } catch (error) {
    throw new EventClientError(`Cannot read ${base}/weft/status to find the peer's event hub: ${(error as Error).message}`);
  }
  const events = typeof status === 'object' && status !== null ? (status as { events?: unknown }).events : undefined;
  if (typeof events !== 'string' || events === '') {
    throw new EventClientError(`The peer at ${base} serves no event hub (only validating peers do)`);
  }
  // A hub bound to all interfaces is reached at the host the REST API was reached at.
  const host = new URL(base).hostname;
  return events.replace(/^(0\.0\.0\.0|127\.0\.0\.1|\[::\]|)(?=:\d+$)/, host.includes(':') ? `[${host}]` : host);
}

type Ack = { kind: 'register' | 'unregister'; resolve: () => void; reject: (error: Error) => void };

export class EventClient {
  readonly #socket: WebSocket;
  /** Registrations sent and not yet echoed, in order (the hub answers in order). */
  readonly #acks: Ack[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  /** Adds interests; resolves once the hub has echoed them. */
  register(interests: Interest[]): Promise<void> {
    return this.#change('register', interests);
  }

  /** Removes exactly these interests (the same chaincode id and event name); resolves on the echo. */
  unregister(interests: Interest[]): Promise<void> {
    return this.#change('unregister', interests);
  }

  #change(kind: 'register' | 'unregister', interests: Interest[]): Promise<void> {
    if (this.#socket.readyState !== WebSocket.OPEN) return Promise.reject(new EventClientError('The event hub connection is closed'));
    return new Promise((resolve, reject) => {
      this.#acks.push({ kind, resolve, reject });
      this.#socket.send(JSON.stringify({ [kind]: { events: interests } }));
    });
  }

  /** An echo or refusal for a later register/unregister; true if the message was one. */
  #settle(message: Record<string, unknown>): boolean {
    if ('error' in message) {
      for (const ack of this.#acks.splice(0)) ack.reject(new EventClientError(`The event hub refused the request: ${String(message.error)}`));
      return true;
    }
    const kind = 'register' in message ? 'register' : 'unregister' in message ? 'unregister' : undefined;
    if (kind === undefined) return false;
    const ack = this.#acks[0];
    if (ack?.kind === kind) {
      this.#acks.shift();
      ack.resolve();
    }
    return true;
  }

  #failPending(reason: string): void {
    for (const ack of this.#acks.splice(0)) ack.reject(new EventClientError(`The event hub connection closed: ${reason}`));
  }

  /** Connects and registers; resolves once the hub has acknowledged the interests. */
  static connect(options: EventClientOptions): Promise<EventClient> {
    const url = eventsUrl(options.address);
    const timeoutMs = clampRegistrationTimeout(options.registrationTimeoutMs ?? 5_000);
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { maxPayload: EVENT_FRAME_BYTES_MAX });
      let registered = false;
      let client: EventClient | undefined;
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new EventClientError(`Timeout waiting for the event hub at ${url} to acknowledge the registration`));
      }, timeoutMs);
      socket.once('open', () => socket.send(JSON.stringify({ register: { events: options.interests } })));
      socket.on('message', (data) => {
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(String(data)) as Record<string, unknown>;
        } catch {
          return;
        }
        if (!registered) {
          if ('error' in message) {
            clearTimeout(timer);
            reject(new EventClientError(`The event hub refused the registration: ${String(message.error)}`));
            return;
          }
          if ('register' in message) {
            registered = true;
            clearTimeout(timer);
            client = new EventClient(socket);
            resolve(client);
          }
          return;
        }
        if (client !== undefined && client.#settle(message)) return;
        if ('block' in message || 'filteredBlock' in message || 'chaincodeEvent' in message || 'rejection' in message) options.onEvent(message as HubEvent);
      });
      socket.once('error', (error) => {
        if (registered) return;
        clearTimeout(timer);
        const code = (error as NodeJS.ErrnoException).code;
        reject(new EventClientError(`Cannot reach the event hub at ${url}: ${code ?? error.message}`));
      });
      socket.once('close', (code, reason) => {
        if (!registered) return;
        const why = reason.toString() || `connection closed (${code})`;
        if (client !== undefined) client.#failPending(why);
        options.onDisconnect?.(why);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#socket.readyState === WebSocket.CLOSED) return resolve();
      this.#socket.once('close', () => resolve());
      this.#socket.close();
    });
  }
}
