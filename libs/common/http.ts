/** The few request properties both HTTP platforms (Express and Fastify) expose alike. */
export interface RequestLike {
  id?: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
}

let trustProxy = false;
let configuredBaseUrl: string | undefined;

/** Set once at boot from configuration. */
export function configureHttp(options: { trustProxy: boolean; publicUrl?: string }): void {
  trustProxy = options.trustProxy;
  configuredBaseUrl = options.publicUrl?.replace(/\/+$/, '');
}

function firstHeader(req: RequestLike, name: string): string | undefined {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim() || undefined;
}

/** Scheme and host for absolute links: PUBLIC_URL when set, else what the request says. */
export function publicBaseUrl(req: RequestLike): string {
  if (configuredBaseUrl) return configuredBaseUrl;
  const proto = (trustProxy && firstHeader(req, 'x-forwarded-proto')) || 'http';
  const host = (trustProxy && firstHeader(req, 'x-forwarded-host')) || firstHeader(req, 'host') || 'localhost';
  return `${proto}://${host}`;
}

/** The client's address: X-Forwarded-For counts only behind a trusted proxy (TRUST_PROXY). */
export function clientIp(req: RequestLike & { socket?: { remoteAddress?: string } }): string {
  if (trustProxy) {
    const forwarded = firstHeader(req, 'x-forwarded-for');
    if (forwarded) return forwarded;
  }
  return req.socket?.remoteAddress ?? req.ip ?? 'unknown';
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
