import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, addMember, createApiKey, createPat, makeOperator, registerAccount, resetTokenFor } from '../factories/accounts';
import { browserFrom, setCookies, signInBrowser } from '../factories/sessions';
import { startTestApp, startTestWorker, TestApp } from '../utils/app';
import type { INestApplicationContext } from '@nestjs/common';

let t: TestApp;
let worker: INestApplicationContext;

beforeAll(async () => {
  [t, worker] = await Promise.all([startTestApp(), startTestWorker({ WORKER_QUEUES: 'mail' })]);
});
afterAll(async () => {
  await Promise.all([t?.close(), worker?.close()]);
});

describe('Browser sign-in [POST /auth/login {session: true}]', () => {
  it('sets an HttpOnly, SameSite=Lax session cookie and a CSRF cookie, and answers no tokens', async () => {
    const a = await registerAccount(t);
    const res = await t.http().post('/api/v1/auth/login').set('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0').send({ email: a.user.email, password: a.password, session: true });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ csrf_token: expect.any(String), session: { id: expect.stringMatching(/^bss_/), expires_at: expect.any(String) }, user: { id: a.user.id } });
    expect(res.body.data).not.toHaveProperty('access_token');
    expect(res.body.data).not.toHaveProperty('refresh_token');
    const cookies = setCookies(res);
    const session = cookies.get('tessera_session')!;
    expect(session.value).toMatch(/^tsr_ses_/);
    expect(session.attributes).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${7 * 24 * 3600}`]));
    // Plain HTTP, no trusted proxy: a Secure cookie would never come back.
    expect(session.attributes).not.toContain('Secure');
    const csrf = cookies.get('tessera_csrf')!;
    expect(csrf.value).toBe(res.body.data.csrf_token);
    expect(csrf.attributes).not.toContain('HttpOnly');
    expect(csrf.attributes).toContain('SameSite=Lax');
  });

  it('marks the cookies Secure (and names them __Host-) when a trusted proxy says the request came over HTTPS, and only then', async () => {
    // The client's own X-Forwarded-Proto means nothing without a trusted proxy. (TRUST_PROXY is
    // process-wide, so this runs before an app that trusts its proxy starts in this process.)
    const forged = await t.http().post('/api/v1/auth/login').set('X-Forwarded-Proto', 'https').send({ email: (await registerAccount(t)).user.email, password: 'correct horse battery', session: true });
    expect(setCookies(forged).get('tessera_session')!.attributes).not.toContain('Secure');
    const proxied = await startTestApp({ TRUST_PROXY: 'true' });
    try {
      const a = await registerAccount(proxied);
      const viaHttps = await proxied.http().post('/api/v1/auth/login').set('X-Forwarded-Proto', 'https').send({ email: a.user.email, password: a.password, session: true });
      expect(setCookies(viaHttps).get('__Host-tessera_session')!.attributes).toContain('Secure');
      expect(setCookies(viaHttps).get('__Host-tessera_csrf')!.attributes).toContain('Secure');
      const viaHttp = await proxied.http().post('/api/v1/auth/login').set('X-Forwarded-Proto', 'http').send({ email: a.user.email, password: a.password, session: true });
      expect(setCookies(viaHttp).get('tessera_session')!.attributes).not.toContain('Secure');
    } finally {
      await proxied.close();
    }
  });

  it('refuses a session flag that is not a boolean (422), and a wrong password gets no cookie', async () => {
    const a = await registerAccount(t);
    const bad = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password, session: 'yes' });
    expect(bad.status).toBe(422);
    expect(bad.body.meta.errors.session).toBeDefined();
    const wrong = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: 'not the password', session: true });
    expect(wrong.status).toBe(401);
    expect(setCookies(wrong).size).toBe(0);
  });
});

describe('Over HTTPS (a trusted proxy says so): the __Host- cookies', () => {
  // A sibling subdomain can set cookies for the whole domain, never a __Host- one (Secure, Path=/, no Domain).
  let proxied: TestApp;
  const https = { 'X-Forwarded-Proto': 'https' };
  beforeAll(async () => {
    proxied = await startTestApp({ TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await proxied?.close();
  });

  /** A browser signed in over HTTPS: its two cookies' values, and what a same-origin page's write sends. */
  async function httpsBrowser(account: Account) {
    const res = await proxied.http().post('/api/v1/auth/login').set(https).send({ email: account.user.email, password: account.password, session: true });
    expect(res.status).toBe(200);
    const cookies = setCookies(res);
    const secret = cookies.get('__Host-tessera_session')!.value;
    const csrf = cookies.get('__Host-tessera_csrf')!.value;
    const cookie = `__Host-tessera_session=${secret}; __Host-tessera_csrf=${csrf}`;
    return { secret, csrf, cookie, write: { ...https, Cookie: cookie, Origin: proxied.url.replace(/^http:/, 'https:'), 'X-CSRF-Token': csrf } };
  }

  it('a sign-in sets __Host-tessera_session and __Host-tessera_csrf (Secure, Path=/, no Domain); over HTTP, the plain names', async () => {
    const a = await registerAccount(proxied);
    const res = await proxied.http().post('/api/v1/auth/login').set(https).send({ email: a.user.email, password: a.password, session: true });
    const cookies = setCookies(res);
    expect([...cookies.keys()].sort()).toEqual(['__Host-tessera_csrf', '__Host-tessera_session']);
    for (const { attributes } of cookies.values()) {
      expect(attributes).toEqual(expect.arrayContaining(['Path=/', 'Secure', 'SameSite=Lax']));
      expect(attributes.filter((a) => /^domain=/i.test(a))).toEqual([]);
    }
    expect(cookies.get('__Host-tessera_session')!.attributes).toContain('HttpOnly');
    expect(cookies.get('__Host-tessera_csrf')!.value).toBe(res.body.data.csrf_token);
    const plain = await proxied.http().post('/api/v1/auth/login').set('X-Forwarded-Proto', 'http').send({ email: a.user.email, password: a.password, session: true });
    expect([...setCookies(plain).keys()].sort()).toEqual(['tessera_csrf', 'tessera_session']);
  });

  it('the guard reads __Host-tessera_session alone over HTTPS: the same secret in tessera_session (as a sibling subdomain plants it) is not read', async () => {
    const a = await registerAccount(proxied);
    const browser = await httpsBrowser(a);
    expect((await proxied.http().get('/api/v1/me').set(https).set('Cookie', browser.cookie)).body.data.id).toBe(a.user.id);
    const planted = await proxied.http().get('/api/v1/me').set(https).set('Cookie', `tessera_session=${browser.secret}`);
    expect(planted.status).toBe(401);
    // And over plain HTTP only the plain name counts (a browser sends no Secure cookie there anyway).
    expect((await proxied.http().get('/api/v1/me').set('X-Forwarded-Proto', 'http').set('Cookie', browser.cookie)).status).toBe(401);
  });

  it('a write needs the token of __Host-tessera_csrf: a tessera_csrf cookie (plantable) does not count', async () => {
    const a = await registerAccount(proxied);
    const browser = await httpsBrowser(a);
    const planted = await proxied.http().patch('/api/v1/me').set(browser.write).set('Cookie', `__Host-tessera_session=${browser.secret}; tessera_csrf=${browser.csrf}`).send({ name: 'Planted' });
    expect(planted.status).toBe(403);
    expect(planted.body.message).toMatch(/__Host-tessera_csrf/);
    // Another account's session and CSRF cookie, both planted under the plain names: nobody is signed in.
    const other = await httpsBrowser(await registerAccount(proxied));
    const swapped = await proxied.http().patch('/api/v1/me').set({ ...other.write, Cookie: `tessera_session=${other.secret}; tessera_csrf=${other.csrf}` }).send({ name: 'Signed in as someone else' });
    expect(swapped.status).toBe(401);
    const own = await proxied.http().patch('/api/v1/me').set(browser.write).send({ name: 'Renamed over HTTPS' });
    expect(own.status).toBe(200);
  });

  it('logout clears the __Host- cookies and ends the session', async () => {
    const browser = await httpsBrowser(await registerAccount(proxied));
    const res = await proxied.http().post('/api/v1/auth/logout').set(browser.write);
    expect(res.status).toBe(204);
    const cleared = setCookies(res);
    expect([...cleared.keys()].sort()).toEqual(['__Host-tessera_csrf', '__Host-tessera_session']);
    for (const { value, attributes } of cleared.values()) {
      expect(value).toBe('');
      expect(attributes).toEqual(expect.arrayContaining(['Max-Age=0', 'Path=/', 'Secure']));
    }
    expect((await proxied.http().get('/api/v1/me').set(https).set('Cookie', browser.cookie)).status).toBe(401);
  });

  it('an operator\'s HTTPS session opens the queues dashboard, which closes when that session ends', async () => {
    const operator = await makeOperator(await registerAccount(proxied));
    const browser = await httpsBrowser(operator);
    const opened = await proxied.http().post('/api/v1/admin/queues/session').set(browser.write);
    expect(opened.status).toBe(200);
    const dashboard = `tessera_queues=${setCookies(opened).get('tessera_queues')!.value}`;
    expect((await proxied.http().get('/admin/queues').set(https).set('Cookie', dashboard)).status).toBe(200);
    expect((await proxied.http().post('/api/v1/auth/logout').set(browser.write)).status).toBe(204);
    expect((await proxied.http().get('/admin/queues').set(https).set('Cookie', dashboard)).status).toBe(404);
  });
});

describe('The session cookie as a credential', () => {
  it('signs in reads with the user\'s role permissions in a workspace, like an access token', async () => {
    const owner = await registerAccount(t);
    const viewer = await addMember(t, owner, owner.workspace.id, 'viewer');
    const browser = await signInBrowser(t, viewer);
    const me = await t.http().get('/api/v1/me').set(browser.read);
    expect(me.status).toBe(200);
    expect(me.body.data.id).toBe(viewer.user.id);
    const posts = await t.http().get('/api/v1/posts').set(browser.read).set('X-Workspace-ID', owner.workspace.id);
    expect(posts.status).toBe(200);
    const write = await t.http().post('/api/v1/posts').set(browser.write).set('X-Workspace-ID', owner.workspace.id).send({ title: 'Not mine to write' });
    expect(write.status).toBe(403);
    expect(write.body.meta.required_scopes).toEqual(['posts:write']);
  });

  it('is 404 in a workspace the user is not a member of', async () => {
    const a = await registerAccount(t);
    const stranger = await registerAccount(t);
    const browser = await signInBrowser(t, stranger);
    const res = await t.http().get('/api/v1/posts').set(browser.read).set('X-Workspace-ID', a.workspace.id);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it('is bound to the workspace named at sign-in', async () => {
    const a = await registerAccount(t);
    const other = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Elsewhere' });
    const browser = await signInBrowser(t, a, { workspace: a.workspace.slug });
    expect((await t.http().get('/api/v1/posts').set(browser.read)).status).toBe(200);
    expect((await t.http().get('/api/v1/posts').set(browser.read).set('X-Workspace-ID', other.body.data.id)).status).toBe(403);
  });

  it('follows the delegation rules of a login: a session bound to a workspace mints only tokens pinned to it and creates no workspace', async () => {
    const a = await registerAccount(t);
    const bound = await signInBrowser(t, a, { workspace: a.workspace.id });
    expect((await t.http().post('/api/v1/workspaces').set(bound.write).send({ name: 'Another' })).status).toBe(403);
    expect((await t.http().post('/api/v1/me/tokens').set(bound.write).send({ name: 'unpinned', scopes: ['posts:read'] })).status).toBe(403);
    const pinned = await t.http().post('/api/v1/me/tokens').set(bound.write).send({ name: 'pinned', scopes: ['posts:read'], workspace_id: a.workspace.id });
    expect(pinned.status).toBe(201);
    // A viewer's session grants no more than the viewer holds.
    const viewer = await addMember(t, a, a.workspace.id, 'viewer');
    const viewerBrowser = await signInBrowser(t, viewer);
    const key = await t.http().post('/api/v1/api-keys').set(viewerBrowser.write).set('X-Workspace-ID', a.workspace.id).send({ name: 'escalate', scopes: ['posts:write'] });
    expect(key.status).toBe(403);
  });

  it('answers 401 for an unknown, malformed or hostile cookie, in the envelope', async () => {
    for (const value of ['tsr_ses_' + 'A'.repeat(43), 'garbage', 'tsr_ses_%00%00', 'x'.repeat(4000)]) {
      const res = await t.http().get('/api/v1/me').set('Cookie', `tessera_session=${value}`);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, code: 'UNAUTHORIZED', data: null });
    }
  });
});

describe('Guessing session cookies (rate limits on)', () => {
  it('counts every unknown cookie as a failed authentication: past 30 a minute the address gets 429, while a session in use still passes', async () => {
    // An address of its own (through a trusted proxy): the suite's other specs run from loopback
    // at the same time, and a spent loopback budget would hold up their fresh credentials.
    const limited = await startTestApp({ RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'true' });
    const from = { 'X-Forwarded-For': `198.51.100.${1 + Math.floor(Math.random() * 250)}` };
    try {
      const a = await registerAccount(limited);
      const browser = await signInBrowser(limited, a);
      expect((await limited.http().get('/api/v1/me').set(from).set(browser.read)).status).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++) statuses.push((await limited.http().get('/api/v1/me').set(from).set('Cookie', `tessera_session=tsr_ses_${String(i).padStart(43, 'A')}`)).status);
      expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
      expect(statuses[30]).toBe(429);
      // Verified by this process moments ago: no lookup needed, so it is not held up.
      expect((await limited.http().get('/api/v1/me').set(from).set(browser.read)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('CSRF: state-changing requests made with the session cookie', () => {
  it('pass with the API\'s own Origin and the X-CSRF-Token of the sign-in', async () => {
    const a = await registerAccount(t);
    const browser = await signInBrowser(t, a);
    const res = await t.http().post('/api/v1/posts').set(browser.write).set('X-Workspace-ID', a.workspace.id).send({ title: 'Same origin' });
    expect(res.status).toBe(201);
  });

  it('are refused (403) without the token, with a wrong one, with another session\'s, or without the CSRF cookie', async () => {
    const a = await registerAccount(t);
    const browser = await signInBrowser(t, a);
    const other = await signInBrowser(t, a);
    const ws = { 'X-Workspace-ID': a.workspace.id };
    const attempts: Array<Record<string, string>> = [
      { Cookie: browser.cookie, Origin: t.url },
      { Cookie: browser.cookie, Origin: t.url, 'X-CSRF-Token': 'forged' },
      // Another session's token, planted in both places: it is not this session's.
      { Cookie: `${browser.cookie.split(';')[0]}; tessera_csrf=${other.csrfToken}`, Origin: t.url, 'X-CSRF-Token': other.csrfToken },
      { Cookie: browser.cookie.split(';')[0], Origin: t.url, 'X-CSRF-Token': browser.csrfToken },
    ];
    for (const headers of attempts) {
      const res = await t.http().post('/api/v1/posts').set(headers).set(ws).send({ title: 'Forged' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    const list = await t.http().get('/api/v1/posts').set(browser.read).set(ws);
    expect(list.body.data).toEqual([]);
  });

  it('are refused (403) from another Origin or without one, even with the right token', async () => {
    const a = await registerAccount(t);
    const browser = await signInBrowser(t, a);
    for (const origin of ['https://evil.example', 'null', undefined]) {
      const headers: Record<string, string> = { Cookie: browser.cookie, 'X-CSRF-Token': browser.csrfToken, ...(origin ? { Origin: origin } : {}) };
      const res = await t.http().patch('/api/v1/me').set(headers).send({ name: 'Renamed by a forger' });
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/Origin/);
    }
    expect((await t.http().get('/api/v1/me').set(browser.read)).body.data.name).toBe(a.user.name);
  });

  it('accept the origins of ALLOWED_ORIGINS, with CORS for them only', async () => {
    const app = await startTestApp({ ALLOWED_ORIGINS: 'https://app.example.test' });
    try {
      const a = await registerAccount(app);
      const browser = await signInBrowser(app, a);
      const headers = { Cookie: browser.cookie, 'X-CSRF-Token': browser.csrfToken };
      const fromApp = await app.http().patch('/api/v1/me').set(headers).set('Origin', 'https://app.example.test').send({ name: 'From the app' });
      expect(fromApp.status).toBe(200);
      expect(fromApp.headers['access-control-allow-origin']).toBe('https://app.example.test');
      expect(fromApp.headers['access-control-allow-credentials']).toBe('true');
      // With ALLOWED_ORIGINS set, the list is the whole rule: the API's own origin is not in it.
      expect((await app.http().patch('/api/v1/me').set(headers).set('Origin', app.url).send({ name: 'x' })).status).toBe(403);
      const preflight = await app.http().options('/api/v1/posts').set('Origin', 'https://app.example.test').set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'x-csrf-token,content-type');
      expect(preflight.status).toBeLessThan(300);
      expect(preflight.headers['access-control-allow-headers']?.toLowerCase()).toContain('x-csrf-token');
      // A preflight is a response like any other: its request id and the security headers.
      expect(preflight.headers['x-request-id']).toMatch(/^req_/);
      expect(preflight.headers['x-content-type-options']).toBe('nosniff');
      const foreign = await app.http().options('/api/v1/posts').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});

describe('A cookie together with another credential', () => {
  it('is judged by the header\'s credential alone: the cookie is not read, and no CSRF token is needed', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const browserOfA = await signInBrowser(t, a);
    const me = await t.http().get('/api/v1/me').set(browserOfA.read).set(b.auth);
    expect(me.body.data.id).toBe(b.user.id);
    const post = await t.http().post('/api/v1/posts').set('Cookie', browserOfA.cookie).set(b.auth).set('X-Workspace-ID', b.workspace.id).send({ title: 'By B' });
    expect(post.status).toBe(201);
  });

  it('gets 401 when the header\'s credential is bad, though the cookie is good (no fallback)', async () => {
    const a = await registerAccount(t);
    const browser = await signInBrowser(t, a);
    const res = await t.http().get('/api/v1/me').set(browser.read).set('Authorization', 'Bearer not-a-token');
    expect(res.status).toBe(401);
    const pat = await t.http().get('/api/v1/me').set(browser.read).set('X-Api-Key', 'tsr_pat_' + 'A'.repeat(43));
    expect(pat.status).toBe(401);
  });
});

describe('My sessions [GET/DELETE /me/sessions]', () => {
  it('lists my live browser sessions with device, address, times, and which one is current', async () => {
    const a = await registerAccount(t);
    const firefox = await signInBrowser(t, a, {}, { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' });
    const safari = await signInBrowser(t, a, {}, { 'User-Agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15' });
    const res = await t.http().get('/api/v1/me/sessions?sort=created_at').set(firefox.read);
    expect(res.status).toBe(200);
    expect(res.body.meta.pagination).toMatchObject({ total: 2 });
    expect(res.body.data).toEqual([
      expect.objectContaining({ id: firefox.sessionId, device: 'Firefox on Linux', ip: '127.0.0.1', auth_method: 'password', current: true, created_at: expect.any(String), last_seen_at: expect.any(String) }),
      expect.objectContaining({ id: safari.sessionId, device: 'Safari on macOS', current: false }),
    ]);
    // With a login's access token: the same list, none of them current.
    const viaJwt = await t.http().get('/api/v1/me/sessions').set(a.auth);
    expect(viaJwt.body.data.map((s: { current: boolean }) => s.current)).toEqual([false, false]);
    expect((await t.http().get('/api/v1/me/sessions?cursor=x&page=1').set(a.auth)).status).toBe(400);
  });

  it('ends one session by id (its cookie then gets 401), 404 for another user\'s or a malformed id', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const mine = await signInBrowser(t, a);
    const other = await signInBrowser(t, a);
    const bs = await signInBrowser(t, b);
    expect((await t.http().delete(`/api/v1/me/sessions/${bs.sessionId}`).set(mine.write)).status).toBe(404);
    expect((await t.http().delete('/api/v1/me/sessions/bss_nope%00').set(mine.write)).status).toBe(404);
    expect((await t.http().get('/api/v1/me').set(bs.read)).status).toBe(200);
    expect((await t.http().delete(`/api/v1/me/sessions/${other.sessionId}`).set(mine.write)).status).toBe(204);
    expect((await t.http().get('/api/v1/me').set(other.read)).status).toBe(401);
    expect((await t.http().get('/api/v1/me').set(mine.read)).status).toBe(200);
    // Ending the current one clears its cookies.
    const self = await t.http().delete(`/api/v1/me/sessions/${mine.sessionId}`).set(mine.write);
    expect(self.status).toBe(204);
    expect(setCookies(self).get('tessera_session')?.attributes).toContain('Max-Age=0');
    expect((await t.http().get('/api/v1/me').set(mine.read)).status).toBe(401);
  });

  it('signs out everywhere else: every other browser session and every token sign-in, not this one', async () => {
    const a = await registerAccount(t);
    const current = await signInBrowser(t, a);
    const other = await signInBrowser(t, a);
    const res = await t.http().delete('/api/v1/me/sessions').set(current.write);
    expect(res.status).toBe(204);
    expect((await t.http().get('/api/v1/me').set(other.read)).status).toBe(401);
    expect((await t.http().get('/api/v1/me').set(a.auth)).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken })).status).toBe(401);
    expect((await t.http().get('/api/v1/me').set(current.read)).status).toBe(200);
  });

  it('is refused (403) to a personal access token or an API key, whatever their scopes', async () => {
    const a = await registerAccount(t);
    const pat = await createPat(t, a, { scopes: ['*'] });
    const key = await createApiKey(t, a, { scopes: ['*'] });
    expect((await t.http().get('/api/v1/me/sessions').set('X-Api-Key', pat.token)).status).toBe(403);
    expect((await t.http().delete('/api/v1/me/sessions').set('X-Api-Key', pat.token)).status).toBe(403);
    expect((await t.http().get('/api/v1/me/sessions').set(key.auth)).status).toBe(403);
  });
});

describe('Sign-out [POST /auth/logout] with the cookie', () => {
  it('ends the session and clears both cookies; it needs the CSRF token like any write', async () => {
    const a = await registerAccount(t);
    const browser = await signInBrowser(t, a);
    expect((await t.http().post('/api/v1/auth/logout').set(browser.read)).status).toBe(403);
    const res = await t.http().post('/api/v1/auth/logout').set(browser.write);
    expect(res.status).toBe(204);
    const cleared = setCookies(res);
    expect(cleared.get('tessera_session')).toMatchObject({ value: '' });
    expect(cleared.get('tessera_session')!.attributes).toContain('Max-Age=0');
    expect(cleared.get('tessera_csrf')!.attributes).toContain('Max-Age=0');
    expect((await t.http().get('/api/v1/me').set(browser.read)).status).toBe(401);
  });
});

describe('Password reset and change', () => {
  it('a reset ends every browser session of the account', async () => {
    const a = await registerAccount(t);
    const browser = await signInBrowser(t, a);
    await t.http().post('/api/v1/auth/password/forgot').send({ email: a.user.email });
    const token = await resetTokenFor(t, a.user.email);
    expect((await t.http().post('/api/v1/auth/password/reset').send({ token, password: 'a brand new password' })).status).toBe(200);
    expect((await t.http().get('/api/v1/me').set(browser.read)).status).toBe(401);
  });

  it('a change made in a browser session ends the others and keeps it', async () => {
    const a = await registerAccount(t);
    const current = await signInBrowser(t, a);
    const other = await signInBrowser(t, a);
    const res = await t.http().patch('/api/v1/me').set(current.write).send({ password: 'another new password', current_password: a.password });
    expect(res.status).toBe(200);
    expect((await t.http().get('/api/v1/me').set(other.read)).status).toBe(401);
    expect((await t.http().get('/api/v1/me').set(a.auth)).status).toBe(401);
    expect((await t.http().get('/api/v1/me').set(current.read)).status).toBe(200);
  });
});

describe('The queues dashboard from an operator\'s browser session', () => {
  it('opens with the cookie (and CSRF), and closes when the session ends', async () => {
    const operator = await makeOperator(await registerAccount(t));
    const browser = await signInBrowser(t, operator);
    const opened = await t.http().post('/api/v1/admin/queues/session').set(browser.write);
    expect(opened.status).toBe(200);
    const dashboard = `tessera_queues=${setCookies(opened).get('tessera_queues')!.value}`;
    expect((await t.http().get('/admin/queues').set('Cookie', dashboard)).status).toBe(200);
    await t.http().post('/api/v1/auth/logout').set(browser.write);
    expect((await t.http().get('/admin/queues').set('Cookie', dashboard)).status).toBe(404);
  });
});

describe('A burst of cookie requests larger than the pool', () => {
  it('answers all 60 at once, reads and writes, with no 5xx', async () => {
    const a = await registerAccount(t, { tier: 'pro' });
    const browser = await signInBrowser(t, a);
    const ws = { 'X-Workspace-ID': a.workspace.id };
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 ? t.http().get('/api/v1/me/sessions').set(browser.read) : t.http().post('/api/v1/posts').set(browser.write).set(ws).send({ title: `Burst ${i}` }),
      ),
    );
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    expect(results.every((r) => r.status === 200 || r.status === 201)).toBe(true);
  });
});

describe('Signing in again from the login answer', () => {
  it('a second login in the same browser gives a new session; the old cookie keeps working until ended', async () => {
    const a = await registerAccount(t);
    const first = await signInBrowser(t, a);
    const again = await t.http().post('/api/v1/auth/login').set('Cookie', first.cookie).send({ email: a.user.email, password: a.password, session: true });
    const second = browserFrom(t, again);
    expect(second.sessionId).not.toBe(first.sessionId);
    expect((await t.http().get('/api/v1/me').set(first.read)).status).toBe(200);
  });
});
