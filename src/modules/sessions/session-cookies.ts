import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError, cookieValue, header, isSecureRequest, ownOrigin, RequestLike } from '@tessera/common';

/** The session cookie: HttpOnly, the 256-bit secret of a browser session. */
export const SESSION_COOKIE = 'tessera_session';
/** The CSRF cookie: readable by the page, which echoes it in X-CSRF-Token (double submit). */
export const CSRF_COOKIE = 'tessera_csrf';
/**
 * Their names over HTTPS. A browser keeps a __Host- cookie only when it is Secure, with Path=/ and
 * no Domain, so a sibling subdomain (which may set cookies for the whole parent domain) cannot
 * plant one: no session of its choosing (login CSRF) with the CSRF cookie that matches it.
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;
export const SECURE_CSRF_COOKIE = `__Host-${CSRF_COOKIE}`;
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_SECRET_PREFIX = 'tsr_ses_';
const SESSION_SECRET_PATTERN = /^tsr_ses_[A-Za-z0-9_-]{43}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type CookieRequest = RequestLike & { socket?: { remoteAddress?: string; encrypted?: boolean } };

/**
 * The two cookies' names for a request: the __Host- ones over HTTPS (a TLS socket, or a trusted
 * proxy's X-Forwarded-Proto: what decides Secure), the plain ones over HTTP (development, tests).
 * A request is read by its own scheme's names only: over HTTPS, a cookie without the prefix is
 * whatever a sibling subdomain planted.
 */
export function sessionCookieNames(req: CookieRequest): { session: string; csrf: string } {
  return isSecureRequest(req) ? { session: SECURE_SESSION_COOKIE, csrf: SECURE_CSRF_COOKIE } : { session: SESSION_COOKIE, csrf: CSRF_COOKIE };
}

/** The session cookie's value when the request carries one (its shape unchecked), else null. */
export function sessionCookieOf(req: CookieRequest): string | null {
  return cookieValue(req.headers.cookie, sessionCookieNames(req).session);
}

export function isSessionSecret(value: string): boolean {
  return SESSION_SECRET_PATTERN.test(value);
}

/**
 * The session's CSRF token: an HMAC of its id under the server's key, so it needs no storage, is
 * worthless for any other session, and cannot be forged by whoever can plant a cookie.
 */
export function csrfTokenFor(key: Buffer, sessionId: string): string {
  return createHmac('sha256', key).update(`tessera-csrf:${sessionId}`).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether the request's Origin is one of `allowed` (a request without one is not). */
export function isAllowedOrigin(req: RequestLike, allowed: readonly string[]): boolean {
  const origin = header(req, 'origin');
  return origin !== undefined && allowed.includes(origin);
}

/**
 * A state-changing request made with the session cookie must come from an allowed page: its
 * Origin is the API's own origin or one of ALLOWED_ORIGINS, and X-CSRF-Token equals both the
 * CSRF cookie (double submit) and the session's own token. GET, HEAD and OPTIONS change nothing
 * and pass. 403 otherwise.
 */
export function assertSameSiteRequest(req: CookieRequest, sessionId: string, key: Buffer, allowedOrigins: readonly string[]): void {
  if (SAFE_METHODS.has(req.method)) return;
  if (!isAllowedOrigin(req, allowedOrigins.length ? allowedOrigins : [ownOrigin(req)])) {
    throw ApiError.forbidden('Cross-site request refused: a state-changing request signed in by the session cookie must carry the Origin of an allowed page (ALLOWED_ORIGINS).');
  }
  const sent = header(req, CSRF_HEADER);
  const csrfCookie = sessionCookieNames(req).csrf;
  const cookie = cookieValue(req.headers.cookie, csrfCookie);
  if (!sent || !cookie || !sameText(sent, cookie) || !sameText(sent, csrfTokenFor(key, sessionId))) {
    throw ApiError.forbidden(`Missing or wrong X-CSRF-Token: a state-changing request signed in by the session cookie must send the csrf_token of its sign-in (also in the ${csrfCookie} cookie) as X-CSRF-Token.`);
  }
}

/**
 * Set-Cookie values for a new browser session: the secret (HttpOnly) and the CSRF token (readable
 * by the page). Over HTTPS, the __Host- names: Secure, Path=/ and no Domain, as the prefix requires.
 */
export function sessionCookies(req: CookieRequest, secret: string, csrfToken: string, maxAgeSeconds: number): string[] {
  const names = sessionCookieNames(req);
  const secure = names.session === SECURE_SESSION_COOKIE ? '; Secure' : '';
  return [
    `${names.session}=${secret}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`,
    `${names.csrf}=${csrfToken}; Path=/; Max-Age=${maxAgeSeconds}; SameSite=Lax${secure}`,
  ];
}

/** Set-Cookie values that remove both cookies (this scheme's names) from the browser. */
export function clearedSessionCookies(req: CookieRequest): string[] {
  return sessionCookies(req, '', '', 0);
}

/** What Nest's HTTP adapter offers to add a header to a response, on Express and Fastify alike. */
interface HeaderWriter {
  appendHeader?(response: unknown, name: string, value: string): unknown;
}

/** Adds the Set-Cookie headers to a response (one header per cookie). */
export function writeCookies(adapter: HeaderWriter, res: unknown, cookies: string[]): void {
  for (const cookie of cookies) adapter.appendHeader!(res, 'Set-Cookie', cookie);
}
