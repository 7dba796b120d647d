import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerAccount } from '../factories/accounts';
import { enableTotp } from '../factories/mfa';
import { authorizationRequest, Browser, discover, formsOf, IssuerApp, registerClient, RegisteredClient, startIssuerApp } from '../factories/oauth';
import { startTestApp, TestApp } from '../utils/app';

// The adversarial review of three changes: the Fastify front door on the server's request event,
// the OAuth consent that requires the sign-in to still hold, and webhook.endpoint.recovered
// written by the statement that records a batch of successes (its test is in
// webhook-success-batch, beside that statement's others). Each test reproduces what the reviewer
// broke, and passes since it was fixed. Run on both HTTP platforms (HTTP_ADAPTER).

const ORIGIN = 'https://app.example';
let t: IssuerApp;
let app: RegisteredClient;
let db: Client;
beforeAll(async () => {
  // A lock wait of the sign-in below outlives the default 5 s on a loaded machine.
  t = await startIssuerApp({ ALLOWED_ORIGINS: ORIGIN, DATABASE_LOCK_TIMEOUT_MS: '60000' });
  app = await registerClient(t, await registerAccount(t));
  db = new Client({ connectionString: inject('databaseUrl') });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await t?.close();
});

/** Waits until a statement of the app on `table` waits for a row lock (pg_stat_activity says so). */
async function waitsForLockOn(table: string): Promise<void> {
  for (;;) {
    const { rows } = await db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`, [`%${table}%`]);
    if (rows.length) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Finding 1: the sign-in a consent rests on is the password that was checked', () => {
  it('a password changed while a sign-in on the provider page is checked (its second factor) ends that sign-in at consent: no grant, no code [POST /oauth/interaction/{uid}/login]', async () => {
    const user = await registerAccount(t);
    const { recoveryCodes } = await enableTotp(t, user);
    const config = await discover(t, app);
    const thief = new Browser(t.url);
    const signIn = await thief.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read')).url.href);

    // The recovery code's row is busy (held here, as a slow database would): the sign-in waits
    // there, its password already checked against the hash of the moment.
    const holder = new Client({ connectionString: inject('databaseUrl') });
    await holder.connect();
    let owner: TestApp | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM recovery_codes WHERE user_id = $1 FOR UPDATE', [user.user.id]);
      const signingIn = thief.submit(signIn, '/login', { email: user.user.email, password: user.password, code: recoveryCodes[0] });
      await waitsForLockOn('recovery_codes');
      // Meanwhile the owner changes the password, on another API process (of the same public URL:
      // the setting is process-wide here).
      owner = await startTestApp({ PUBLIC_URL: t.url });
      const changed = await owner.http().patch('/api/v1/me').set(user.auth).send({ current_password: user.password, password: 'the owner changed it' });
      expect(changed.status, JSON.stringify(changed.body)).toBe(200);
      await holder.query('ROLLBACK');

      // The password the sign-in rests on is no longer the account's: the consent page is not
      // shown (no form, so no consent can be sent), and no grant or code exists.
      const consentPage = await signingIn;
      expect(consentPage.status).toBe(401);
      expect(consentPage.html).toContain('signed out');
      expect(formsOf(consentPage.html).some((f) => f.action.endsWith('/confirm'))).toBe(false);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM oauth_grants WHERE user_id = $1`, [user.user.id]);
      expect(rows[0].n).toBe(0);
    } finally {
      await holder.end();
      await owner?.close();
    }
  });
});

