import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createApiKey, eventually, registerAccount, sleep } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('API keys [/api-keys]', () => {
  it('shows the key once, lists only its prefix, and the key acts in its own workspace', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const created = await t.http().post('/api/v1/api-keys').set(owner.auth).set(ws).send({ name: 'Backend', scopes: ['users:read'] });
    expect(created.status).toBe(201);
    const key: string = created.body.data.key;
    expect(key).toMatch(/^sk_live_[A-Za-z0-9_-]{43}$/);
    expect(created.body.data).toMatchObject({ name: 'Backend', scopes: ['users:read'], prefix: key.slice(0, 12), environment: 'live', status: 'active' });

    const list = await t.http().get('/api/v1/api-keys').set(owner.auth).set(ws);
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect(list.body.data[0]).not.toHaveProperty('key');
    expect(list.body.data[0]).not.toHaveProperty('key_hash');

    // No X-Workspace-ID needed; the key's own id or slug is accepted; another workspace is 403.
    const users = await t.http().get('/api/v1/users').set('Authorization', `Bearer ${key}`);
    expect(users.status).toBe(200);
    expect(users.body.data[0].id).toBe(owner.user.id);
    expect((await t.http().get('/api/v1/users').set('Authorization', `Bearer ${key}`).set('X-Workspace-ID', owner.workspace.slug)).status).toBe(200);
    const other = await registerAccount(t);
    const cross = await t.http().get('/api/v1/users').set('Authorization', `Bearer ${key}`).set('X-Workspace-ID', other.workspace.id);
    expect(cross.status).toBe(403);
    expect(cross.body.data).toBeNull();

    // Its scopes are enforced and named.
    const denied = await t.http().post('/api/v1/users').set('Authorization', `Bearer ${key}`).send({ name: 'x', email: 'x@example.test', password: 'long enough' });
    expect(denied.status).toBe(403);
    expect(denied.body.meta.required_scopes).toEqual(['users:write']);

    // last_used_at is recorded (off the request path).
    expect(await eventually(async () => (await t.http().get(`/api/v1/api-keys/${created.body.data.id}`).set(owner.auth).set(ws)).body.data.last_used_at !== null)).toBe(true);
  });

  it('makes sk_test_ keys and defaults scopes to read and write', async () => {
    const owner = await registerAccount(t);
    const res = await t.http().post('/api/v1/api-keys').set(owner.auth).set('X-Workspace-ID', owner.workspace.id).send({ name: 'Sandbox', environment: 'test' });
    expect(res.body.data.key).toMatch(/^sk_test_/);
    expect(res.body.data.scopes).toEqual(['read', 'write']);
  });

  it('nobody creates a key with scopes they do not hold', async () => {
    const owner = await registerAccount(t);
    const admin = await addMember(t, owner, owner.workspace.id, 'admin');
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const res = await t.http().post('/api/v1/api-keys').set(admin.auth).set(ws).send({ name: 'too much', scopes: ['*'] });
    expect(res.status).toBe(403);
    expect(res.body.meta.required_scopes).toEqual(['workspaces:delete']);
    // A key that may write keys cannot mint a broader one either.
    const limited = await createApiKey(t, owner, { scopes: ['api-keys:write', 'users:read'] });
    const escalate = await t.http().post('/api/v1/api-keys').set(limited.auth).send({ name: 'escalate', scopes: ['users:write'] });
    expect(escalate.status).toBe(403);
    const same = await t.http().post('/api/v1/api-keys').set(limited.auth).send({ name: 'same', scopes: ['users:read'] });
    expect(same.status).toBe(201);
  });

  it('refuses bad bodies: unknown scope, past expiry, over-posting, bad tier', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const bad = await t.http().post('/api/v1/api-keys').set(owner.auth).set(ws).send({ name: 'x', scopes: ['posts:admin'], rate_limit_tier: 'gold', expires_at: 'tomorrow' });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.meta.errors).sort()).toEqual(['expires_at', 'rate_limit_tier', 'scopes']);
    const past = await t.http().post('/api/v1/api-keys').set(owner.auth).set(ws).send({ name: 'x', expires_at: '2020-01-01T00:00:00.000Z' });
    expect(past.status).toBe(422);
    const over = await t.http().post('/api/v1/api-keys').set(owner.auth).set(ws).send({ name: 'x', workspace_id: 'ws_other' });
    expect(over.status).toBe(422);
  });

  it('an expired key gets 401', async () => {
    const owner = await registerAccount(t);
    const k = await createApiKey(t, owner, { expires_at: new Date(Date.now() + 1500).toISOString() });
    expect((await t.http().get('/api/v1/users').set(k.auth)).status).toBe(200);
    await sleep(1700);
    const res = await t.http().get('/api/v1/users').set(k.auth);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
  });

  it('rotation: a new key at once, the old one until the grace period ends, then 401', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const old = await createApiKey(t, owner, { scopes: ['users:read'] });
    expect((await t.http().get('/api/v1/users').set(old.auth)).status).toBe(200);
    const rotated = await t.http().post(`/api/v1/api-keys/${old.id}/rotate`).set(owner.auth).set(ws).send({ grace_period_hours: 0.0005 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.data).toMatchObject({ name: 'test key', scopes: ['users:read'], replaces: old.id });
    expect(rotated.body.data.id).not.toBe(old.id);
    const graceEnd = new Date(rotated.body.data.grace_period_ends_at).getTime();
    expect(graceEnd - Date.now()).toBeLessThan(2500);
    const fresh = { Authorization: `Bearer ${rotated.body.data.key}` };
    expect((await t.http().get('/api/v1/users').set(fresh)).status).toBe(200);
    expect((await t.http().get('/api/v1/users').set(old.auth)).status).toBe(200);
    await sleep(graceEnd - Date.now() + 200);
    expect((await t.http().get('/api/v1/users').set(old.auth)).status).toBe(401);
    expect((await t.http().get('/api/v1/users').set(fresh)).status).toBe(200);
    // A key that has been rotated away cannot be rotated again.
    expect((await t.http().post(`/api/v1/api-keys/${old.id}/rotate`).set(owner.auth).set(ws).send({})).status).toBe(409);
  });

  it('rotation with no grace ends the old key at once', async () => {
    const owner = await registerAccount(t);
    const old = await createApiKey(t, owner);
    const rotated = await t.http().post(`/api/v1/api-keys/${old.id}/rotate`).set(owner.auth).set('X-Workspace-ID', owner.workspace.id).send({ grace_period_hours: 0 });
    expect(rotated.status).toBe(200);
    expect((await t.http().get('/api/v1/users').set(old.auth)).status).toBe(401);
  });

  it('a revoked key is refused by a second API process within the cache window', async () => {
    const owner = await registerAccount(t);
    const k = await createApiKey(t, owner, { scopes: ['users:read'] });
    const second = await startTestApp();
    try {
      // Both processes have verified (and cached) the key.
      expect((await t.http().get('/api/v1/users').set(k.auth)).status).toBe(200);
      expect((await second.http().get('/api/v1/users').set(k.auth)).status).toBe(200);
      const revoked = await t.http().delete(`/api/v1/api-keys/${k.id}`).set(owner.auth).set('X-Workspace-ID', owner.workspace.id);
      expect(revoked.status).toBe(204);
      expect((await t.http().get('/api/v1/users').set(k.auth)).status).toBe(401);
      const start = Date.now();
      expect(await eventually(async () => (await second.http().get('/api/v1/users').set(k.auth)).status === 401, 5000)).toBe(true);
      // Pub/sub, not the 5 s cache expiry, did it.
      expect(Date.now() - start).toBeLessThan(4000);
    } finally {
      await second.close();
    }
  });

  it("answers 404 for another workspace's key, by id, and 404 for a malformed id", async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const kb = await createApiKey(t, b);
    const wsA = { 'X-Workspace-ID': a.workspace.id };
    expect((await t.http().get(`/api/v1/api-keys/${kb.id}`).set(a.auth).set(wsA)).status).toBe(404);
    expect((await t.http().post(`/api/v1/api-keys/${kb.id}/rotate`).set(a.auth).set(wsA).send({})).status).toBe(404);
    expect((await t.http().delete(`/api/v1/api-keys/${kb.id}`).set(a.auth).set(wsA)).status).toBe(404);
    expect((await t.http().get('/api/v1/api-keys/key_nope').set(a.auth).set(wsA)).status).toBe(404);
    expect((await t.http().get('/api/v1/users').set(kb.auth)).status).toBe(200);
  });
});
