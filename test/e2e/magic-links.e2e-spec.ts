import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { INestApplicationContext } from '@nestjs/common';
import { Account, mailedText, registerAccount, resetTokenFor, sleep, uniqueEmail } from '../factories/accounts';
import { enableTotp } from '../factories/mfa';
import { Browser, formsOf } from '../factories/oauth';
import { browserFrom, setCookies } from '../factories/sessions';
import { startTestApp, startTestWorker, TestApp } from '../utils/app';

let t: TestApp;
let worker: INestApplicationContext;
beforeAll(async () => {
  [t, worker] = await Promise.all([startTestApp(), startTestWorker({ WORKER_QUEUES: 'mail' })]);
});
afterAll(async () => {
  await Promise.all([t?.close(), worker?.close()]);
});

/** Asks for a link and reads it from the development mailbox: its path and query, as the mail gives it. */
async function requestLink(app: TestApp, a: Account, previous?: string): Promise<string> {
  const res = await app.http().post('/api/v1/auth/magic-link').send({ email: a.user.email });
  expect(res.status).toBe(202);
  let link = '';
  for (let i = 0; i < 100 && (!link || link === previous); i++) {
    const text = await mailedText(app, a.user.email, /tsr_ml_/);
    const url = new URL(/https?:\/\/\S+\/api\/v1\/auth\/magic-link\/verify\?token=tsr_ml_[A-Za-z0-9_-]+/.exec(text)![0]);
    link = `${url.pathname}${url.search}`;
    if (link === previous) await sleep(50);
  }
  return link;
}

async function age(table: string, userId: string): Promise<void> {
  const db = new Client({ connectionString: inject('databaseUrl') });
  await db.connect();
  try {
    await db.query(`UPDATE ${table} SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [userId]);
  } finally {
    await db.end();
  }
}

describe('Ask for a link [POST /auth/magic-link]', () => {
  it('answers 202 with the same body whether or not an account uses the address', async () => {
    const a = await registerAccount(t);
    const known = await t.http().post('/api/v1/auth/magic-link').send({ email: a.user.email });
    const unknown = await t.http().post('/api/v1/auth/magic-link').send({ email: uniqueEmail('nobody') });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body.message).toBe(known.body.message);
    expect(unknown.body.data).toEqual(known.body.data);
  });

  it('refuses a body that is not an address (422)', async () => {
    for (const body of [{}, { email: 'not an address' }, { email: 42 }, { email: `${'a'.repeat(300)}@example.test` }, { email: 'a\u0000@example.test' }]) {
      expect((await t.http().post('/api/v1/auth/magic-link').send(body)).status).toBe(422);
    }
  });
});

const VERIFY = '/api/v1/auth/magic-link/verify';

/** The token of a link, as the page's form posts it. */
const tokenOf = (link: string) => new URL(link, 'http://x').searchParams.get('token')!;

/** What a JSON client of the API sends: the token in a JSON body, from the API's own origin. */
function postToken(app: TestApp, link: string, origin: string | null = app.url) {
  const req = app.http().post(VERIFY);
  if (origin !== null) req.set('Origin', origin);
  return req.send({ token: tokenOf(link) });
}

describe('Open the link [GET /auth/magic-link/verify]', () => {
  it('shows a page that asks to confirm: it spends nothing and sets no cookie, however often it is opened (mail scanners, link previews)', async () => {
    const a = await registerAccount(t);
    const link = await requestLink(t, a);
    for (let i = 0; i < 3; i++) {
      const page = await t.http().get(link).set('Accept', 'text/html');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
      expect(setCookies(page).size).toBe(0);
      expect(page.text).toContain('<h1>Sign in to Tessera</h1>');
      expect(page.text).not.toMatch(/<script/i);
      expect(formsOf(page.text)).toEqual([{ action: VERIFY, fields: { token: tokenOf(link) }, radios: {} }]);
    }
    // A link previewer that reads the page and sends it back: still nothing spent.
    expect((await t.http().head(link)).status).toBe(200);
    const res = await postToken(t, link);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ user: { id: a.user.id } });
  });

  it('is never framed, runs nothing, is not cached, and sends its Origin with the form', async () => {
    const a = await registerAccount(t);
    const page = await t.http().get(await requestLink(t, a));
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(page.headers['content-security-policy']).toMatch(/form-action 'self'/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    // no-referrer would make the browser post the form with "Origin: null", which the POST refuses.
    expect(page.headers['referrer-policy']).toBe('same-origin');
  });

  it('escapes what the link carries', async () => {
    const res = await t.http().get(`${VERIFY}?token=${encodeURIComponent('"><script>alert(1)</script>')}`);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script>');
    expect(formsOf(res.text)[0].fields.token).toBe('"><script>alert(1)</script>');
  });

  it('refuses a missing, malformed or hostile query with 400 in the envelope', async () => {
    for (const query of ['', `?token=${'x'.repeat(5000)}`, '?token=a&token=b', '?token=%00']) {
      const res = await t.http().get(`${VERIFY}${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, code: 'BAD_REQUEST' });
    }
  });
});