describe('Finding 3: the OAuth provider answers CORS itself, with ALLOWED_ORIGINS set, on both platforms', () => {
  it("a browser app on its own origin reads the provider's discovery, keys and token answers (its preflight too); a first-party page's origin is not the app's [POST /oauth/token]", async () => {
    const spa = await registerClient(t, await registerAccount(t), { type: 'public', name: 'Browser App', redirect_uris: ['https://spa.example/callback'] });
    const exchange = (origin: string) =>
      t.http().post('/oauth/token').set('Origin', origin).type('form').send({ grant_type: 'authorization_code', code: 'not-a-code', client_id: spa.id, redirect_uri: spa.redirectUri, code_verifier: 'v'.repeat(43) });

    const token = await exchange('https://spa.example');
    expect(token.status).toBe(400);
    expect(token.body.error).toBe('invalid_grant');
    expect(token.headers['access-control-allow-origin']).toBe('https://spa.example');
    const preflight = await t.http().options('/oauth/token').set({ Origin: 'https://spa.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://spa.example');
    for (const path of ['/oauth/.well-known/openid-configuration', '/oauth/jwks']) {
      const res = await t.http().get(path).set('Origin', 'https://spa.example');
      expect(res.status, path).toBe(200);
      expect(res.headers['access-control-allow-origin'], path).toBe('https://spa.example');
    }
    // ALLOWED_ORIGINS are the API's own pages, not this app's: the provider refuses them, uncredentialed.
    const firstParty = await exchange(ORIGIN);
    expect(firstParty.status).toBe(400);
    expect(firstParty.body.error).toBe('invalid_request');
    expect(firstParty.headers['access-control-allow-origin']).toBeUndefined();
    expect(firstParty.headers['access-control-allow-credentials']).toBeUndefined();
    // The API itself still answers those pages with CORS.
    expect((await t.http().get('/api/v1/me').set('Origin', ORIGIN)).headers['access-control-allow-origin']).toBe(ORIGIN);
  });
});

describe('Finding 4: an OPTIONS request that is not a full preflight, with ALLOWED_ORIGINS set', () => {
  it('is answered as on Express (204 with the headers of every answer), never a text 400 outside the envelope [OPTIONS /api/v1/posts]', async () => {
    for (const headers of [{}, { Origin: ORIGIN }, { 'Access-Control-Request-Method': 'POST' }, { Origin: ORIGIN, 'X-Api-Version': '2' }]) {
      const res = await t.http().options('/api/v1/posts').set(headers);
      expect(res.status, JSON.stringify(headers)).toBe(204);
      expect(res.text).toBe('');
      expect(res.headers['x-request-id']).toMatch(/^req_/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});

describe('Finding 5: a request on a live connection while the API shuts down', () => {
  it('is answered in the envelope, with its X-Request-ID in meta, as on Express: not with Fastify\'s own 503 body', async () => {
    const closing = await startTestApp({ PUBLIC_URL: t.url });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { hostname, port } = new URL(closing.url);
    const send = (method: string, path: string, body?: (req: ReturnType<typeof httpRequest>) => void) =>
      new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
        const req = httpRequest({ host: hostname, port, method, path, agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        });
        req.on('error', reject);
        if (body) body(req);
        else req.end();
      });
    try {
      // A sign-in whose body is still on its way keeps the connection busy while shutdown begins.
      const received = new Promise((resolve) => closing.app.getHttpServer().once('request', resolve));
      let finish!: () => void;
      const first = send('POST', '/api/v1/auth/login', (req) => {
        req.write('{');
        finish = () => req.end('}');
      });
      await received;
      const closed = closing.close();
      while (closing.app.getHttpServer().listening) await new Promise((resolve) => setTimeout(resolve, 10));
      finish();
      expect((await first).status).toBe(422);
      // The next request on that connection.
      const next = await send('GET', '/api/v1/health');
      const body = JSON.parse(next.text);
      expect(body).toMatchObject({ success: true, status: 200, meta: { request_id: next.headers['x-request-id'] } });
      expect(next.status).toBe(200);
      agent.destroy();
      await closed;
    } finally {
      agent.destroy();
    }
  });
});

describe('Finding 6: what Node’s HTTP parser refuses, answered on the raw socket', () => {
  it('carries the security headers and X-Api-Version of every answer, and one X-Request-ID, the one in meta', async () => {
    const { port } = new URL(t.url);
    const rawAnswer = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
        let answer = '';
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => (answer += chunk)).on('error', reject).on('close', () => resolve(answer));
      });
    for (const [request, status] of [
      [`GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['GET api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ] as const) {
      const [head, body] = (await rawAnswer(request)).split('\r\n\r\n');
      const lines = head.split('\r\n');
      expect(lines[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      const values = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trim());
      expect(values('x-request-id')).toEqual([JSON.parse(body).meta.request_id]);
      expect(values('x-content-type-options')).toEqual(['nosniff']);
      expect(values('x-frame-options')).toEqual(['DENY']);
      expect(values('content-security-policy')[0]).toContain("default-src 'self'");
      expect(values('x-api-version')).toEqual(['1']);
    }
  });
});

describe('Finding 7: a URL the router refuses, asked by an allowed origin', () => {
  it('is answered with the CORS headers, like every other refusal, so that the page can read the envelope [GET /api/v1/posts/{id}]', async () => {
    // Undecodable (400), and a segment past the router's length limit (404 on Fastify, whose router refuses it).
    for (const target of ['/api/v1/posts/%zz', `/api/v1/posts/${'a'.repeat(600)}`]) {
      const res = await t.http().get(target).set('Origin', ORIGIN);
      expect(res.status, target).toBeGreaterThanOrEqual(400);
      expect(res.status, target).toBeLessThan(500);
      expect(res.body).toMatchObject({ success: false, data: null, meta: { request_id: res.headers['x-request-id'] } });
      expect(res.headers['access-control-allow-origin'], target).toBe(ORIGIN);
      expect(res.headers['access-control-allow-credentials'], target).toBe('true');
      expect(res.headers['access-control-expose-headers'], target).toContain('X-Request-ID');
    }
  });
});
