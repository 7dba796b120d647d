import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppLogger } from '@tessera/common';
import { startTestApp, TestApp } from '../utils/app';

// The adversarial review of the hot-path request pipeline (own rate-limit guard, own request
// logger, the bootstrap's front door): each test reproduces what the reviewer broke, and passes
// since it was fixed. Run on both HTTP platforms (HTTP_ADAPTER).

const ORIGIN = 'https://app.example';
let t: TestApp;
/** The app's log lines, read back: its logger writes here instead of standard output. */
const lines: Record<string, unknown>[] = [];
beforeAll(async () => {
  t = await startTestApp({ LOG_LEVEL: 'info', ALLOWED_ORIGINS: ORIGIN });
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  Object.assign(t.app.get(AppLogger), { pino: new AppLogger('info', destination).pino });
});
afterAll(async () => {
  await t?.close();
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('Finding 1: credentials in the request line', () => {
  it('the request line of a magic link, an SSO callback or an OAuth logout carries no token, code or ID token from its query [GET /auth/magic-link/verify]', async () => {
    const secrets = ['mlk_SECRETmagic0123456789', 'SECRETcode0123456789', 'SECRETstate0123456789', 'eyJSECRET.idtoken.hint'];
    const targets = [
      `/api/v1/auth/magic-link/verify?token=${secrets[0]}`,
      `/api/v1/auth/sso/acme/callback?code=${secrets[1]}&state=${secrets[2]}`,
      `/oauth/session/end?id_token_hint=${secrets[3]}&client_id=c1`,
    ];
    for (const target of targets) await t.http().get(target).set('X-Request-ID', `review13-f1-${targets.indexOf(target)}`);
    await settle();
    const mine = lines.filter((l) => String(l.request_id).startsWith('review13-f1-'));
    expect(mine.map((l) => l.msg)).toEqual(['request completed', 'request completed', 'request completed']);
    for (const secret of secrets) expect(JSON.stringify(mine)).not.toContain(secret);
    // What the line is for stays: the path, and the names of what was asked.
    expect(mine[0].url).toBe('/api/v1/auth/magic-link/verify?token=[Redacted]');
    expect(mine[2].url).toBe('/oauth/session/end?id_token_hint=[Redacted]&client_id=c1');
  });
});

describe('Finding 2: the front door’s answers to an allowed origin', () => {
  it('a refused API version or a NUL in the URL is answered with the CORS headers, so that the page can read the envelope; a preflight for such a URL is answered as any preflight', async () => {
    for (const [target, headers, status] of [
      ['/api/v1/posts', { 'X-Api-Version': '2' }, 400],
      ['/api/v1/posts?q=%00', {}, 400],
      ['/api/v1/posts/%00', {}, 404],
    ] as const) {
      const res = await t.http().get(target).set({ Origin: ORIGIN, ...headers });
      expect(res.status, target).toBe(status);
      expect(res.body).toMatchObject({ success: false, status, data: null, meta: { request_id: res.headers['x-request-id'] } });
      expect(res.headers['access-control-allow-origin'], target).toBe(ORIGIN);
      expect(res.headers['access-control-allow-credentials'], target).toBe('true');
      expect(res.headers['access-control-expose-headers'], target).toContain('X-Request-ID');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const preflight = await t.http().options(target).set({ Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' });
      expect(preflight.status, `preflight ${target}`).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
    }
  });
});
