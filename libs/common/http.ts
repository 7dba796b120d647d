import { BlockList, isIP } from 'node:net';

/** The few request properties both HTTP platforms (Express and Fastify) expose alike. */
export interface RequestLike {
  id?: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** Which proxies in front of the API are trusted (TRUST_PROXY): none, the nearest `n` hops, or the proxies at these addresses/CIDRs. */
export type TrustProxy = false | number | string[];

let trusts: (address: string, hop: number) => boolean = () => false;
let configuredBaseUrl: string | undefined;

/** Whether `entry` is an IP address or a CIDR block (TRUST_PROXY's list form). */
export function isAddressOrCidr(entry: string): boolean {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/** `::ffff:10.0.0.1`, how a dual-stack socket reports an IPv4 peer, is 10.0.0.1. */
function unmapped(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

function compileTrust(trustProxy: TrustProxy): (address: string, hop: number) => boolean {
  if (trustProxy === false) return () => false;
  if (typeof trustProxy === 'number') return (_address, hop) => hop < trustProxy;
  const list = new BlockList();
  for (const entry of trustProxy) {
    const [address, bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * Whether the address `hop` steps from this server (0: the socket's peer) is a trusted proxy.
 * Express's and Fastify's own `trust proxy` are given this function, so their req.ip and
 * req.protocol agree with clientIp().
 */
export function isTrustedProxy(address: string, hop: number): boolean {
  return trusts(address, hop);
}

/** Set once at boot from configuration. */
export function configureHttp(options: { trustProxy: TrustProxy; publicUrl?: string }): void {
  trusts = compileTrust(options.trustProxy);
  configuredBaseUrl = options.publicUrl?.replace(/\/+$/, '');
}

function firstHeader(req: RequestLike, name: string): string | undefined {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim() || undefined;
}

function peerAddress(req: RequestLike): string {
  return req.socket?.remoteAddress ?? 'unknown';
}

/** Scheme and host for absolute links: PUBLIC_URL when set, else what the request says. */
export function publicBaseUrl(req: RequestLike): string {
  if (configuredBaseUrl) return configuredBaseUrl;
  // Like Express: X-Forwarded-Proto/-Host count when the peer itself is a trusted proxy.
  const viaProxy = trusts(peerAddress(req), 0);
  const proto = (viaProxy && firstHeader(req, 'x-forwarded-proto')) || 'http';
  const host = (viaProxy && firstHeader(req, 'x-forwarded-host')) || firstHeader(req, 'host') || 'localhost';
  return `${proto}://${host}`;
}

/**
 * Whether the request's scheme and host make a URL (always true with PUBLIC_URL set): links,
 * origins and the MCP transport's request are built from them. A Host header such as "a b",
 * "a:99999" or "1.2.3.999" does not, and is refused at the front door rather than failing there.
 */
export function hasUsableBaseUrl(req: RequestLike): boolean {
  return configuredBaseUrl !== undefined || URL.canParse(publicBaseUrl(req));
}

/**
 * The client's address. X-Forwarded-For is walked from the right (the entry the nearest proxy
 * appended) past trusted proxies only; the leftmost entries are whatever the client wrote and
 * count only when every hop after them is trusted. Express's and Fastify's `trust proxy` rule,
 * computed here once so both platforms give the same answer.
 */
export function clientIp(req: RequestLike): string {
  const forwarded = ([] as string[])
    .concat(req.headers['x-forwarded-for'] ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  const chain = [peerAddress(req), ...forwarded.reverse()];
  let hop = 0;
  while (hop < chain.length - 1 && trusts(chain[hop], hop)) hop++;
  return chain[hop];
}

/**
 * Whether a socket's peer address is this machine (127.0.0.0/8, ::1, or IPv4-mapped 127.x).
 * Read from the socket, never from X-Forwarded-For, which any client can write.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return v4.split('.').every((part) => Number(part) <= 255);
  return address === '::1' || address === '0:0:0:0:0:0:0:1';
}

export function header(req: RequestLike, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Whether the request reached us over HTTPS: on a TLS socket, or through a trusted proxy
 * (TRUST_PROXY) that says so in X-Forwarded-Proto. A client's own X-Forwarded-Proto never counts.
 */
export function isSecureRequest(req: { headers: RequestLike['headers']; socket?: { remoteAddress?: string; encrypted?: boolean } | null }): boolean {
  if (req.socket?.encrypted) return true;
  const like = { method: '', headers: req.headers, socket: req.socket ?? undefined };
  return trusts(peerAddress(like), 0) && firstHeader(like, 'x-forwarded-proto')?.toLowerCase() === 'https';
}

/** The origin (scheme://host[:port]) this API is reached at: PUBLIC_URL's, else the request's own. */
export function ownOrigin(req: RequestLike): string {
  return new URL(publicBaseUrl(req)).origin;
}

/** A cookie's value from a Cookie header, or null. */
export function cookieValue(cookieHeader: string | string[] | undefined, name: string): string | null {
  const text = Array.isArray(cookieHeader) ? cookieHeader.join('; ') : cookieHeader;
  if (!text) return null;
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}
