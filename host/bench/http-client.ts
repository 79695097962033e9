// A lean HTTP/1.1 client for load generation: one keep-alive socket, requests written as
// pre-built bytes, responses parsed by Content-Length only. node:http spends ~150 µs of client
// CPU per request, which on this 2-core machine caps the load below what one peer can take;
// this client spends a fraction of that, so the bench measures the peer, not the client.
import { connect, type Socket } from 'node:net';

interface Pending {
  resolve: (body: string) => void;
  reject: (error: Error) => void;
}

export class LeanHttpConnection {
  readonly #socket: Socket;
  readonly #host: string;
  readonly #pending: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #closed: Error | undefined;
  #corked = false;

  private constructor(socket: Socket, host: string) {
    this.#socket = socket;
    this.#host = host;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    const fail = (error: Error): void => {
      this.#closed = error;
      for (const pending of this.#pending.splice(0)) pending.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(address: string): Promise<LeanHttpConnection> {
    const [host, port] = address.split(':');
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port: Number(port) }, () => resolve(new LeanHttpConnection(socket, address)));
      socket.once('error', reject);
    });
  }

  post(path: string, body: string): Promise<string> {
    const length = Buffer.byteLength(body);
    return this.#send(`POST ${path} HTTP/1.1\r\nHost: ${this.#host}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n${body}`);
  }

  get(path: string): Promise<string> {
    return this.#send(`GET ${path} HTTP/1.1\r\nHost: ${this.#host}\r\n\r\n`);
  }

  #send(request: string): Promise<string> {
    if (this.#closed) return Promise.reject(this.#closed);
    // Requests pipelined within one turn of the event loop leave in one write (one syscall here,
    // fewer reads at the peer): under load the driver sends many at once on each connection.
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(request);
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const headerEnd = this.#buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const head = this.#buffer.toString('latin1', 0, headerEnd);
      const match = /content-length:\s*(\d+)/i.exec(head);
      const length = match ? Number(match[1]) : 0;
      const total = headerEnd + 4 + length;
      if (this.#buffer.length < total) return;
      const body = this.#buffer.toString('utf8', headerEnd + 4, total);
      this.#buffer = this.#buffer.subarray(total);
      this.#pending.shift()?.resolve(body);
    }
  }
}
