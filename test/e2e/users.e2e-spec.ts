import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, registerAccount, uniqueEmail } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('Users of the current workspace [/users]', () => {
  it('creates an account as a member, reads, updates (PUT and PATCH) and removes it', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const email = uniqueEmail('new');
    const created = await t.http().post('/api/v1/users').set(owner.auth).set(ws).send({ name: 'New Person', email, password: 'long enough pw' });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ name: 'New Person', email, role: 'member' });
    const id = created.body.data.id;

    // The new account can sign in.
    expect((await t.http().post('/api/v1/auth/login').send({ email, password: 'long enough pw' })).status).toBe(200);

    expect((await t.http().get(`/api/v1/users/${id}`).set(owner.auth).set(ws)).body.data.email).toBe(email);
    const put = await t.http().put(`/api/v1/users/${id}`).set(owner.auth).set(ws).send({ name: 'Put Name', email, role: 'viewer' });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ name: 'Put Name', role: 'viewer' });
    const incomplete = await t.http().put(`/api/v1/users/${id}`).set(owner.auth).set(ws).send({ name: 'Only Name' });
    expect(incomplete.status).toBe(422);
    const patch = await t.http().patch(`/api/v1/users/${id}`).set(owner.auth).set(ws).send({ name: 'Patched' });
    expect(patch.body.data).toMatchObject({ name: 'Patched', role: 'viewer' });

    const del = await t.http().delete(`/api/v1/users/${id}`).set(owner.auth).set(ws);
    expect(del.status).toBe(204);
    expect((await t.http().get(`/api/v1/users/${id}`).set(owner.auth).set(ws)).status).toBe(404);
    // The account survives removal from the workspace.
    expect((await t.http().post('/api/v1/auth/login').send({ email, password: 'long enough pw' })).status).toBe(200);
  });

  it('accepts the workspace slug in X-Workspace-ID', async () => {
    const owner = await registerAccount(t);
    const res = await t.http().get('/api/v1/users').set(owner.auth).set('X-Workspace-ID', owner.workspace.slug);
    expect(res.status).toBe(200);
    expect(res.body.data[0]).toMatchObject({ id: owner.user.id, role: 'owner' });
  });

  it('refuses a taken e-mail with 409 CONFLICT and leaves no half-made member', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const other = await registerAccount(t);
    const res = await t.http().post('/api/v1/users').set(owner.auth).set(ws).send({ name: 'Dup', email: other.user.email, password: 'long enough pw' });
    expect(res.status).toBe(409);
    expect(res.body.meta.errors.email).toEqual(['has already been taken']);
    const list = await t.http().get('/api/v1/users').set(owner.auth).set(ws);
    expect(list.body.meta.pagination.total).toBe(1);
  });

  it('needs X-Workspace-ID with a user token (400 TENANT_CONTEXT_MISSING)', async () => {
    const owner = await registerAccount(t);
    const res = await t.http().get('/api/v1/users').set(owner.auth);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('TENANT_CONTEXT_MISSING');
  });

  it('refuses an over-posted or malformed body on POST', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const over = await t.http().post('/api/v1/users').set(owner.auth).set(ws).send({ name: 'X', email: uniqueEmail(), password: 'long enough pw', is_admin: true });
    expect(over.status).toBe(422);
    expect(over.body.meta.errors.is_admin).toBeDefined();
    const malformed = await t.http().post('/api/v1/users').set(owner.auth).set(ws).set('Content-Type', 'application/json').send('{,}');
    expect(malformed.status).toBe(400);
  });

  it('what each built-in role may do with users', async () => {
    const owner = await registerAccount(t, { tier: 'pro' });
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const admin = await addMember(t, owner, owner.workspace.id, 'admin');
    const member = await addMember(t, owner, owner.workspace.id, 'member');
    const viewer = await addMember(t, owner, owner.workspace.id, 'viewer');
    const body = () => ({ name: 'P', email: uniqueEmail(), password: 'long enough pw' });

    for (const who of [owner, admin, member, viewer]) expect((await t.http().get('/api/v1/users').set(who.auth).set(ws)).status).toBe(200);
    expect((await t.http().post('/api/v1/users').set(admin.auth).set(ws).send(body())).status).toBe(201);
    for (const who of [member, viewer]) {
      const res = await t.http().post('/api/v1/users').set(who.auth).set(ws).send(body());
      expect(res.status).toBe(403);
      expect(res.body.meta.required_scopes).toEqual(['users:write']);
      const del = await t.http().delete(`/api/v1/users/${admin.user.id}`).set(who.auth).set(ws);
      expect(del.status).toBe(403);
      expect(del.body.meta.required_scopes).toEqual(['users:delete']);
    }
    // Admin cannot demote or remove the owner.
    expect((await t.http().patch(`/api/v1/users/${owner.user.id}`).set(admin.auth).set(ws).send({ role: 'viewer' })).status).toBe(403);
    expect((await t.http().delete(`/api/v1/users/${owner.user.id}`).set(admin.auth).set(ws)).status).toBe(403);
  });

  it("answers 404 for a user of another workspace and for another workspace's header", async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const wsA = { 'X-Workspace-ID': a.workspace.id };
    expect((await t.http().get(`/api/v1/users/${b.user.id}`).set(a.auth).set(wsA)).status).toBe(404);
    expect((await t.http().patch(`/api/v1/users/${b.user.id}`).set(a.auth).set(wsA).send({ name: 'pwned' })).status).toBe(404);
    expect((await t.http().put(`/api/v1/users/${b.user.id}`).set(a.auth).set(wsA).send({ name: 'pwned', email: b.user.email, role: 'viewer' })).status).toBe(404);
    expect((await t.http().delete(`/api/v1/users/${b.user.id}`).set(a.auth).set(wsA)).status).toBe(404);
    expect((await t.http().get('/api/v1/users/usr_bad').set(a.auth).set(wsA)).status).toBe(404);
    const foreign = await t.http().get('/api/v1/users').set(a.auth).set('X-Workspace-ID', b.workspace.id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.data).toBeNull();
    const me = await t.http().get('/api/v1/me').set(b.auth);
    expect(me.body.data.name).not.toBe('pwned');
  });

  it('paginates over more than one page in all three modes', async () => {
    const owner = await registerAccount(t, { tier: 'pro' });
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    for (let i = 0; i < 5; i++) await t.http().post('/api/v1/users').set(owner.auth).set(ws).send({ name: `U${i}`, email: uniqueEmail(), password: 'long enough pw' });
    const p2 = await t.http().get('/api/v1/users?per_page=4&page=2').set(owner.auth).set(ws);
    expect(p2.body.meta.pagination).toEqual({ current_page: 2, per_page: 4, total: 6, last_page: 2, from: 5, to: 6 });
    expect(p2.body.links.prev).toMatch(/page=1/);
    const c1 = await t.http().get('/api/v1/users?limit=4').set(owner.auth).set(ws);
    expect(c1.body.meta.pagination.has_more).toBe(true);
    const c2 = await t.http().get(`/api/v1/users?limit=4&cursor=${c1.body.meta.pagination.next_cursor}`).set(owner.auth).set(ws);
    expect(c2.body.data).toHaveLength(2);
    expect([...c1.body.data, ...c2.body.data].map((u: { id: string }) => u.id)).toHaveLength(6);
    const off = await t.http().get('/api/v1/users?limit=3&offset=3').set(owner.auth).set(ws);
    expect(off.body.meta.pagination).toEqual({ limit: 3, offset: 3, total: 6 });
    expect(off.body.links.prev).toMatch(/offset=0/);
  });
});
