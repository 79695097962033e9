// host:port addresses as Fabric's config writes them ("0.0.0.0:7050", ":7051", "vp0:7051").

export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(text: string, what: string): HostPort {
  const trimmed = text.trim();
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(trimmed);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port > 65_535) {
    throw new Error(`${what} must be host:port (e.g. 0.0.0.0:7050), got "${text}"`);
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** An address to dial for a listen address: 0.0.0.0 and :: mean "this machine". */
export function dialableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}
