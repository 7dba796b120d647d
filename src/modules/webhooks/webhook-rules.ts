import { randomBytes } from 'node:crypto';

export const MAX_CUSTOM_HEADERS = 10;
const MAX_HEADER_NAME = 64;
const MAX_HEADER_VALUE = 1024;
/** An HTTP field name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII and inner spaces: no CR/LF (header injection), no other control character. */
const VALUE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * Header names an endpoint may not set: those the HTTP client and the transport own, the
 * Standard Webhooks ones we sign with, and credentials (a header value is plain configuration,
 * shown to every reader of the endpoint; receivers authenticate deliveries by their signature).
 */
const RESERVED = new Set([
  'host', 'content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer',
  'upgrade', 'expect', 'date', 'via', 'forwarded', 'user-agent', 'authorization', 'proxy-authorization', 'cookie',
]);
const RESERVED_PREFIXES = ['webhook-', 'proxy-', 'x-forwarded-', 'sec-'];

/** Why `headers` may not be an endpoint's custom headers, or null when it may. */
export function webhookHeadersProblem(headers: unknown): string | null {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return 'headers must be an object of header name to value';
  const entries = Object.entries(headers);
  if (entries.length > MAX_CUSTOM_HEADERS) return `headers may hold at most ${MAX_CUSTOM_HEADERS} headers`;
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    if (name.length > MAX_HEADER_NAME || !TOKEN.test(name)) return `header name "${name.slice(0, MAX_HEADER_NAME)}" must be an HTTP token of at most ${MAX_HEADER_NAME} characters`;
    if (RESERVED.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p))) return `header "${name}" is reserved and cannot be set`;
    if (seen.has(lower)) return `header "${name}" is given twice`;
    seen.add(lower);
    if (typeof value !== 'string' || value.length > MAX_HEADER_VALUE || !VALUE.test(value)) return `header "${name}" must have a value of 1 to ${MAX_HEADER_VALUE} printable ASCII characters`;
  }
  return null;
}

const SECRET_PREFIX = 'whsec_';

/** Why `secret` may not be an endpoint's signing secret, or null when it may: whsec_ and canonical base64 of 24 to 64 bytes. */
export function webhookSecretProblem(secret: unknown): string | null {
  const message = 'secret must be whsec_ followed by the base64 of 24 to 64 bytes';
  if (typeof secret !== 'string' || !secret.startsWith(SECRET_PREFIX)) return message;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return message;
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.toString('base64') !== b64 || bytes.length < 24 || bytes.length > 64) return message;
  return null;
}

/** A new signing secret: whsec_ and the base64 of 24 random bytes, as Standard Webhooks libraries make them. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}
