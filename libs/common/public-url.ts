import { lookup } from 'node:dns/promises';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Addresses no webhook may reach: everything but globally routable unicast. A webhook URL is
 * chosen by a tenant and fetched by our servers, so a private, loopback or link-local address
 * would let a tenant probe our own network or a cloud metadata service (169.254.169.254).
 */
const blockedV4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blockedV4.addSubnet(net, prefix, 'ipv4');
}

/** Inside global unicast 2000::/3, the parts that are not public. Everything outside 2000::/3 is refused too. */
const blockedV6 = new BlockList();
for (const [net, prefix] of [
  ['2001::', 23], // IETF protocol assignments, Teredo
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation
] as const) {
  blockedV6.addSubnet(net, prefix, 'ipv6');
}
const globalUnicast = new BlockList();
globalUnicast.addSubnet('2000::', 3, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (with or without a dotted IPv4 tail); null if malformed. */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    if (!isIPv4(dotted[1])) return null;
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return groups.some(Number.isNaN) ? null : groups;
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/**
 * The IPv4 address an IPv6 address stands for, where it embeds one that a host may end up
 * reaching: IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d and 6to4 2002:aabb:ccdd::. (The
 * deprecated IPv4-compatible ::a.b.c.d lies outside 2000::/3 and is refused as such.)
 */
function embeddedIPv4(g: number[]): string | null {
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return v4Of(g[6], g[7]);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4Of(g[6], g[7]);
  if (g[0] === 0x2002) return v4Of(g[1], g[2]);
  return null;
}

/** Whether an IP address (v4 or v6) is publicly routable unicast, including what an IPv6 form embeds. */
export function isPublicAddress(address: string): boolean {
  if (isIPv4(address)) return !blockedV4.check(address, 'ipv4');
  if (!isIPv6(address)) return false;
  const groups = ipv6Groups(address);
  if (!groups) return false;
  const v4 = embeddedIPv4(groups);
  if (v4 !== null) return !blockedV4.check(v4, 'ipv4');
  const normal = groups.map((x) => x.toString(16)).join(':');
  return globalUnicast.check(normal, 'ipv6') && !blockedV6.check(normal, 'ipv6');
}

export type AddressResolver = (hostname: string) => Promise<Array<{ address: string }>>;

const resolveAll: AddressResolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

export interface WebhookUrlOptions {
  /** WEBHOOKS_ALLOW_PRIVATE_URLS: http:// and private addresses allowed, and no DNS lookup (development and tests). */
  allowPrivate: boolean;
  resolve?: AddressResolver;
}

/**
 * Why `raw` may not be a webhook URL, or null when it may: https only (http too with
 * allowPrivate), no credentials in it, and every address its host resolves to is public.
 * This is checked when the URL is saved; the delivery worker checks the address it connects to
 * again, since DNS may answer differently by then (rebinding).
 */
export async function webhookUrlProblem(raw: string, options: WebhookUrlOptions): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  const protocols = options.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!protocols.includes(url.protocol)) return options.allowPrivate ? 'must be an http or https URL' : 'must be an https URL';
  if (url.username || url.password) return 'must not contain credentials';
  if (!url.hostname) return 'must name a host';
  if (options.allowPrivate) return null;

  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: string[];
  if (isIPv4(host) || isIPv6(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await (options.resolve ?? resolveAll)(host)).map((a) => a.address);
    } catch {
      return 'host name does not resolve';
    }
    if (addresses.length === 0) return 'host name does not resolve';
  }
  return addresses.every(isPublicAddress) ? null : 'must resolve only to public addresses (no private, loopback, link-local or reserved ones)';
}
