import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, createApiKey, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

/**
 * The limits API.md promises: one tier bucket per caller, failed authentication limited per
 * address before the database is asked, and client addresses that a client cannot forge.
 * The app trusts one proxy (TRUST_PROXY=true) so each test can speak from its own address.
 */
let t: TestApp;
let keys: Array<{ Authorization: string }>;
let owner: Account;
let victim: Account;
let bystander: Account;
beforeAll(async () => {
  // Keys first, on an app without limits (sign-ups from one address do not count here); the
  // address rule is per process, so the app under test boots last.
  const plain = await startTestApp();
  try {
    owner = await registerAccount(plain);
    keys = [];
    for (let i = 0; i < 3; i++) keys.push((await createApiKey(plain, owner, { scopes: ['posts:read', 'api-keys:read'] })).auth);
    victim = await registerAccount(plain);
    bystander = await registerAccount(plain);
  } finally {
    await plain.close();
  }
  t = await startTestApp({ RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'true' });
});
afterAll(async () => {
  await t?.close();
});

/** An address of the documentation ranges no other test uses. */
const someAddress = () => `198.51.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 254)}`;
const unknownKey = () => `sk_live_${randomBytes(32).toString('base64url')}`;

describe('One tier bucket per caller', () => {
  it('a free-tier key spends one allowance of 60 a minute across routes, then any route is 429 [GET /posts, GET /api-keys]', async () => {
    const key = keys[0];
    const routes = ['/api/v1/posts', '/api/v1/api-keys'];
    let allowed = 0;
    let over;
    for (let i = 0; i < 200 && !over; i++) {
      const res = await t.http().get(routes[i % 2]).set(key);
      if (res.status === 429) over = res;
      else expect(res.status, `request ${i + 1} on ${routes[i % 2]}`).toBe(200);
      if (res.status === 200) allowed++;
    }
    // GCRA gives one request back every second, so a slow run fits a few more than 60; a bucket
    // per route would let 60 through on each of the two before the first 429.
    expect(allowed).toBeGreaterThanOrEqual(60);
    expect(allowed).toBeLessThan(120);
    expect(over?.body).toMatchObject({ success: false, code: 'RATE_LIMITED', data: null, meta: { limit: 60, remaining: 0 } });
  });
});

describe('Failed authentication per address', () => {
  it('after 30 bad keys an address gets 429 for keys it would have to look up and for bad tokens; keys in use and valid access tokens still pass, other addresses are not affected', async () => {
    const [, inUse, fresh] = keys;
    const attacker = someAddress();
    const from = (address: string) => ({ 'X-Forwarded-For': address });

    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 100 && !limited; i++) {
      const res = await t.http().get('/api/v1/posts').set(from(attacker)).set('Authorization', `Bearer ${unknownKey()}`);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    // 30 failures fit in the budget; it refills one every 2 s, so a slow run fits a few more.
    expect(statuses.length).toBeGreaterThan(30);
    expect(statuses.slice(0, -1).every((s) => s === 401)).toBe(true);
    expect(limited?.status).toBe(429);
    expect(limited?.body).toMatchObject({ success: false, code: 'RATE_LIMITED', data: null, meta: { limit: 30, remaining: 0 } });
    expect(limited?.headers['retry-after']).toBe(String(limited?.body.meta.retry_after));

    // A valid key this process has not verified yet is not checked from that address either…
    expect((await t.http().get('/api/v1/posts').set(from(attacker)).set(fresh)).status).toBe(429);
    // …but it works from any other address,
    expect((await t.http().get('/api/v1/posts').set(from(someAddress())).set(fresh)).status).toBe(200);
    // and once verified (cached for 5 s) it passes from the limited address too.
    expect((await t.http().get('/api/v1/posts').set(from(someAddress())).set(inUse)).status).toBe(200);
    expect((await t.http().get('/api/v1/posts').set(from(attacker)).set(inUse)).status).toBe(200);
    // An access token is checked by its signature, no lookup: a valid one passes, a forged one is 429.
    const asOwner = () => t.http().get('/api/v1/posts').set(from(attacker)).set('X-Workspace-ID', owner.workspace.id);
    expect((await asOwner().set(owner.auth)).status).toBe(200);
    expect((await asOwner().set('Authorization', `Bearer ${owner.accessToken.slice(0, -4)}AAAA`)).status).toBe(429);
  });
});

describe('Client address behind a trusted proxy', () => {
  it('spoofing the leftmost X-Forwarded-For entry does not give a fresh login bucket [POST /auth/login]', async () => {
    const email = `spoof-${randomBytes(6).toString('hex')}@example.test`;
    const client = someAddress();
    const login = (forwardedFor: string) => t.http().post('/api/v1/auth/login').set('X-Forwarded-For', forwardedFor).send({ email, password: 'wrong password' });
    for (let i = 0; i < 10; i++) expect((await login(`10.9.9.${i}, ${client}`)).status, `attempt ${i + 1}`).toBe(401);
    const spoofed = await login(`10.8.8.8, ${client}`);
    expect(spoofed.status).toBe(429);
    expect(spoofed.body.code).toBe('RATE_LIMITED');
    // The proxy's entry does count: another client behind it has its own bucket.
    expect((await login(`10.8.8.8, ${someAddress()}`)).status).toBe(401);
  });
});

describe('Wrong current passwords per account', () => {
  it('a stolen access token gets 10 guesses at the current password, from any address, then 429 even for the right one; other accounts are not affected [PATCH /me]', async () => {
    const guess = (account: Account, current_password: string) =>
      t.http().patch('/api/v1/me').set(account.auth).set('X-Forwarded-For', someAddress()).send({ email: `thief-${randomBytes(4).toString('hex')}@example.test`, current_password });
    for (let i = 0; i < 10; i++) expect((await guess(victim, `guess number ${i}`)).status, `guess ${i + 1}`).toBe(422);
    const over = await guess(victim, victim.password);
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ code: 'RATE_LIMITED', meta: { limit: 10, remaining: 0 } });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // The e-mail was not changed, and another account still has its own budget.
    expect((await t.http().get('/api/v1/me').set(victim.auth)).body.data.email).toBe(victim.user.email);
    expect((await guess(bystander, 'not it either')).status).toBe(422);
    expect((await t.http().patch('/api/v1/me').set(bystander.auth).send({ password: 'a brand new password', current_password: bystander.password })).status).toBe(200);
  });
});
