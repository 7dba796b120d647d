import { describe, expect, it } from 'vitest';
import { ApiError, RequestLike } from '@tessera/common';
import { assertSameSiteRequest, clearedSessionCookies, csrfTokenFor, sessionCookieOf, sessionCookies } from './session-cookies';

const key = Buffer.alloc(32, 7);
const sessionId = 'bss_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8';
const token = csrfTokenFor(key, sessionId);

function request(method: string, headers: Record<string, string>): RequestLike {
  return { method, headers: { host: 'api.example.test', ...headers }, socket: { remoteAddress: '127.0.0.1' } };
}

/** The same request on a TLS socket (HTTPS). */
function overTls(method: string, headers: Record<string, string>): RequestLike {
  return { method, headers: { host: 'api.example.test', ...headers }, socket: { remoteAddress: '127.0.0.1', encrypted: true } as RequestLike['socket'] };
}

function refusal(req: RequestLike, allowed: string[] = []): string | null {
  try {
    assertSameSiteRequest(req, sessionId, key, allowed);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).getStatus()).toBe(403);
    return (err as ApiError).message;
  }
}

describe(assertSameSiteRequest.name, () => {
  const good = { origin: 'http://api.example.test', cookie: `tessera_session=x; tessera_csrf=${token}`, 'x-csrf-token': token };

  it('should let safe methods through without any check', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(refusal(request(method, {}))).toBeNull();
  });

  it('should pass a write from the API\'s own origin with the session\'s token in header and cookie', () => {
    expect(refusal(request('POST', good))).toBeNull();
  });

  it('should refuse a write from another origin, or without one', () => {
    expect(refusal(request('POST', { ...good, origin: 'https://evil.example' }))).toMatch(/Origin/);
    const { origin: _, ...withoutOrigin } = good;
    expect(refusal(request('DELETE', withoutOrigin))).toMatch(/Origin/);
  });

  it('should take ALLOWED_ORIGINS as the whole list when set', () => {
    expect(refusal(request('POST', { ...good, origin: 'https://app.example.test' }), ['https://app.example.test'])).toBeNull();
    expect(refusal(request('POST', good), ['https://app.example.test'])).toMatch(/Origin/);
  });

  it('should refuse a missing or wrong token, a token without its cookie, or another session\'s token', () => {
    const other = csrfTokenFor(key, 'bss_01JD2V6ZQ8W3M9Q7R4T5Y6U7V9');
    expect(other).not.toBe(token);
    for (const headers of [
      { ...good, 'x-csrf-token': '' },
      { ...good, 'x-csrf-token': 'wrong' },
      { ...good, cookie: 'tessera_session=x' },
      { ...good, cookie: `tessera_session=x; tessera_csrf=${other}`, 'x-csrf-token': other },
    ]) {
      expect(refusal(request('PATCH', headers))).toMatch(/X-CSRF-Token/);
    }
  });
});

describe('__Host- cookies over HTTPS', () => {
  it('should set __Host-tessera_session and __Host-tessera_csrf, Secure with Path=/ and no Domain, and clear those names', () => {
    const set = sessionCookies(overTls('POST', {}), 'tsr_ses_x', token, 60);
    expect(set).toEqual([
      '__Host-tessera_session=tsr_ses_x; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure',
      `__Host-tessera_csrf=${token}; Path=/; Max-Age=60; SameSite=Lax; Secure`,
    ]);
    expect(set.join(';')).not.toMatch(/Domain=/i);
    expect(clearedSessionCookies(overTls('POST', {}))).toEqual([
      '__Host-tessera_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure',
      '__Host-tessera_csrf=; Path=/; Max-Age=0; SameSite=Lax; Secure',
    ]);
  });

  it('should read the session from __Host-tessera_session alone over HTTPS, and from tessera_session alone over HTTP', () => {
    const both = { cookie: 'tessera_session=planted; __Host-tessera_session=own' };
    expect(sessionCookieOf(overTls('GET', both))).toBe('own');
    // A sibling subdomain can set tessera_session for the whole domain, never a __Host- cookie.
    expect(sessionCookieOf(overTls('GET', { cookie: 'tessera_session=planted' }))).toBeNull();
    expect(sessionCookieOf(request('GET', both))).toBe('planted');
    expect(sessionCookieOf(request('GET', { cookie: '__Host-tessera_session=own' }))).toBeNull();
  });

  it('should take the CSRF token from __Host-tessera_csrf alone over HTTPS', () => {
    const headers = { origin: 'https://api.example.test', 'x-csrf-token': token };
    expect(refusal(overTls('POST', { ...headers, cookie: `__Host-tessera_session=x; __Host-tessera_csrf=${token}` }), ['https://api.example.test'])).toBeNull();
    expect(refusal(overTls('POST', { ...headers, cookie: `__Host-tessera_session=x; tessera_csrf=${token}` }), ['https://api.example.test'])).toMatch(/__Host-tessera_csrf/);
    expect(refusal(request('POST', { ...headers, origin: 'http://api.example.test', cookie: `tessera_session=x; __Host-tessera_csrf=${token}` }))).toMatch(/X-CSRF-Token/);
  });
});

describe(sessionCookies.name, () => {
  it('should make the session cookie HttpOnly and SameSite=Lax, Secure only on a TLS socket', () => {
    const plain = sessionCookies({ method: 'POST', headers: {}, socket: { remoteAddress: '127.0.0.1' } }, 'tsr_ses_x', token, 60);
    expect(plain[0]).toBe('tessera_session=tsr_ses_x; Path=/; Max-Age=60; HttpOnly; SameSite=Lax');
    expect(plain[1]).toBe(`tessera_csrf=${token}; Path=/; Max-Age=60; SameSite=Lax`);
    const tls = sessionCookies({ method: 'POST', headers: { 'x-forwarded-proto': 'http' }, socket: { remoteAddress: '127.0.0.1', encrypted: true } }, 'tsr_ses_x', token, 60);
    expect(tls.every((c) => c.endsWith('; Secure'))).toBe(true);
  });
});
