import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Account, createApiKey, registerAccount, sleep } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

// Item 1 of the trust-and-liveness issue: a burst bigger than the connection pool once wedged the
// whole API for good (each transaction held one connection and waited for a second).

describe('Liveness under a burst bigger than the pool', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The default pool (20), even in the suite's pool-of-one leg: this is the burst the issue measured.
    t = await startTestApp({ DATABASE_POOL_MAX: '20' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 100 concurrent post creations by one key of a pro workspace, and stays live', async () => {
    const owner = await registerAccount(t, { tier: 'pro' });
    const key = await createApiKey(t, owner, { scopes: ['posts:*'] });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => t.http().post('/api/v1/posts').set(key.auth).timeout(20_000).send({ title: `Post ${i}` })),
    );
    expect(results.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    const list = await t.http().get('/api/v1/posts?per_page=1').set(key.auth).timeout(1_000);
    expect(list.body.meta.pagination.total).toBe(100);
  });

  it('answers 200 concurrent creates spread over every create route with no 5xx, then a database route within 1 s', async () => {
    const owner = await registerAccount(t, { tier: 'enterprise' });
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const invitees: Account[] = [];
    for (let i = 0; i < 34; i++) invitees.push(await registerAccount(t, { name: `Invitee ${i}` }));
    const key = await createApiKey(t, owner, { scopes: ['posts:*'] });
    const http = () => t.http();
    const requests = Array.from({ length: 200 }, (_, i) => {
      switch (i % 7) {
        case 0:
          return http().post('/api/v1/users').set(owner.auth).set(ws).send({ name: `User ${i}`, email: `burst-${i}-${owner.user.id.slice(-6)}@example.test`, password: 'correct horse battery' });
        case 1:
          return http().post(`/api/v1/workspaces/${owner.workspace.id}/members`).set(owner.auth).send({ email: invitees[Math.floor(i / 7)].user.email, role: 'member' });
        case 2:
          return http().post('/api/v1/posts').set(key.auth).send({ title: `Post ${i}` });
        case 3:
          return http().post('/api/v1/workspaces').set(owner.auth).send({ name: `Burst ${i}` });
        case 4:
          return http().post('/api/v1/api-keys').set(owner.auth).set(ws).send({ name: `Key ${i}`, scopes: ['posts:read'] });
        case 5:
          return http().post('/api/v1/webhooks').set(owner.auth).set(ws).send({ url: `http://127.0.0.1:9/hook-${i}`, events: ['post.*'] });
        default:
          return http().post('/api/v1/roles').set(owner.auth).set(ws).send({ name: `Role ${i}`, scopes: ['posts:read'] });
      }
    });
    const results = await Promise.all(requests.map((r, i) => r.timeout(30_000).then((res) => ({ route: i % 7, status: res.status, code: res.body?.code as string }))));
    const failures = results.filter((r) => ![200, 201].includes(r.status));
    expect(failures).toEqual([]);
    const after = await t.http().get('/api/v1/workspaces?per_page=1').set(owner.auth).timeout(1_000);
    expect(after.status).toBe(200);
    expect((await t.http().get('/api/v1/health/ready').timeout(1_000)).status).toBe(200);
  });
});

describe('Nothing waits forever', () => {
  let t: TestApp;
  let locker: Client;
  beforeAll(async () => {
    // One connection, a short acquire timeout and a lock timeout: a saturated pool answers 503.
    t = await startTestApp({ DATABASE_POOL_MAX: '1', DATABASE_ACQUIRE_TIMEOUT_MS: '1500', DATABASE_LOCK_TIMEOUT_MS: '4000' });
    locker = new Client({ connectionString: inject('databaseUrl') });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end();
    await t?.close();
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After when no connection frees up in time, reports the saturated pool, and recovers', async () => {
    const a = await registerAccount(t);
    const ws = { 'X-Workspace-ID': a.workspace.id };
    // Someone else holds a lock on the posts table: a post creation waits on it, holding the
    // process's only connection.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE posts IN ACCESS EXCLUSIVE MODE');
    try {
      const holder = t.http().post('/api/v1/posts').set(a.auth).set(ws).send({ title: 'waits for the lock' }).then((r) => r);
      await sleep(300);
      const waiter = t.http().get('/api/v1/roles').set(a.auth).set(ws).then((r) => r);
      await sleep(300);
      const ready = await t.http().get('/api/v1/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(ready.body.meta.details.database_pool).toMatchObject({ status: 'down', message: 'saturated', max: 1 });

      const starved = await waiter;
      expect(starved.status).toBe(503);
      expect(starved.body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE', meta: { retry_after: expect.any(Number) } });
      expect(Number(starved.headers['retry-after'])).toBeGreaterThan(0);

      // lock_timeout ends the wait of the request holding the connection: 503 too, not a hang.
      const locked = await holder;
      expect(locked.status).toBe(503);
      expect(locked.body.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await locker.query('ROLLBACK');
    }
    expect((await t.http().get('/api/v1/roles').set(a.auth).set(ws).timeout(1_000)).status).toBe(200);
    const ready = await t.http().get('/api/v1/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.data.checks).toMatchObject({ database_pool: { status: 'up', max: 1 }, event_loop: { status: 'up', max_delay_ms: expect.any(Number) } });
  });
});