describe('Sign in with the link [POST /auth/magic-link/verify]', () => {
  it('the page\'s button signs the browser in, once', async () => {
    const a = await registerAccount(t);
    const link = await requestLink(t, a);
    const browser = new Browser(t.url);
    const page = await browser.follow(link);
    const signedIn = await browser.submit(page, VERIFY);
    expect(signedIn.status).toBe(200);
    expect(JSON.parse(signedIn.html).data).toMatchObject({ user: { id: a.user.id }, csrf_token: expect.any(String) });
    expect(browser.cookieNames().sort()).toEqual(['tessera_csrf', 'tessera_session']);
    const me = await browser.request('/api/v1/me/sessions');
    expect(JSON.parse(me.html).data[0]).toMatchObject({ auth_method: 'magic_link', current: true });
    const again = await new Browser(t.url).submit(page, VERIFY);
    expect(again.status).toBe(401);
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it('a JSON client posts the token: the answer of a sign-in with "session": true', async () => {
    const a = await registerAccount(t);
    const link = await requestLink(t, a);
    const res = await postToken(t, link);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ user: { id: a.user.id }, csrf_token: expect.any(String), session: { id: expect.stringMatching(/^bss_/) } });
    const browser = browserFrom(t, res);
    expect((await t.http().get('/api/v1/me').set(browser.read)).body.data.id).toBe(a.user.id);
    const again = await postToken(t, link);
    expect(again.status).toBe(401);
    expect(setCookies(again).size).toBe(0);
  });

  it('is refused (403) from another site or without an Origin, and spends nothing then (login CSRF)', async () => {
    const attacker = await registerAccount(t);
    const link = await requestLink(t, attacker);
    for (const origin of ['https://evil.example', 'null', null]) {
      const res = await postToken(t, link, origin);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ success: false, code: 'FORBIDDEN' });
      expect(res.body.message).toMatch(/Origin/);
      expect(setCookies(res).size).toBe(0);
    }
    // The same refusal for an HTML form posted by another site.
    const forged = await new Browser('https://evil.example').request(`${t.url}${VERIFY}`, { method: 'POST', body: new URLSearchParams({ token: tokenOf(link) }).toString() });
    expect(forged.status).toBe(403);
    expect((await postToken(t, link)).status).toBe(200);
  });

  it('takes the API\'s own origin and those of ALLOWED_ORIGINS', async () => {
    const app = await startTestApp({ ALLOWED_ORIGINS: 'https://app.example.test' });
    try {
      const a = await registerAccount(app);
      const first = await requestLink(app, a);
      expect((await postToken(app, first, 'https://app.example.test')).status).toBe(200);
      // The link's own page is the API's: its origin counts though ALLOWED_ORIGINS does not name it.
      const second = await requestLink(app, a, first);
      expect((await postToken(app, second, app.url)).status).toBe(200);
      const third = await requestLink(app, a, second);
      expect((await postToken(app, third, 'https://other.example.test')).status).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('a newer link voids the older one; an expired link is refused', async () => {
    const a = await registerAccount(t);
    const older = await requestLink(t, a);
    const newer = await requestLink(t, a, older);
    expect(newer).not.toBe(older);
    expect((await postToken(t, older)).status).toBe(401);
    await age('magic_links', a.user.id);
    expect((await postToken(t, newer)).status).toBe(401);
  });

  it('a password reset voids the links mailed before it', async () => {
    const a = await registerAccount(t);
    const link = await requestLink(t, a);
    await t.http().post('/api/v1/auth/password/forgot').send({ email: a.user.email });
    const token = await resetTokenFor(t, a.user.email);
    expect((await t.http().post('/api/v1/auth/password/reset').send({ token, password: 'reset after the link' })).status).toBe(200);
    expect((await postToken(t, link)).status).toBe(401);
  });

  it('for an account with TOTP on, is only the first step: a code finishes it', async () => {
    const a = await registerAccount(t);
    const { authenticator } = await enableTotp(t, a);
    const link = await requestLink(t, a);
    const browser = new Browser(t.url);
    const first = await browser.submit(await browser.follow(link), VERIFY);
    expect(first.status).toBe(200);
    const step = JSON.parse(first.html).data;
    expect(step).toEqual({ mfa_required: true, mfa_token: expect.stringMatching(/^tsr_mfa_/) });
    expect(browser.cookieNames()).toEqual([]);
    const done = await t.http().post('/api/v1/auth/mfa').send({ mfa_token: step.mfa_token, code: authenticator.code() });
    expect(done.status).toBe(200);
    const signedIn = browserFrom(t, done);
    expect((await t.http().get('/api/v1/me/sessions').set(signedIn.read)).body.data[0]).toMatchObject({ auth_method: 'magic_link+totp' });
  });

  it('refuses a missing, malformed or hostile token: 422 for the body, 401 for a token of no link', async () => {
    for (const body of [{}, { token: 42 }, { token: ['a', 'b'] }, { token: 'x'.repeat(5000) }, { token: 'tsr_ml_\u0000' }, { token: 'tsr_ml_x', extra: 1 }]) {
      const res = await t.http().post(VERIFY).set('Origin', t.url).send(body);
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
    const twice = await t.http().post(VERIFY).set('Origin', t.url).type('form').send('token=a&token=b');
    expect(twice.status).toBe(422);
    for (const token of ['tsr_ml_nope', 'tsr_ml_' + 'A'.repeat(43), 'tsr_rst_' + 'A'.repeat(43)]) {
      const res = await t.http().post(VERIFY).set('Origin', t.url).send({ token });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    }
  });

  it('a burst of 60 opens and 60 posts of one link: every open shows the page, exactly one post signs in, none fails with 5xx', async () => {
    const a = await registerAccount(t);
    const link = await requestLink(t, a);
    const opens = await Promise.all(Array.from({ length: 60 }, () => t.http().get(link)));
    expect(opens.map((r) => r.status)).toEqual(Array(60).fill(200));
    const posts = await Promise.all(Array.from({ length: 60 }, () => postToken(t, link)));
    expect(posts.filter((r) => r.status >= 500)).toEqual([]);
    expect(posts.filter((r) => r.status === 200)).toHaveLength(1);
  });
});

describe('Sign in with the link over HTTPS', () => {
  it('sets the __Host- cookies when a trusted proxy says the request came over HTTPS', async () => {
    const proxied = await startTestApp({ TRUST_PROXY: 'true' });
    try {
      const a = await registerAccount(proxied);
      const link = await requestLink(proxied, a);
      const res = await proxied.http().post(VERIFY).set('X-Forwarded-Proto', 'https').set('Origin', proxied.url.replace(/^http:/, 'https:')).send({ token: tokenOf(link) });
      expect(res.status).toBe(200);
      expect([...setCookies(res).keys()].sort()).toEqual(['__Host-tessera_csrf', '__Host-tessera_session']);
    } finally {
      await proxied.close();
    }
  });
});

describe('The link in OpenAPI', () => {
  it('documents the page (HTML) and the sign-in (a JSON body or a form, answered in the envelope)', async () => {
    const doc = (await t.http().get('/docs/openapi.json')).body;
    const { get, post } = doc.paths[VERIFY];
    expect(Object.keys(get.responses['200'].content)).toEqual(['text/html']);
    expect(get.parameters.map((p: { name: string }) => p.name)).toEqual(['token']);
    expect(Object.keys(post.requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '422']));
  });
});

describe('Limits on magic links (rate limits on)', () => {
  it('5 requests per address per 15 minutes, and failed links count as failed sign-ins (429 past 30)', async () => {
    const limited = await startTestApp({ RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'true' });
    try {
      const email = uniqueEmail('limited');
      const from = { 'X-Forwarded-For': `198.51.100.${1 + Math.floor(Math.random() * 250)}` };
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await limited.http().post('/api/v1/auth/magic-link').set(from).send({ email })).status);
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
      const guesser = { 'X-Forwarded-For': `203.0.113.${1 + Math.floor(Math.random() * 250)}`, Origin: limited.url };
      const guesses: number[] = [];
      for (let i = 0; i < 31; i++) guesses.push((await limited.http().post(VERIFY).set(guesser).send({ token: `tsr_ml_${String(i).padStart(43, 'A')}` })).status);
      expect(guesses.slice(0, 30).every((s) => s === 401)).toBe(true);
      expect(guesses[30]).toBe(429);
      // Opening the page is no guess: it looks nothing up.
      expect((await limited.http().get(`${VERIFY}?token=tsr_ml_${'B'.repeat(43)}`).set(guesser)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
