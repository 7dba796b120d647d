import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

/**
 * The limits API.md promises: one tier bucket per caller, failed authentication limited per
 * address before the database is asked, and client addresses that a client cannot forge.
 * The app trusts one proxy (TRUST_PROXY=true) so each test can speak from its own address.
 */
let t: TestApp;
let keys: Array<{ Authorization: string }>;
beforeAll(async () => {
  // Keys first, on an app without limits (sign-ups from one address do not count here); the
  // address rule is per process, so the app under test boots last.
  const plain = await startTestApp();
  try {
    const owner = await registerAccount(plain);
    keys = [];
    for (let i = 0; i < 3; i++) keys.push((await createApiKey(plain, owner, { scopes: ['posts:read', 'api-keys:read'] })).auth);
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
  it('a free-tier key spends its 60 requests a minute across routes, then every route is 429 [GET /posts, GET /api-keys]', async () => {
    const key = keys[0];
    const routes = ['/api/v1/posts', '/api/v1/api-keys'];
    for (let i = 0; i < 60; i++) {
      const res = await t.http().get(routes[i % 2]).set(key);
      expect(res.status, `request ${i + 1} on ${routes[i % 2]}`).toBe(200);
    }
    for (const route of routes) {
      const over = await t.http().get(route).set(key);
      expect(over.status, route).toBe(429);
      expect(over.body).toMatchObject({ success: false, code: 'RATE_LIMITED', data: null, meta: { limit: 60, remaining: 0 } });
    }
  });
});

describe('Failed authentication per address', () => {
  it('after 30 bad keys an address gets 429 for credentials not verified moments ago; keys in use still pass, other addresses are not affected', async () => {
    const [, inUse, fresh] = keys;
    const attacker = someAddress();
    const from = (address: string) => ({ 'X-Forwarded-For': address });

    const statuses: number[] = [];
    for (let i = 0; i < 40 && !statuses.includes(429); i++) {
      statuses.push((await t.http().get('/api/v1/posts').set(from(attacker)).set('Authorization', `Bearer ${unknownKey()}`)).status);
    }
    // 30 failures fit in the budget; the bucket refills one every 2 s, so a slow run may fit a few more.
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);

    const limited = await t.http().get('/api/v1/posts').set(from(attacker)).set('Authorization', `Bearer ${unknownKey()}`);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, code: 'RATE_LIMITED', data: null, meta: { limit: 30, remaining: 0 } });
    expect(limited.headers['retry-after']).toBe(String(limited.body.meta.retry_after));

    // A valid key this process has not verified yet is not checked from that address either…
    expect((await t.http().get('/api/v1/posts').set(from(attacker)).set(fresh)).status).toBe(429);
    // …but it works from any other address,
    expect((await t.http().get('/api/v1/posts').set(from(someAddress())).set(fresh)).status).toBe(200);
    // and once verified (cached for 5 s) it passes from the limited address too.
    expect((await t.http().get('/api/v1/posts').set(from(someAddress())).set(inUse)).status).toBe(200);
    expect((await t.http().get('/api/v1/posts').set(from(attacker)).set(inUse)).status).toBe(200);
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
