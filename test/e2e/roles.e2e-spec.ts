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

describe('Roles [/roles]', () => {
  it('lists the built-in roles, which cannot be changed', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const list = await t.http().get('/api/v1/roles').set(owner.auth).set(ws);
    expect(list.status).toBe(200);
    expect(list.body.data.filter((r: { built_in: boolean }) => r.built_in).map((r: { id: string }) => r.id).sort()).toEqual(['admin', 'member', 'owner', 'viewer']);
    expect((await t.http().patch('/api/v1/roles/admin').set(owner.auth).set(ws).send({ description: 'x' })).status).toBe(403);
    expect((await t.http().delete('/api/v1/roles/owner').set(owner.auth).set(ws)).status).toBe(403);
  });

  it('a member given a custom role can do exactly its scopes', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const role = await t.http().post('/api/v1/roles').set(owner.auth).set(ws).send({ name: 'People manager', scopes: ['users:*', 'members:read'] });
    const reader = await t.http().post('/api/v1/roles').set(owner.auth).set(ws).send({ name: 'User reader', scopes: ['users:read'] });
    expect(role.status).toBe(201);
    expect(role.body.data.id).toMatch(/^role_/);
    const person = await addMember(t, owner, owner.workspace.id, 'viewer');
    const assign = await t.http().patch(`/api/v1/workspaces/${owner.workspace.id}/members/${person.user.id}`).set(owner.auth).send({ role: role.body.data.id });
    expect(assign.status).toBe(200);
    // It creates accounts with a role within its own scopes, never beyond them (member reads and writes more).
    expect((await t.http().post('/api/v1/users').set(person.auth).set(ws).send({ name: 'n', email: `n-${Date.now()}@example.test`, password: 'long enough', role: reader.body.data.id })).status).toBe(201);
    expect((await t.http().post('/api/v1/users').set(person.auth).set(ws).send({ name: 'n', email: `o-${Date.now()}@example.test`, password: 'long enough', role: 'member' })).status).toBe(403);
    const denied = await t.http().get('/api/v1/roles').set(person.auth).set(ws);
    expect(denied.status).toBe(403);
    expect(denied.body.meta.required_scopes).toEqual(['roles:read']);

    // Narrowing the role takes effect at once.
    await t.http().patch(`/api/v1/roles/${role.body.data.id}`).set(owner.auth).set(ws).send({ scopes: ['users:read'] });
    expect((await t.http().post('/api/v1/users').set(person.auth).set(ws).send({ name: 'n', email: `m-${Date.now()}@example.test`, password: 'long enough', role: reader.body.data.id })).status).toBe(403);

    // A role in use cannot be deleted.
    expect((await t.http().delete(`/api/v1/roles/${role.body.data.id}`).set(owner.auth).set(ws)).status).toBe(409);
    await t.http().patch(`/api/v1/workspaces/${owner.workspace.id}/members/${person.user.id}`).set(owner.auth).send({ role: 'viewer' });
    expect((await t.http().delete(`/api/v1/roles/${role.body.data.id}`).set(owner.auth).set(ws)).status).toBe(204);
  });

  it("refuses another workspace's role, a taken name, unknown scopes and roles beyond the caller", async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const wsA = { 'X-Workspace-ID': a.workspace.id };
    const wsB = { 'X-Workspace-ID': b.workspace.id };
    const roleB = await t.http().post('/api/v1/roles').set(b.auth).set(wsB).send({ name: 'B role', scopes: ['read'] });
    expect((await t.http().get(`/api/v1/roles/${roleB.body.data.id}`).set(a.auth).set(wsA)).status).toBe(404);
    const person = await addMember(t, a, a.workspace.id, 'viewer');
    const assign = await t.http().patch(`/api/v1/workspaces/${a.workspace.id}/members/${person.user.id}`).set(a.auth).send({ role: roleB.body.data.id });
    expect(assign.status).toBe(422);

    await t.http().post('/api/v1/roles').set(a.auth).set(wsA).send({ name: 'Dup', scopes: ['read'] });
    expect((await t.http().post('/api/v1/roles').set(a.auth).set(wsA).send({ name: 'dup', scopes: ['read'] })).status).toBe(409);
    const bad = await t.http().post('/api/v1/roles').set(a.auth).set(wsA).send({ name: 'admin', scopes: ['everything'] });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.meta.errors).sort()).toEqual(['name', 'scopes']);

    const admin = await addMember(t, a, a.workspace.id, 'admin');
    const beyond = await t.http().post('/api/v1/roles').set(admin.auth).set(wsA).send({ name: 'Deleter', scopes: ['workspaces:delete'] });
    expect(beyond.status).toBe(403);
  });
});
