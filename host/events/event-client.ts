// A consumer of a peer's event hub (Fabric v0.6's events/consumer): connects, registers its
// interests, waits for the echo that acknowledges them (regTimeout clamped to 100 ms–60 s, as
// Fabric), then hands every event to the caller. Used by `weft events listen` and the tests.
import WebSocket from 'ws';
import type { Interest } from './interests.ts';

export type HubEvent =
  | { block: Record<string, unknown> & { blockNumber: number } }
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

export class EventClient {
  readonly #socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  /** Connects and registers; resolves once the hub has acknowledged the interests. */
  static connect(options: EventClientOptions): Promise<EventClient> {
    const url = eventsUrl(options.address);
    const timeoutMs = clampRegistrationTimeout(options.registrationTimeoutMs ?? 5_000);
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
      let registered = false;
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
            resolve(new EventClient(socket));
          }
          return;
        }
        if ('block' in message || 'chaincodeEvent' in message || 'rejection' in message) options.onEvent(message as HubEvent);
      });
      socket.once('error', (error) => {
        if (registered) return;
        clearTimeout(timer);
        const code = (error as NodeJS.ErrnoException).code;
        reject(new EventClientError(`Cannot reach the event hub at ${url}: ${code ?? error.message}`));
      });
      socket.once('close', (code, reason) => {
        if (registered) options.onDisconnect?.(reason.toString() || `connection closed (${code})`);
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
