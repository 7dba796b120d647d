import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createApiKey, createPat, makeOperator, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

// Item 3 of the trust-and-liveness issue: nobody gets more than they hold, by rotation, by tier,
// by a pinned credential, or by reaching the operators' routes.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('Key rotation obeys delegation [POST /api-keys/{id}/rotate]', () => {
  it("refuses a narrow key or an admin rotating the owner's * key, and lets the owner rotate it (200)", async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const master = await createApiKey(t, owner, { scopes: ['*'] });
    const narrow = await createApiKey(t, owner, { scopes: ['api-keys:write', 'api-keys:read'] });
    const byNarrow = await t.http().post(`/api/v1/api-keys/${master.id}/rotate`).set(narrow.auth).send({});
    expect(byNarrow.status).toBe(403);
    expect(byNarrow.body.code).toBe('FORBIDDEN');
    expect(byNarrow.body.data).toBeNull();

    const admin = await addMember(t, owner, owner.workspace.id, 'admin');
    const byAdmin = await t.http().post(`/api/v1/api-keys/${master.id}/rotate`).set(admin.auth).set(ws).send({});
    expect(byAdmin.status).toBe(403);
    expect(byAdmin.body.meta.required_scopes).toContain('workspaces:delete');
    // The master key still works: nothing was rotated.
    expect((await t.http().get('/api/v1/api-keys').set(master.auth)).status).toBe(200);

    const byOwner = await t.http().post(`/api/v1/api-keys/${master.id}/rotate`).set(owner.auth).set(ws).send({ grace_period_hours: 0 });
    expect(byOwner.status).toBe(200);
    expect(byOwner.body.data.key).toMatch(/^sk_live_/);
  });
});

describe('Tiers are chosen within SELF_SERVE_TIERS and set by operators', () => {
  it('refuses a tenant creating or upgrading to a tier that is not self-serve', async () => {
    const a = await registerAccount(t);
    const created = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Big', tier: 'enterprise' });
    expect(created.status).toBe(403);
    expect(created.body.code).toBe('FORBIDDEN');
    const upgraded = await t.http().patch(`/api/v1/workspaces/${a.workspace.id}`).set(a.auth).send({ tier: 'pro' });
    expect(upgraded.status).toBe(403);
    expect((await t.http().get(`/api/v1/workspaces/${a.workspace.id}`).set(a.auth)).body.data.tier).toBe('free');
    expect((await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Small', tier: 'free' })).status).toBe(201);
  });

  it("lets tenants choose any tier when the deployment says SELF_SERVE_TIERS=all (the seeds' examples)", async () => {
    const open = await startTestApp({ SELF_SERVE_TIERS: 'all' });
    try {
      const a = await registerAccount(open);
      const created = await open.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Acme Corp', slug: `acme-${a.user.id.slice(-8).toLowerCase()}`, tier: 'pro' });
      expect(created.status).toBe(201);
      expect(created.body.data.tier).toBe('pro');
    } finally {
      await open.close();
    }
  });

  it("caps a key's rate-limit tier at its workspace's tier", async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const over = await t.http().post('/api/v1/api-keys').set(owner.auth).set(ws).send({ name: 'greedy', rate_limit_tier: 'enterprise' });
    expect(over.status).toBe(422);
    expect(over.body.meta.errors.rate_limit_tier).toBeDefined();
    expect((await t.http().post('/api/v1/api-keys').set(owner.auth).set(ws).send({ name: 'fair', rate_limit_tier: 'free' })).status).toBe(201);
  });

  it('limits a key of a downgraded workspace to the workspace tier, not its own', async () => {
    const limited = await startTestApp({ RATE_LIMIT_ENABLED: 'true' });
    try {
      const owner = await registerAccount(limited, { tier: 'pro' });
      const key = await createApiKey(limited, owner, { rate_limit_tier: 'pro', scopes: ['posts:read'] });
      expect((await limited.http().get('/api/v1/posts').set(key.auth)).headers['x-ratelimit-limit']).toBe('6500');
      const operator = await makeOperator(await registerAccount(limited));
      expect((await limited.http().patch(`/api/v1/admin/workspaces/${owner.workspace.id}`).set(operator.auth).send({ tier: 'free' })).status).toBe(200);
      // The key's own tier (pro) is now above its workspace's (free): the workspace's wins.
      const after = await limited.http().get('/api/v1/posts').set(key.auth);
      expect(after.headers['x-ratelimit-limit']).toBe('60');
    } finally {
      await limited.close();
    }
  });
});

describe('Operator routes [/admin/…]', () => {
  it('are 404 to everyone but a platform operator, with or without a credential', async () => {
    const a = await registerAccount(t);
    const key = await createApiKey(t, a, { scopes: ['*'] });
    const target = `/api/v1/admin/workspaces/${a.workspace.id}`;
    for (const auth of [{}, a.auth, key.auth, { Authorization: 'Bearer nonsense' }]) {
      const res = await t.http().patch(target).set(auth).send({ tier: 'enterprise' });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
      expect((await t.http().get('/api/v1/admin/workspaces').set(auth)).status).toBe(404);
    }
    expect((await t.http().get(`/api/v1/workspaces/${a.workspace.id}`).set(a.auth)).body.data.tier).toBe('free');
  });

  it("set a workspace's tier and its entitlement overrides, which take effect at once", async () => {
    const operator = await makeOperator(await registerAccount(t));
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const listed = await t.http().get(`/api/v1/admin/workspaces?search=${owner.workspace.slug}`).set(operator.auth);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((w: { id: string }) => w.id)).toContain(owner.workspace.id);

    const tier = await t.http().patch(`/api/v1/admin/workspaces/${owner.workspace.id}`).set(operator.auth).send({ tier: 'business' });
    expect(tier.status).toBe(200);
    expect(tier.body.data.tier).toBe('business');
    expect((await t.http().get(`/api/v1/workspaces/${owner.workspace.id}`).set(owner.auth)).body.data.tier).toBe('business');

    const set = await t.http().put(`/api/v1/admin/workspaces/${owner.workspace.id}/entitlements/posts`).set(operator.auth).send({ limit: 1 });
    expect(set.status).toBe(200);
    expect(set.body.data.overrides).toEqual({ posts: 1 });
    expect((await t.http().post('/api/v1/posts').set(owner.auth).set(ws).send({ title: 'one' })).status).toBe(201);
    const second = await t.http().post('/api/v1/posts').set(owner.auth).set(ws).send({ title: 'two' });
    expect(second.status).toBe(403);
    expect(second.body.code).toBe('FEATURE_LIMIT_REACHED');

    expect((await t.http().delete(`/api/v1/admin/workspaces/${owner.workspace.id}/entitlements/posts`).set(operator.auth)).status).toBe(204);
    expect((await t.http().post('/api/v1/posts').set(owner.auth).set(ws).send({ title: 'two' })).status).toBe(201);

    // Hostile input: an unknown feature, a malformed id, a bad limit, an unknown tier.
    expect((await t.http().put(`/api/v1/admin/workspaces/${owner.workspace.id}/entitlements/gold`).set(operator.auth).send({ limit: 1 })).status).toBe(404);
    expect((await t.http().patch('/api/v1/admin/workspaces/ws_nope').set(operator.auth).send({ tier: 'pro' })).status).toBe(404);
    expect((await t.http().put(`/api/v1/admin/workspaces/${owner.workspace.id}/entitlements/posts`).set(operator.auth).send({ limit: -5 })).status).toBe(422);
    expect((await t.http().patch(`/api/v1/admin/workspaces/${owner.workspace.id}`).set(operator.auth).send({ tier: 'platinum' })).status).toBe(422);
  });
});

