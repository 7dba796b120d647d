/** At most this many redirect URIs per client. */
export const MAX_REDIRECT_URIS = 10;
export const MAX_REDIRECT_URI_LENGTH = 2000;

/** Loopback IP literals a native app may listen on (RFC 8252 §7.3; "localhost" is not one). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

/**
 * Why `raw` may not be a redirect URI of an OAuth client, or null when it may: an absolute https
 * URL, or http on a loopback IP literal for a native app, with no credentials and no fragment.
 * The provider then compares redirect URIs exactly, character for character: no prefix, no
 * pattern, no port left open.
 */
export function redirectUriProblem(raw: string): string | null {
  if (raw.length > MAX_REDIRECT_URI_LENGTH) return `must be at most ${MAX_REDIRECT_URI_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  // A URL the parser rewrites (case, dot segments, default port) is not what a client would send.
  if (url.href !== raw && url.href !== `${raw}/`) return 'must be written in canonical form (lower-case scheme and host, no default port, no dot segments)';
  if (url.hash || raw.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return url.hostname ? null : 'must name a host';
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname) ? null : 'must be https, or http on 127.0.0.1 or [::1] for a native app';
  return 'must be https, or http on 127.0.0.1 or [::1] for a native app';
}
