import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { REDIS, startLocalRedis } from '../../libs/queue';
import { PENDING_API_CALLS } from '../../src/modules/entitlements/api-call-meter';
import { createApiKey, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';
import { restartablePort } from '../utils/ports';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_ENABLED: 'true' });
});
afterAll(async () => {
  await t?.close();
});

// Accounts are made on an app without limits, so sign-ups from one address do not count here.
async function freeKey(): Promise<{ Authorization: string }> {
  const plain = await startTestApp();
  try {
    const owner = await registerAccount(plain);
    return (await createApiKey(plain, owner, { scopes: ['users:read'] })).auth;
  } finally {
    await plain.close();
  }
}

describe('Rate limits', () => {
  it('a free-tier key gets 60 requests a minute, then 429 with the contract headers', async () => {
    const key = await freeKey();
    const first = await t.http().get('/api/v1/users').set(key);
    expect(first.status).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe('60');
    expect(first.headers['x-ratelimit-remaining']).toBe('59');
    const reset = Number(first.headers['x-ratelimit-reset']);
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61);
    expect(first.headers['ratelimit-policy']).toBe('60;w=60');
    expect(first.headers.ratelimit).toMatch(/^limit=60, remaining=59, reset=\d+$/);

    // GCRA gives one request back every second, so on a slow machine a few more than 60 fit.
    let allowed = 1;
    let over = await t.http().get('/api/v1/users').set(key);
    for (; over.status === 200 && allowed < 120; allowed++) over = await t.http().get('/api/v1/users').set(key);
    expect(allowed).toBeGreaterThanOrEqual(60);
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ success: false, code: 'RATE_LIMITED', data: null, meta: { limit: 60, remaining: 0 } });
    expect(over.body.meta.retry_after).toBeGreaterThanOrEqual(1);
    expect(over.headers['retry-after']).toBe(String(over.body.meta.retry_after));
    expect(new Date(over.body.meta.reset_at).getTime()).toBeGreaterThan(Date.now());
    expect(over.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('two API processes on one Redis share one bucket', async () => {
    const key = await freeKey();
    const second = await startTestApp({ RATE_LIMIT_ENABLED: 'true' });
    try {
      // Twice the limit, at once, half to each process.
      const results = await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 ? second : t).http().get('/api/v1/users').set(key)));
      const ok = results.filter((r) => r.status === 200).length;
      const limited = results.filter((r) => r.status === 429).length;
      // One shared bucket: 60 and the few that GCRA gives back while the burst runs; a bucket per
      // process would let all 120 through.
      expect(ok).toBeGreaterThanOrEqual(60);
      expect(ok).toBeLessThan(80);
      expect(ok + limited).toBe(120);
    } finally {
      await second.close();
    }
  });

  it('login allows 10 attempts per 15 minutes per address and e-mail', async () => {
    const email = `rl-${Date.now()}@example.test`;
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await t.http().post('/api/v1/auth/login').send({ email, password: 'wrong password' })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
    // Another e-mail from the same address has its own allowance.
    expect((await t.http().post('/api/v1/auth/login').send({ email: `other-${email}`, password: 'wrong password' })).status).toBe(401);
  });

  it('keeps serving when Redis goes away (fail open), and counts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
    const port = await restartablePort();
    const redis = await startLocalRedis({ dir, port, persistent: false });
    const app = await startTestApp({ RATE_LIMIT_ENABLED: 'true', REDIS_URL: redis.url });
    try {
      const plain = await startTestApp();
      const owner = await registerAccount(plain);
      await plain.close();
      const before = await app.http().get('/api/v1/me').set(owner.auth);
      expect(before.status).toBe(200);
      expect(before.headers['x-ratelimit-limit']).toBe('60');

      await redis.stop();
      const during = await app.http().get('/api/v1/me').set(owner.auth);
      expect(during.status).toBe(200);
      expect(during.headers['x-ratelimit-limit']).toBeUndefined();
      const health = await app.http().get('/api/v1/health');
      expect(health.body.data.checks.rate_limit_fail_open_total).toBeGreaterThanOrEqual(1);
      const ready = await app.http().get('/api/v1/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await app.app.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Rate limits and health probes', () => {
  it('never limits the health routes', async () => {
    const results = await Promise.all(Array.from({ length: 80 }, () => t.http().get('/api/v1/health')));
    expect(results.every((r) => r.status === 200)).toBe(true);
  });

  it('counts each allowed call once in api_calls (the limit and the meter share one Redis script) and a 429 not at all', async () => {
    const plain = await startTestApp();
    let key: { Authorization: string };
    let workspaceId: string;
    try {
      const owner = await registerAccount(plain);
      workspaceId = owner.workspace.id;
      key = (await createApiKey(plain, owner, { scopes: ['posts:read'] })).auth;
    } finally {
      await plain.close();
    }
    const redis = t.app.get<Redis>(REDIS);
    const field = `${workspaceId}|${new Date().toISOString().slice(0, 7)}`;
    const before = Number((await redis.hget(PENDING_API_CALLS, field)) ?? 0);
    // GCRA gives one request back every second, so on a slow machine a few more than 60 pass.
    const statuses: number[] = [];
    while (statuses.filter((s) => s === 429).length < 5 && statuses.length < 200) statuses.push((await t.http().get('/api/v1/posts?limit=1').set(key)).status);
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThanOrEqual(60);
    expect(ok + 5).toBe(statuses.length);
    expect(Number(await redis.hget(PENDING_API_CALLS, field)) - before).toBe(ok);
  });
});
