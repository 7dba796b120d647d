import { randomBytes } from 'node:crypto';
import { customHeadersProblem } from '@tessera/common';

export const MAX_CUSTOM_HEADERS = 10;

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
  return customHeadersProblem(headers, {
    max: MAX_CUSTOM_HEADERS,
    isReserved: (name) => RESERVED.has(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p)),
  });
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
