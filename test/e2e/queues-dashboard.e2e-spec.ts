import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Account, createApiKey, createPat, makeOperator, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

/**
 * bull-board at /admin/queues: every tenant's jobs, so platform operators only. Runs on the HTTP
 * platform HTTP_ADAPTER names (the suite runs on both).
 */
let t: TestApp;
let operator: Account;
let owner: Account;
let stylesheet: string;
beforeAll(async () => {
  t = await startTestApp();
  operator = await makeOperator(await registerAccount(t, { name: 'Operator' }));
  owner = await registerAccount(t);
  const page = await t.http().get('/admin/queues').set(operator.auth);
  stylesheet = /href="(static\/css\/[^"]+\.css)"/.exec(page.text)?.[1] ?? 'static/css/missing.css';
});
afterAll(async () => {
  await t?.close();
});

async function setOperator(account: Account, value: boolean): Promise<void> {
  const db = new Client({ connectionString: inject('databaseUrl') });
  await db.connect();
  try {
    await db.query('UPDATE users SET is_operator = $2 WHERE id = $1', [account.user.id, value]);
  } finally {
    await db.end();
  }
}

const dashboardPaths = () => ['/admin/queues', '/admin/queues/', `/admin/queues/${stylesheet}`, '/admin/queues/api/queues', '/admin/queues/queue/webhooks', '/admin/queues/api/redis/stats'];

function expectHidden(res: { status: number; body: Record<string, unknown>; text: string }, what: string): void {
  expect(res.status, what).toBe(404);
  expect(res.body, what).toMatchObject({ success: false, code: 'NOT_FOUND', data: null });
  expect(res.text, what).not.toMatch(/maintenance|metering|bull-board|<html/i);
}

function cookieOf(setCookie: string | string[] | undefined): string {
  const header = [setCookie ?? []].flat().find((c) => c.startsWith('tessera_queues='));
  if (!header) throw new Error('no tessera_queues cookie set');
  return header;
}