describe('A credential bound to one workspace mints only credentials bound to it', () => {
  it('refuses an unpinned or elsewhere-pinned token from a pinned PAT or a bound login, and a new workspace', async () => {
    const a = await registerAccount(t);
    const other = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Second' });
    expect(other.status).toBe(201);
    const pinned = await createPat(t, a, { scopes: ['*'], workspace_id: a.workspace.id });
    const viaPat = { 'X-Api-Key': pinned.token };
    expect((await t.http().post('/api/v1/me/tokens').set(viaPat).send({ name: 'free', scopes: ['posts:read'] })).status).toBe(403);
    expect((await t.http().post('/api/v1/me/tokens').set(viaPat).send({ name: 'away', scopes: ['posts:read'], workspace_id: other.body.data.id })).status).toBe(403);
    expect((await t.http().post('/api/v1/me/tokens').set(viaPat).send({ name: 'home', scopes: ['posts:read'], workspace_id: a.workspace.id })).status).toBe(201);
    expect((await t.http().post('/api/v1/api-keys').set(viaPat).set('X-Workspace-ID', other.body.data.id).send({ name: 'away' })).status).toBe(403);
    expect((await t.http().post('/api/v1/workspaces').set(viaPat).send({ name: 'Third' })).status).toBe(403);

    const bound = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password, workspace: a.workspace.id });
    const viaLogin = { Authorization: `Bearer ${bound.body.data.access_token}` };
    expect((await t.http().post('/api/v1/me/tokens').set(viaLogin).send({ name: 'free', scopes: ['posts:read'] })).status).toBe(403);
    expect((await t.http().post('/api/v1/api-keys').set(viaLogin).set('X-Workspace-ID', other.body.data.id).send({ name: 'away' })).status).toBe(403);
    expect((await t.http().post('/api/v1/workspaces').set(viaLogin).send({ name: 'Fourth' })).status).toBe(403);
  });
});
