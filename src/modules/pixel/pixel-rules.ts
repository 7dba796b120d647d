import { domainToASCII } from 'node:url';

/** A workspace's pixel as the public routes need it (cached per process, see PixelService). */
export interface PixelSettings {
  workspaceId: string;
  key: string;
  enabled: boolean;
  features: { pageviews: boolean; events: boolean; sessions: boolean };
  sampleRate: number;
  domains: string[];
  allowedOrigins: string[];
}

/** The event name of a page view; every other name is a custom event (features.events). */
export const PAGEVIEW = 'pageview';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A domain as pixel settings hold it: a DNS host name of two labels or more, lower case, in its
 * ASCII form (IDNs as punycode), without scheme, port, path or trailing dot; null if it is not one.
 */
export function normalizeDomain(input: string): string | null {
  const text = input.trim().toLowerCase().replace(/\.$/, '');
  if (!text || text.length > 253 || /[/:?#@\s\\]/.test(text)) return null;
  const ascii = domainToASCII(text);
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  // 10.0.0.1 is an address, not a domain.
  if (/^\d+$/.test(labels.at(-1)!)) return null;
  return ascii;
}

/**
 * An origin as the Origin header writes it (scheme://host[:port], lower case, no default port),
 * or `*` for any origin; null for anything else (a path, a query, credentials, another scheme).
 */
export function normalizeOrigin(input: string): string | null {
  const text = input.trim();
  if (text === '*') return '*';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return null;
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\/?$/i.test(text)) return null;
  return url.origin;
}

/** The host of an Origin or Referer header value (http or https), lower case; null if it has none. */
export function hostOf(value: string | undefined): string | null {
  if (!value || value === 'null') return null;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.hostname.replace(/\.$/, '') || null;
  } catch {
    return null;
  }
}

/**
 * Whether a browser page at `origin` may use this pixel: `*` or the origin is in allowed_origins,
 * or the origin's host is one of the pixel's domains (its own site, on http or https).
 */
export function originAllowed(settings: Pick<PixelSettings, 'allowedOrigins' | 'domains'>, origin: string): boolean {
  const normalized = normalizeOrigin(origin);
  if (!normalized || normalized === '*') return false;
  if (settings.allowedOrigins.includes('*') || settings.allowedOrigins.includes(normalized)) return true;
  const host = hostOf(normalized);
  return host !== null && settings.domains.includes(host);
}

/** FNV-1a over the UTF-16 code units: a stable 32-bit hash, the same in every process. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Sampling: a session is kept or dropped whole (its id hashed to [0, 1) against the rate), so a
 * kept session's every event is kept and a client that sampled by the same rule first loses
 * nothing more here; an event without a session is kept at random with that probability.
 */
export function sampledIn(sampleRate: number, sessionId: string | undefined, random: () => number = Math.random): boolean {
  if (sampleRate >= 1) return true;
  if (sampleRate <= 0) return false;
  return (sessionId ? fnv1a(sessionId) / 2 ** 32 : random()) < sampleRate;
}

export type TrackDecision = { tracked: true; keepSession: boolean } | { tracked: false; reason: 'disabled' | 'feature_disabled' | 'sampled_out' };

/** What happens to one event under a pixel's settings. */
export function decide(settings: Pick<PixelSettings, 'enabled' | 'features' | 'sampleRate'>, event: string, sessionId: string | undefined, random: () => number = Math.random): TrackDecision {
  if (!settings.enabled) return { tracked: false, reason: 'disabled' };
  if (!(event === PAGEVIEW ? settings.features.pageviews : settings.features.events)) return { tracked: false, reason: 'feature_disabled' };
  if (!sampledIn(settings.sampleRate, sessionId, random)) return { tracked: false, reason: 'sampled_out' };
  return { tracked: true, keepSession: settings.features.sessions };
}

/** The referrer's host, for top referrers; null without one, or for a link within the same site (same host as the page). */
export function referrerHostOf(referrer: string | undefined, pageUrl: string): string | null {
  const host = hostOf(referrer);
  return host !== null && host !== hostOf(pageUrl) ? host : null;
}