describe('Queues dashboard [/admin/queues]', () => {
  it('shows an operator (access token) the page, its assets and its API over every queue', async () => {
    const page = await t.http().get('/admin/queues').set(operator.auth);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('Tessera queues');
    expect(stylesheet).not.toContain('missing');
    const css = await t.http().get(`/admin/queues/${stylesheet}`).set(operator.auth);
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/css/);
    const api = await t.http().get('/admin/queues/api/queues').set(operator.auth);
    expect(api.status).toBe(200);
    expect((api.body.queues as Array<{ name: string }>).map((q) => q.name).sort()).toEqual(['mail', 'maintenance', 'metering', 'pixel', 'webhooks']);
  });

  it('is 404 in the envelope, page, assets and API alike, to no credential, a workspace owner, an API key, a PAT', async () => {
    const key = await createApiKey(t, owner, { scopes: ['*'] });
    const pat = await createPat(t, owner, { scopes: ['read'] });
    const operatorKey = await createApiKey(t, operator, { scopes: ['*'] });
    const callers: Array<[string, Record<string, string>]> = [
      ['no credential', {}],
      ['a workspace owner', owner.auth],
      ['an API key', key.auth],
      ["an operator's API key", operatorKey.auth],
      ['a PAT', { 'X-Api-Key': pat.token }],
      ['a forged bearer', { Authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' }],
      ['a malformed cookie', { Cookie: 'tessera_queues=v1.AAAA' }],
    ];
    for (const [who, headers] of callers) {
      for (const path of dashboardPaths()) expectHidden(await t.http().get(path).set(headers), `${who} GET ${path}`);
      // bull-board's actions too.
      expectHidden(await t.http().put('/admin/queues/api/queues/mail/pause').set(headers), `${who} PUT pause`);
      expectHidden(await t.http().put('/admin/queues/api/queues/webhooks/clean/failed').set(headers), `${who} PUT clean`);
    }
  });

  it('cannot be reached past the check by another spelling of its path', async () => {
    for (const path of ['/ADMIN/QUEUES', '/Admin/Queues/api/queues', '/admin/%71ueues/api/queues', '/admin/queues%2Fapi%2Fqueues', '/admin/queues/./api/queues', '/admin/queues/api/../api/queues']) {
      const res = await t.http().get(path).set(owner.auth);
      expect(res.status, path).toBe(404);
      expect(res.text, path).not.toMatch(/maintenance|<html/i);
    }
  });

  it('Session [POST /api/v1/admin/queues/session]: an operator opens it in a browser with a sealed, HttpOnly, SameSite=Strict cookie', async () => {
    const res = await t.http().post('/api/v1/admin/queues/session').set(operator.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ dashboard_path: '/admin/queues', expires_at: expect.any(String) });
    const expires = new Date(res.body.data.expires_at).getTime();
    expect(expires - Date.now()).toBeGreaterThan(10 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    const cookie = cookieOf(res.headers['set-cookie']);
    expect(cookie).toMatch(/; Path=\/admin\/queues(;|$)/);
    expect(cookie).toMatch(/; HttpOnly(;|$)/);
    expect(cookie).toMatch(/; SameSite=Strict(;|$)/);
    expect(cookie).toMatch(/; Max-Age=900(;|$)/);
    const value = cookie.split(';')[0];
    expect(value).not.toContain(operator.user.id);

    // The cookie alone opens the page and its API (as a browser sends it).
    expect((await t.http().get('/admin/queues').set('Cookie', value)).status).toBe(200);
    expect((await t.http().get('/admin/queues/api/queues').set('Cookie', value)).status).toBe(200);
    // Altered, it opens nothing.
    const altered = value.slice(0, -2) + (value.endsWith('A') ? 'BB' : 'AA');
    expectHidden(await t.http().get('/admin/queues/api/queues').set('Cookie', altered), 'altered cookie');

    const ended = await t.http().delete('/api/v1/admin/queues/session').set(operator.auth);
    expect(ended.status).toBe(204);
    expect(cookieOf(ended.headers['set-cookie'])).toMatch(/^tessera_queues=; Path=\/admin\/queues; Max-Age=0/);
  });

  it('refuses the session route to anyone but an operator (404), and re-checks the operator flag and revocation on every request', async () => {
    for (const headers of [{}, owner.auth, (await createApiKey(t, owner, { scopes: ['*'] })).auth]) {
      const res = await t.http().post('/api/v1/admin/queues/session').set(headers);
      expect(res.status).toBe(404);
      expect(res.headers['set-cookie']).toBeUndefined();
    }

    const former = await makeOperator(await registerAccount(t, { name: 'Former operator' }));
    const formerCookie = cookieOf((await t.http().post('/api/v1/admin/queues/session').set(former.auth)).headers['set-cookie']).split(';')[0];
    expect((await t.http().get('/admin/queues/api/queues').set('Cookie', formerCookie)).status).toBe(200);
    await setOperator(former, false);
    expectHidden(await t.http().get('/admin/queues/api/queues').set('Cookie', formerCookie), 'cookie of an account no longer operator');
    expectHidden(await t.http().get('/admin/queues').set(former.auth), 'token of an account no longer operator');

    const leaving = await makeOperator(await registerAccount(t, { name: 'Leaving operator' }));
    const leavingCookie = cookieOf((await t.http().post('/api/v1/admin/queues/session').set(leaving.auth)).headers['set-cookie']).split(';')[0];
    expect((await t.http().get('/admin/queues').set('Cookie', leavingCookie)).status).toBe(200);
    expect((await t.http().post('/api/v1/auth/logout').set(leaving.auth)).status).toBe(204);
    expectHidden(await t.http().get('/admin/queues').set('Cookie', leavingCookie), 'cookie of a signed-out session');
    expectHidden(await t.http().get('/admin/queues').set(leaving.auth), 'token of a signed-out session');
  });

  it('answers a burst of 40 concurrent dashboard requests (operators and strangers) without a 5xx', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => t.http().get(i % 2 ? '/admin/queues/api/queues' : '/admin/queues').set(i % 4 < 2 ? operator.auth : owner.auth)),
    );
    answers.forEach((res, i) => expect(res.status, String(i)).toBe(i % 4 < 2 ? 200 : 404));
  });
});
