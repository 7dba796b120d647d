import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createApiKey, eventually, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('Audit log [GET /audit-logs]', () => {
  it('records key and member events with actor, target, ip, user agent and request id; filters by action and actor', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const key = await createApiKey(t, owner);
    await t.http().post(`/api/v1/api-keys/${key.id}/rotate`).set(owner.auth).set(ws).set('User-Agent', 'audit-test/1.0').set('X-Request-ID', 'audit-req-1').send({});
    const member = await addMember(t, owner, owner.workspace.id, 'viewer');
    await t.http().delete(`/api/v1/workspaces/${owner.workspace.id}/members/${member.user.id}`).set(owner.auth);

    const actions = async () => (await t.http().get('/api/v1/audit-logs?per_page=100').set(owner.auth).set(ws)).body.data.map((r: { action: string }) => r.action);
    expect(await eventually(async () => (await actions()).includes('member.removed'))).toBe(true);
    // The workspace invites; the account's acceptance happens on its own /me route.
    expect(await actions()).toEqual(expect.arrayContaining(['api_key.created', 'api_key.rotated', 'member.invited', 'member.removed']));

    const rotated = await t.http().get('/api/v1/audit-logs?action=api_key.rotated').set(owner.auth).set(ws);
    expect(rotated.body.data).toHaveLength(1);
    expect(rotated.body.data[0]).toMatchObject({ actor_type: 'user', actor_id: owner.user.id, target_type: 'api_key', target_id: key.id, user_agent: 'audit-test/1.0', request_id: 'audit-req-1' });
    expect(rotated.body.data[0].ip).toBeTruthy();
    const byActor = await t.http().get(`/api/v1/audit-logs?actor_id=${owner.user.id}&limit=2`).set(owner.auth).set(ws);
    expect(byActor.body.meta.pagination.has_more).toBe(true);
  });

  it('is per workspace and needs audit:read', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    expect((await t.http().get('/api/v1/audit-logs').set(a.auth).set('X-Workspace-ID', b.workspace.id)).status).toBe(404);
    const k = await createApiKey(t, a, { scopes: ['users:read'] });
    const denied = await t.http().get('/api/v1/audit-logs').set(k.auth);
    expect(denied.status).toBe(403);
    expect(denied.body.meta.required_scopes).toEqual(['audit:read']);
  });

  it('a failed login is recorded (with the e-mail tried, never the password)', async () => {
    const a = await registerAccount(t);
    await t.http().post('/api/v1/auth/login').set('User-Agent', 'brute/1.0').send({ email: a.user.email, password: 'wrong password!' });
    // A failed login belongs to no workspace, so no workspace's log lists it: read the table.
    const ds = t.app.get(DataSource);
    const rows = async () =>
      (await ds.query(`SELECT actor_type, metadata, user_agent, ip FROM audit_logs WHERE action = 'auth.login.failed' AND metadata->>'email' = $1`, [a.user.email])) as Array<{ actor_type: string; metadata: Record<string, unknown>; user_agent: string; ip: string }>;
    expect(await eventually(async () => (await rows()).length === 1)).toBe(true);
    const [row] = await rows();
    expect(row).toMatchObject({ actor_type: 'anonymous', user_agent: 'brute/1.0', metadata: { email: a.user.email } });
    expect(JSON.stringify(row)).not.toContain('wrong password!');
  });
});
