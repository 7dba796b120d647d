import { createHmac, timingSafeEqual } from 'node:crypto';

export const INBOUND_SCHEMES = ['standard-webhooks', 'stripe'] as const;
export type InboundScheme = (typeof INBOUND_SCHEMES)[number];

/** How far a callback's signed timestamp may be from our clock, either way. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/** The headers a provider signs with, as Node gives them (lower-case names). */
export type InboundHeaders = Record<string, string | string[] | undefined>;

/** A provider's message id: printable ASCII, no spaces, at most 255 characters. */
const MESSAGE_ID = /^[\x21-\x7e]{1,255}$/;

function headerOf(headers: InboundHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? undefined : v;
}

function timestampFresh(text: string | undefined, nowSeconds: number): boolean {
  if (!text || !/^\d{1,12}$/.test(text)) return false;
  return Math.abs(nowSeconds - Number(text)) <= TIMESTAMP_TOLERANCE_SECONDS;
}

/** Whether any of `candidates` equals `expected`, each compared in constant time. */
function anyEqual(expected: Buffer, candidates: Buffer[]): boolean {
  let found = false;
  for (const c of candidates) {
    if (c.length === expected.length && timingSafeEqual(c, expected)) found = true;
  }
  return found;
}

/**
 * Standard Webhooks: `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256>` over
 * `{webhook-id}.{webhook-timestamp}.{body}`, keyed by the bytes the base64 after `whsec_` decodes to;
 * any one of them may match (the sender signs with two secrets during its rotation). Returns the
 * webhook-id when the signature and the timestamp hold, else null.
 */
export function verifyStandardWebhook(secret: string, headers: InboundHeaders, body: Buffer, nowSeconds: number): string | null {
  const id = headerOf(headers, 'webhook-id');
  const timestamp = headerOf(headers, 'webhook-timestamp');
  const signatures = headerOf(headers, 'webhook-signature');
  if (!id || !MESSAGE_ID.test(id) || !signatures || !timestampFresh(timestamp, nowSeconds)) return null;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  const candidates = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  return anyEqual(expected, candidates) ? id : null;
}

/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…]` over `{t}.{body}`,
 * keyed by the UTF-8 bytes of the whole `whsec_…` secret; any v1 may match, other schemes (v0) are
 * ignored. Whether the signature and the timestamp hold.
 */
export function verifyStripe(secret: string, headers: InboundHeaders, body: Buffer, nowSeconds: number): boolean {
  const header = headerOf(headers, 'stripe-signature');
  if (!header || header.length > 4096) return false;
  const pairs = header.split(',').map((item) => {
    const at = item.indexOf('=');
    return at === -1 ? ['', ''] : [item.slice(0, at).trim(), item.slice(at + 1).trim()];
  });
  const timestamps = pairs.filter(([k]) => k === 't').map(([, v]) => v);
  if (timestamps.length !== 1 || !timestampFresh(timestamps[0], nowSeconds)) return false;
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamps[0]}.`).update(body).digest();
  const candidates = pairs.filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/i.test(v)).map(([, v]) => Buffer.from(v, 'hex'));
  return anyEqual(expected, candidates);
}

/** A Stripe event's id (its `id` field), the message id Stripe's callbacks are deduplicated by. */
export function stripeEventId(payload: unknown): string | null {
  const id = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as { id?: unknown }).id : undefined;
  return typeof id === 'string' && MESSAGE_ID.test(id) ? id : null;
}

/** True when a JSON value holds a NUL character in a string or a key (PostgreSQL's jsonb cannot store it). */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || holdsNul(v));
}

/**
 * What an event carries of a callback's body (`payload`): the parsed JSON, or the text when the
 * body is not JSON, or is JSON that jsonb cannot store (its text then keeps the \u0000 escapes).
 * `json` is the parsed body whenever it is JSON. Null when the body cannot be stored at all (a NUL
 * byte in a body that is not JSON).
 */
export function inboundPayload(body: Buffer): { payload: unknown; json?: unknown } | null {
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return text.includes('\u0000') ? null : { payload: text };
  }
  return { payload: holdsNul(json) ? text : json, json };
}
