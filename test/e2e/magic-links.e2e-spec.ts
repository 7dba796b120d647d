import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { INestApplicationContext } from '@nestjs/common';
import { Account, mailedText, registerAccount, resetTokenFor, sleep, uniqueEmail } from '../factories/accounts';
import { enableTotp } from '../factories/mfa';
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

describe('Sign in with the link [GET /auth/magic-link/verify]', () => {
  it('the mailed link signs the browser in, once', async () => {
    const a = await registerAccount(t);
    const link = await requestLink(t, a);
    const res = await t.http().get(link);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ user: { id: a.user.id }, csrf_token: expect.any(String) });
    const browser = browserFrom(t, res);
    expect((await t.http().get('/api/v1/me').set(browser.read)).body.data.id).toBe(a.user.id);
    expect((await t.http().get('/api/v1/me/sessions').set(browser.read)).body.data[0]).toMatchObject({ auth_method: 'magic_link', current: true });
    const again = await t.http().get(link);
    expect(again.status).toBe(401);
    expect(setCookies(again).size).toBe(0);
  });

  it('a newer link voids the older one; an expired link is refused', async () => {
    const a = await registerAccount(t);
    const older = await requestLink(t, a);
    const newer = await requestLink(t, a, older);
    expect(newer).not.toBe(older);
    expect((await t.http().get(older)).status).toBe(401);
    await age('magic_links', a.user.id);
    expect((await t.http().get(newer)).status).toBe(401);
  });

  it('a password reset voids the links mailed before it', async () => {
    const a = await registerAccount(t);
    const link = await requestLink(t, a);
    await t.http().post('/api/v1/auth/password/forgot').send({ email: a.user.email });
    const token = await resetTokenFor(t, a.user.email);
    expect((await t.http().post('/api/v1/auth/password/reset').send({ token, password: 'reset after the link' })).status).toBe(200);
    expect((await t.http().get(link)).status).toBe(401);
  });

  it('for an account with TOTP on, is only the first step: a code finishes it', async () => {
    const a = await registerAccount(t);
    const { authenticator } = await enableTotp(t, a);
    const link = await requestLink(t, a);
    const first = await t.http().get(link);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ mfa_required: true, mfa_token: expect.stringMatching(/^tsr_mfa_/) });
    expect(setCookies(first).size).toBe(0);
    const done = await t.http().post('/api/v1/auth/mfa').send({ mfa_token: first.body.data.mfa_token, code: authenticator.code() });
    expect(done.status).toBe(200);
    const browser = browserFrom(t, done);
    expect((await t.http().get('/api/v1/me/sessions').set(browser.read)).body.data[0]).toMatchObject({ auth_method: 'magic_link+totp' });
  });

  it('refuses a missing, malformed or hostile token with 4xx in the envelope', async () => {
    // A bad query parameter is 400 (the contract); a token of no account is 401.
    for (const query of ['', `?token=${'x'.repeat(5000)}`, '?token=a&token=b', '?token=%00']) {
      const res = await t.http().get(`/api/v1/auth/magic-link/verify${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, code: 'BAD_REQUEST' });
    }
    for (const token of ['tsr_ml_nope', 'tsr_ml_' + 'A'.repeat(43), 'tsr_rst_' + 'A'.repeat(43)]) {
      const res = await t.http().get(`/api/v1/auth/magic-link/verify?token=${token}`);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    }
  });

  it('a burst of 60 opens of one link: exactly one signs in, none fails with 5xx', async () => {
    const a = await registerAccount(t);
    const link = await requestLink(t, a);
    const results = await Promise.all(Array.from({ length: 60 }, () => t.http().get(link)));
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
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
      const guesser = { 'X-Forwarded-For': `203.0.113.${1 + Math.floor(Math.random() * 250)}` };
      const guesses: number[] = [];
      for (let i = 0; i < 31; i++) guesses.push((await limited.http().get(`/api/v1/auth/magic-link/verify?token=tsr_ml_${String(i).padStart(43, 'A')}`).set(guesser)).status);
      expect(guesses.slice(0, 30).every((s) => s === 401)).toBe(true);
      expect(guesses[30]).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
