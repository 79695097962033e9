// host:port as Fabric's config writes addresses ("0.0.0.0:7051", "vp0:7051", "[::1]:7051") and the
// TCP multiaddrs libp2p dials ("/ip4/127.0.0.1/tcp/7051", "/dns/vp0/tcp/7051").
import { isIPv4, isIPv6 } from 'node:net';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';

export interface HostPort {
  host: string;
  port: number;
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Parses host:port; an empty host (":7051") means every interface. Throws a clear Error. */
export function parseHostPort(text: string, what: string): HostPort {
  const trimmed = text.trim();
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(trimmed);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port > 65_535) {
    throw new Error(`${what} must be host:port (e.g. 10.0.0.1:7051), got "${text}"`);
  }
  const host = match[1] ?? match[2] ?? '';
  if (host === '') return { host: '0.0.0.0', port };
  if (match[1] !== undefined && !isIPv6(host)) throw new Error(`${what}: "${host}" in brackets is not an IPv6 address`);
  if (!isIPv4(host) && !isIPv6(host) && !HOST_NAME.test(host)) throw new Error(`${what}: "${host}" is not an IP address or host name`);
  return { host, port };
}

export function formatHostPort(address: HostPort): string {
  return isIPv6(address.host) ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** The TCP multiaddr of a host:port; names become /dns/ (resolved when dialled). */
export function toMultiaddr(address: HostPort): Multiaddr {
  const protocol = isIPv4(address.host) ? 'ip4' : isIPv6(address.host) ? 'ip6' : 'dns';
  return multiaddr(`/${protocol}/${address.host}/tcp/${address.port}`);
}

/** host:port of a TCP multiaddr, or undefined for anything else (relay, websocket, …). */
export function fromMultiaddr(address: Multiaddr): HostPort | undefined {
  const components = address.getComponents();
  const [hostPart, tcpPart] = components;
  if (!hostPart || !tcpPart || tcpPart.name !== 'tcp' || tcpPart.value === undefined || hostPart.value === undefined) return undefined;
  if (!['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(hostPart.name)) return undefined;
  // Only /host/tcp/port, optionally followed by this peer's /p2p/ id.
  if (components.length > 3 || (components.length === 3 && components[2]?.name !== 'p2p')) return undefined;
  const port = Number(tcpPart.value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host: hostPart.value, port };
}

/** Whether a host means "every interface" (a listen address, not one to dial or announce). */
export function isUnspecifiedHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** Whether a host is this machine's loopback (meaningless to a peer on another machine). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Parses a comma-separated host:port list (peer.discovery.rootnode); empty entries are ignored. */
export function parseAddressList(text: string, what: string): HostPort[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => parseHostPort(entry, what));
}
