import { ApiError, customHeadersProblem } from '@tessera/common';

/** The built-in server: Tessera's own tools and records. No registered server may take its name. */
export const BUILT_IN_SERVER = 'tessera';

/** A registered server's name: a lowercase slug (it may stand for the id in gateway calls). */
export const MCP_SERVER_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/**
 * A hard cap rather than an entitlement, like inbound sources: a server costs nothing per month;
 * the cap keeps the list (which the gateway pages in memory) small.
 */
export const MAX_MCP_SERVERS = 20;

export const MAX_MCP_HEADERS = 10;

/**
 * Headers a server's configuration may not set: those the HTTP client and the Streamable HTTP
 * transport own. Credentials (Authorization, Cookie, X-Api-Key …) are what these headers are for:
 * they are stored sealed and never shown.
 */
const RESERVED = new Set([
  'host', 'content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer',
  'upgrade', 'expect', 'date', 'via', 'forwarded', 'user-agent', 'accept', 'accept-encoding', 'last-event-id',
  'mcp-session-id', 'mcp-protocol-version',
]);
const RESERVED_PREFIXES = ['proxy-', 'x-forwarded-', 'sec-'];

/** Why `headers` may not be the headers sent to a remote MCP server, or null when they may. */
export function mcpHeadersProblem(headers: unknown): string | null {
  return customHeadersProblem(headers, {
    max: MAX_MCP_HEADERS,
    isReserved: (name) => RESERVED.has(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p)),
  });
}

/** Why `name` may not be a registered server's name, or null when it may. */
export function mcpServerNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || !MCP_SERVER_NAME.test(name)) return 'name must be a lowercase slug: a-z, 0-9, _ and -, starting with a letter or digit, at most 40 characters';
  if (name === BUILT_IN_SERVER) return `"${BUILT_IN_SERVER}" is the built-in server's name`;
  return null;
}

/** Where the resource URI starts in the request target. */
const RESOURCES_PATH = '/mcp/resources/';
const MAX_RESOURCE_URI = 2048;

/**
 * The URI of GET /mcp/resources/{uri}, read from the request target itself, the same on Express
 * and Fastify (whose routers split and decode a wildcard differently): everything after
 * /mcp/resources/ up to the query, percent-decoded once, so it may hold slashes, written as they
 * are or as %2F.
 */
export function resourceUriOf(target: string): string {
  const path = target.split('?')[0];
  const at = path.indexOf(RESOURCES_PATH);
  const raw = at === -1 ? '' : path.slice(at + RESOURCES_PATH.length);
  let uri: string;
  try {
    uri = decodeURIComponent(raw);
  } catch {
    throw ApiError.badRequest('The resource URI is not valid percent-encoding.', { uri: ['must be percent-encoded UTF-8'] });
  }
  if (!uri || uri.length > MAX_RESOURCE_URI) throw ApiError.badRequest('Invalid resource URI.', { uri: [`must be 1 to ${MAX_RESOURCE_URI} characters`] });
  return uri;
}
