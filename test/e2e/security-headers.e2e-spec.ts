import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOperator, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

function expectSecurityHeaders(headers: Record<string, string>): void {
  expect(headers['content-security-policy']).toContain("default-src 'self'");
  expect(headers['content-security-policy']).toContain("script-src 'self'");
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
}

/** Every <script> of a page: it must be a same-origin file or a JSON data block, never inline code the CSP would block. */
async function assertScriptsLoadUnderCsp(page: string, pageUrl: string, headers: Record<string, string> = {}): Promise<number> {
  const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.length).toBeGreaterThan(0);
  const base = /<base href="([^"]+)"/.exec(page)?.[1];
  let loaded = 0;
  for (const [, attributes, body] of scripts) {
    const src = /\bsrc=["']([^"']+)["']/.exec(attributes)?.[1];
    if (!src) {
      // Inline: only a data block, which a browser does not run (and the CSP does not judge).
      expect(attributes).toMatch(/type="application\/json"/);
      continue;
    }
    expect(body.trim()).toBe('');
    const url = new URL(src, new URL(base ?? '', new URL(pageUrl, t.url)));
    expect(url.origin).toBe(t.url);
    const res = await t.http().get(url.pathname).set(headers);
    expect(res.status).toBe(200);
    loaded++;
  }
  return loaded;
}

describe('Security headers on every response', () => {
  it('on API answers, errors and unknown routes alike', async () => {
    const a = await registerAccount(t);
    for (const res of [
      await t.http().get('/api/v1/health'),
      await t.http().get('/api/v1/me').set(a.auth),
      await t.http().get('/api/v1/me'),
      await t.http().get('/api/v1/no-such-route'),
      await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"broken'),
    ]) {
      expectSecurityHeaders(res.headers as Record<string, string>);
    }
  });

  it('sends HSTS (one year) only over HTTPS: never on plain HTTP', async () => {
    const res = await t.http().get('/api/v1/health').set('X-Forwarded-Proto', 'https');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    const proxied = await startTestApp({ TRUST_PROXY: 'true' });
    try {
      const viaHttps = await proxied.http().get('/api/v1/health').set('X-Forwarded-Proto', 'https');
      expect(viaHttps.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      const viaHttp = await proxied.http().get('/api/v1/health').set('X-Forwarded-Proto', 'http');
      expect(viaHttp.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await proxied.close();
    }
  });
});

describe('Pages under the Content-Security-Policy', () => {
  it('Swagger UI at /docs loads only its own scripts, and documents the cookie security scheme', async () => {
    const page = await t.http().get('/docs');
    expect(page.status).toBe(200);
    expectSecurityHeaders(page.headers as Record<string, string>);
    expect(await assertScriptsLoadUnderCsp(page.text, '/docs')).toBeGreaterThanOrEqual(3);
    const doc = await t.http().get('/docs/openapi.json');
    expect(doc.body.components.securitySchemes.session_cookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'tessera_session' });
    expect(doc.body.paths['/api/v1/me'].get.security).toEqual(expect.arrayContaining([{ session_cookie: ['users:read'] }]));
  });

  it('the queues dashboard at /admin/queues loads only its own scripts and a JSON data block; its 404 carries the headers too', async () => {
    const operator = await makeOperator(await registerAccount(t));
    const page = await t.http().get('/admin/queues').set(operator.auth);
    expect(page.status).toBe(200);
    expectSecurityHeaders(page.headers as Record<string, string>);
    expect(await assertScriptsLoadUnderCsp(page.text, '/admin/queues/', operator.auth)).toBeGreaterThan(0);
    const hidden = await t.http().get('/admin/queues');
    expect(hidden.status).toBe(404);
    expectSecurityHeaders(hidden.headers as Record<string, string>);
  });
});
