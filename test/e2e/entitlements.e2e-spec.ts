import { DataSource } from 'typeorm';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS } from '../../libs/queue';
import { EntitlementsService, PENDING_API_CALLS } from '../../src/modules/entitlements/entitlements.service';
import { addMember, createApiKey, registerAccount, uniqueEmail } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function override(workspaceId: string, feature: string, limit: number): Promise<void> {
  await t.app.get(DataSource).query(`INSERT INTO entitlement_overrides (workspace_id, feature, "limit") VALUES ($1, $2, $3)`, [workspaceId, feature, limit]);
}

describe('Entitlements [/entitlements]', () => {
  it('check answers allowed with usage and limit, or LIMIT_EXCEEDED with an upgrade link', async () => {
    const a = await registerAccount(t);
    const ws = { 'X-Workspace-ID': a.workspace.id };
    const ok = await t.http().get('/api/v1/entitlements/check?feature=members&quantity=2').set(a.auth).set(ws);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ allowed: true, feature: 'members', current_usage: 1, limit: 3, available: 2 });
    const no = await t.http().get('/api/v1/entitlements/check?feature=members&quantity=3').set(a.auth).set(ws);
    expect(no.body.data).toMatchObject({ allowed: false, reason: 'LIMIT_EXCEEDED', current_usage: 1, limit: 3, available: 2 });
    expect(no.body.data.upgrade_url).toMatch(/^https?:\/\//);
    expect(no.body.data.message).toBeTruthy();
    for (const q of ['feature=gold', 'feature=posts&quantity=0', 'feature=posts&quantity=abc', 'quantity=1', 'feature=posts&extra=1']) {
      const res = await t.http().get(`/api/v1/entitlements/check?${q}`).set(a.auth).set(ws);
      expect(res.status, q).toBe(400);
      expect(res.body.code).toBe('BAD_REQUEST');
    }
  });

  it('creating a post past the limit is 403 FEATURE_LIMIT_REACHED, and concurrency never over-grants', async () => {
    const a = await registerAccount(t);
    const ws = { 'X-Workspace-ID': a.workspace.id };
    await override(a.workspace.id, 'posts', 3);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => t.http().post('/api/v1/posts').set(a.auth).set(ws).send({ title: `P${i}` })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.status === 403);
    expect(refused).toHaveLength(7);
    expect(refused[0].body).toMatchObject({ code: 'FEATURE_LIMIT_REACHED', meta: { feature: 'posts', limit: 3, current_usage: 3 } });
    expect(refused[0].body.meta.upgrade_url).toBeTruthy();
    expect((await t.http().get('/api/v1/posts').set(a.auth).set(ws)).body.meta.pagination.total).toBe(3);
  });

  it('adding a member past the plan is refused', async () => {
    const a = await registerAccount(t); // free: 3 members
    await addMember(t, a, a.workspace.id, 'viewer');
    await addMember(t, a, a.workspace.id, 'viewer');
    const res = await t.http().post('/api/v1/users').set(a.auth).set('X-Workspace-ID', a.workspace.id).send({ name: 'Fourth', email: uniqueEmail(), password: 'long enough' });
    expect(res.status).toBe(403);
    expect(res.body.meta).toMatchObject({ feature: 'members', limit: 3, current_usage: 3 });
  });

  it('records consumable usage atomically and never past the limit under concurrency', async () => {
    const a = await registerAccount(t); // free: 10 seo_reports a month
    const ws = { 'X-Workspace-ID': a.workspace.id };
    const results = await Promise.all(
      Array.from({ length: 25 }, () => t.http().post('/api/v1/entitlements/usage').set(a.auth).set(ws).send({ feature: 'seo_reports', quantity: 1, metadata: { report: 'x' } })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    expect(results.filter((r) => r.status === 403)).toHaveLength(15);
    const ok = results.find((r) => r.status === 200)!;
    expect(ok.body.data).toMatchObject({ recorded: true, feature: 'seo_reports', limit: 10, metadata: { report: 'x' } });
    const summary = await t.http().get('/api/v1/entitlements/summary').set(a.auth).set(ws);
    expect(summary.body.data.seo_reports).toMatchObject({ used: 10, limit: 10, available: 0, percentage: 100, unit: 'reports' });
    expect(new Date(summary.body.data.seo_reports.reset_at).getUTCDate()).toBe(1);

    expect((await t.http().post('/api/v1/entitlements/usage').set(a.auth).set(ws).send({ feature: 'posts', quantity: 1 })).status).toBe(422);
    expect((await t.http().post('/api/v1/entitlements/usage').set(a.auth).set(ws).send({ feature: 'storage', quantity: 1000 })).status).toBe(200);
    const released = await t.http().post('/api/v1/entitlements/usage').set(a.auth).set(ws).send({ feature: 'storage', quantity: -400 });
    expect(released.body.data.current_usage).toBe(600);
    expect((await t.http().post('/api/v1/entitlements/usage').set(a.auth).set(ws).send({ feature: 'seo_reports', quantity: 0 })).status).toBe(422);
  });

  it('summary covers every feature, with units and reset dates', async () => {
    const a = await registerAccount(t, { tier: 'enterprise' });
    const res = await t.http().get('/api/v1/entitlements/summary').set(a.auth).set('X-Workspace-ID', a.workspace.id);
    expect(Object.keys(res.body.data).sort()).toEqual(['api_calls', 'members', 'posts', 'seo_reports', 'storage', 'webhooks']);
    expect(res.body.data.storage).toMatchObject({ unit: 'bytes', limit: null, available: null, percentage: null });
    expect(res.body.data.members).toMatchObject({ used: 1, limit: null });
    expect(res.body.data.api_calls.reset_at).toBeDefined();
    expect(res.body.data.posts.reset_at).toBeUndefined();
  });

  it('meters api_calls on every authenticated request: counted in Redis at once, flushed to PostgreSQL in batches', async () => {
    const a = await registerAccount(t);
    const key = await createApiKey(t, a, { scopes: ['read'] });
    for (let i = 0; i < 7; i++) await t.http().get('/api/v1/posts').set(key.auth);
    const redis = t.app.get<Redis>(REDIS);
    const field = `${a.workspace.id}|${new Date().toISOString().slice(0, 7)}`;
    const pending = Number(await redis.hget(PENDING_API_CALLS, field));
    expect(pending).toBeGreaterThanOrEqual(7);

    await t.app.get(EntitlementsService).flushApiCalls();
    expect(await redis.hget(PENDING_API_CALLS, field)).toBeNull();
    const [row] = await t.app.get(DataSource).query(`SELECT used FROM usage_counters WHERE workspace_id = $1 AND feature = 'api_calls'`, [a.workspace.id]);
    expect(Number(row.used)).toBe(pending);
    const summary = await t.http().get('/api/v1/entitlements/summary').set(key.auth);
    expect(summary.body.data.api_calls.used).toBeGreaterThanOrEqual(pending + 1);
  });
});
