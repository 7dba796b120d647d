import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const members = (ws: string) => `/api/v1/workspaces/${ws}/members`;

describe('Members [/workspaces/{id}/members]', () => {
  it('an owner invites (the account accepts), lists, re-roles and removes a member', async () => {
    const owner = await registerAccount(t);
    const other = await registerAccount(t);
    const add = await t.http().post(members(owner.workspace.id)).set(owner.auth).send({ email: other.user.email, role: 'viewer' });
    expect(add.status).toBe(201);
    expect(add.body.data).toMatchObject({ workspace_id: owner.workspace.id, role: 'viewer', email: other.user.email, status: 'pending', invited_by: owner.user.id });
    const accept = await t.http().post(`/api/v1/me/invitations/${add.body.data.id}/accept`).set(other.auth);
    expect(accept.status).toBe(200);
    expect(accept.body.data).toMatchObject({ user_id: other.user.id, workspace_id: owner.workspace.id, role: 'viewer', email: other.user.email });

    const list = await t.http().get(members(owner.workspace.id)).set(owner.auth);
    expect(list.body.data.map((m: { user_id: string }) => m.user_id).sort()).toEqual([owner.user.id, other.user.id].sort());

    const up = await t.http().patch(`${members(owner.workspace.id)}/${other.user.id}`).set(owner.auth).send({ role: 'admin' });
    expect(up.status).toBe(200);
    expect(up.body.data.role).toBe('admin');

    // The member now sees the workspace in their own list.
    const theirs = await t.http().get('/api/v1/workspaces').set(other.auth);
    expect(theirs.body.data.map((w: { id: string }) => w.id)).toContain(owner.workspace.id);

    const del = await t.http().delete(`${members(owner.workspace.id)}/${other.user.id}`).set(owner.auth);
    expect(del.status).toBe(204);
    expect((await t.http().get(`/api/v1/workspaces/${owner.workspace.id}`).set(other.auth)).status).toBe(404);
  });

  it('refuses a duplicate member (409), an unknown e-mail (422), an unknown role (422) and an over-posted body (422)', async () => {
    const owner = await registerAccount(t);
    const dup = await t.http().post(members(owner.workspace.id)).set(owner.auth).send({ email: owner.user.email, role: 'admin' });
    expect(dup.status).toBe(409);
    const ghost = await t.http().post(members(owner.workspace.id)).set(owner.auth).send({ email: 'ghost-nobody@example.test', role: 'admin' });
    expect(ghost.status).toBe(422);
    const other = await registerAccount(t);
    const role = await t.http().post(members(owner.workspace.id)).set(owner.auth).send({ email: other.user.email, role: 'emperor' });
    expect(role.status).toBe(422);
    expect(role.body.meta.errors.role).toBeDefined();
    const over = await t.http().post(members(owner.workspace.id)).set(owner.auth).send({ email: other.user.email, role: 'viewer', workspace_id: 'ws_x' });
    expect(over.status).toBe(422);
    const malformed = await t.http().post(members(owner.workspace.id)).set(owner.auth).set('Content-Type', 'application/json').send('{"email":');
    expect(malformed.status).toBe(400);
  });

  it('keeps at least one owner', async () => {
    const owner = await registerAccount(t);
    const demote = await t.http().patch(`${members(owner.workspace.id)}/${owner.user.id}`).set(owner.auth).send({ role: 'admin' });
    expect(demote.status).toBe(409);
    const leave = await t.http().delete(`${members(owner.workspace.id)}/${owner.user.id}`).set(owner.auth);
    expect(leave.status).toBe(409);

    const second = await addMember(t, owner, owner.workspace.id, 'owner');
    const nowOk = await t.http().patch(`${members(owner.workspace.id)}/${owner.user.id}`).set(second.auth).send({ role: 'admin' });
    expect(nowOk.status).toBe(200);
  });

  it('two owners demoting each other at once leave one owner', async () => {
    const a = await registerAccount(t);
    const b = await addMember(t, a, a.workspace.id, 'owner');
    const results = await Promise.all([
      t.http().patch(`${members(a.workspace.id)}/${b.user.id}`).set(a.auth).send({ role: 'member' }),
      t.http().patch(`${members(a.workspace.id)}/${a.user.id}`).set(b.auth).send({ role: 'member' }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).not.toEqual([200, 200]);
    const list = await t.http().get(`${members(a.workspace.id)}?role=owner`).set(a.auth).set(b.auth);
    expect(list.body.data.length).toBeGreaterThanOrEqual(1);
  });

  it('what each built-in role may do with members', async () => {
    const owner = await registerAccount(t, { tier: 'pro' });
    const ws = owner.workspace.id;
    const admin = await addMember(t, owner, ws, 'admin');
    const member = await addMember(t, owner, ws, 'member');
    const viewer = await addMember(t, owner, ws, 'viewer');
    const newcomer = async () => (await registerAccount(t)).user.email;

    // Everyone reads.
    for (const who of [owner, admin, member, viewer]) expect((await t.http().get(members(ws)).set(who.auth)).status).toBe(200);

    // Viewer and member cannot add; they get 403 naming members:write.
    for (const who of [member, viewer]) {
      const res = await t.http().post(members(ws)).set(who.auth).send({ email: await newcomer(), role: 'viewer' });
      expect(res.status).toBe(403);
      expect(res.body.meta.required_scopes).toEqual(['members:write']);
    }
    // Admin adds a viewer, but cannot grant owner nor change an owner.
    expect((await t.http().post(members(ws)).set(admin.auth).send({ email: await newcomer(), role: 'viewer' })).status).toBe(201);
    expect((await t.http().post(members(ws)).set(admin.auth).send({ email: await newcomer(), role: 'owner' })).status).toBe(403);
    expect((await t.http().patch(`${members(ws)}/${owner.user.id}`).set(admin.auth).send({ role: 'viewer' })).status).toBe(403);
    expect((await t.http().delete(`${members(ws)}/${owner.user.id}`).set(admin.auth)).status).toBe(403);
    // Admin may re-role a member; a viewer may not remove anyone.
    expect((await t.http().patch(`${members(ws)}/${member.user.id}`).set(admin.auth).send({ role: 'viewer' })).status).toBe(200);
    expect((await t.http().delete(`${members(ws)}/${member.user.id}`).set(viewer.auth)).status).toBe(403);
    // Owner grants owner.
    expect((await t.http().patch(`${members(ws)}/${admin.user.id}`).set(owner.auth).send({ role: 'owner' })).status).toBe(200);
  });

  it("answers 404 for another workspace's members and for a member id of another workspace", async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    expect((await t.http().get(members(b.workspace.id)).set(a.auth)).status).toBe(404);
    expect((await t.http().post(members(b.workspace.id)).set(a.auth).send({ email: a.user.email, role: 'owner' })).status).toBe(404);
    expect((await t.http().patch(`${members(a.workspace.id)}/${b.user.id}`).set(a.auth).send({ role: 'viewer' })).status).toBe(404);
    expect((await t.http().delete(`${members(a.workspace.id)}/${b.user.id}`).set(a.auth)).status).toBe(404);
    expect((await t.http().delete(`${members(a.workspace.id)}/not-an-id`).set(a.auth)).status).toBe(404);
  });

  it('paginates members in page, cursor and offset mode', async () => {
    const owner = await registerAccount(t, { tier: 'pro' });
    for (let i = 0; i < 4; i++) await addMember(t, owner, owner.workspace.id, 'viewer');
    const page = await t.http().get(`${members(owner.workspace.id)}?per_page=2&page=2`).set(owner.auth);
    expect(page.body.meta.pagination).toMatchObject({ current_page: 2, total: 5, last_page: 3 });
    const first = await t.http().get(`${members(owner.workspace.id)}?limit=4`).set(owner.auth);
    const rest = await t.http().get(`${members(owner.workspace.id)}?limit=4&cursor=${first.body.meta.pagination.next_cursor}`).set(owner.auth);
    expect(rest.body.data).toHaveLength(1);
    expect(rest.body.meta.pagination.has_more).toBe(false);
    const offset = await t.http().get(`${members(owner.workspace.id)}?limit=2&offset=4`).set(owner.auth);
    expect(offset.body.meta.pagination).toEqual({ limit: 2, offset: 4, total: 5 });
  });
});
