import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Account, addMember, invite, mailedText, registerAccount, uniqueEmail } from '../factories/accounts';
import { startTestApp, startTestWorker, TestApp } from '../utils/app';

let t: TestApp;
let worker: INestApplicationContext;
let pg: Client;
beforeAll(async () => {
  t = await startTestApp();
  // The real worker sends the invitation and confirmation mails to the development mailbox.
  // Mail only: a webhook relay in this worker would share its pool with the mail jobs under test.
  worker = await startTestWorker({ WORKER_QUEUES: 'mail,maintenance' });
  pg = new Client({ connectionString: inject('databaseUrl') });
  await pg.connect();
});
afterAll(async () => {
  await pg?.end();
  await worker?.close();
  await t?.close();
});

const members = (ws: string) => `/api/v1/workspaces/${ws}/members`;
const invitations = (ws: string) => `/api/v1/workspaces/${ws}/invitations`;
const header = (a: Account) => ({ 'X-Workspace-ID': a.workspace.id });

const mailTo = (email: string, match: RegExp) => mailedText(t, email, match);

async function emailOf(a: Account): Promise<string> {
  return (await t.http().get('/api/v1/me').set(a.auth)).body.data.email;
}

async function eventTypes(workspaceId: string): Promise<string[]> {
  const rows = await pg.query<{ type: string }>('SELECT type FROM events WHERE workspace_id = $1 ORDER BY created_at, id', [workspaceId]);
  return rows.rows.map((r) => r.type);
}

async function role(owner: Account, scopes: string[]): Promise<string> {
  const res = await t.http().post('/api/v1/roles').set(owner.auth).set(header(owner)).send({ name: `Role ${scopes.join(' ')} ${Math.random()}`, scopes });
  if (res.status !== 201) throw new Error(`role failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.id;
}

describe('The reproduced cross-tenant takeover', () => {
  it("adding someone's e-mail only invites them: no membership, and their e-mail cannot be changed from the inviting workspace", async () => {
    const attacker = await registerAccount(t);
    const victim = await registerAccount(t);
    const invited = await t.http().post(members(attacker.workspace.id)).set(attacker.auth).send({ email: victim.user.email, role: 'member' });
    expect(invited.status).toBe(201);
    expect(invited.body.data).toMatchObject({ email: victim.user.email, status: 'pending' });
    expect(invited.body.data.id).toMatch(/^inv_/);

    expect((await t.http().get(`/api/v1/users/${victim.user.id}`).set(attacker.auth).set(header(attacker))).status).toBe(404);
    const takeover = uniqueEmail('attacker');
    const patch = await t.http().patch(`/api/v1/users/${victim.user.id}`).set(attacker.auth).set(header(attacker)).send({ email: takeover });
    expect([403, 404]).toContain(patch.status);
    expect(await emailOf(victim)).toBe(victim.user.email);
    // The attacker's address owns no account, so a reset for it reaches nobody.
    const login = await t.http().post('/api/v1/auth/login').send({ email: takeover, password: victim.password });
    expect(login.status).toBe(401);
  });

  it('after the victim accepts, the victim belongs to two workspaces: neither may change its e-mail or name (403)', async () => {
    const attacker = await registerAccount(t);
    const victim = await addMember(t, attacker, attacker.workspace.id, 'viewer');
    const takeover = uniqueEmail('attacker');
    const patch = await t.http().patch(`/api/v1/users/${victim.user.id}`).set(attacker.auth).set(header(attacker)).send({ email: takeover });
    expect(patch.status).toBe(403);
    const put = await t.http().put(`/api/v1/users/${victim.user.id}`).set(attacker.auth).set(header(attacker)).send({ name: 'x', email: takeover });
    expect(put.status).toBe(403);
    expect(await emailOf(victim)).toBe(victim.user.email);
    // The name is the account's too, shared by its workspaces: the same rule holds.
    const rename = await t.http().put(`/api/v1/users/${victim.user.id}`).set(attacker.auth).set(header(attacker)).send({ name: 'Renamed', email: victim.user.email });
    expect(rename.status).toBe(403);
    // Sending the account's own values changes nothing, and is no account change.
    const same = await t.http().put(`/api/v1/users/${victim.user.id}`).set(attacker.auth).set(header(attacker)).send({ name: victim.user.name, email: victim.user.email });
    expect(same.status).toBe(200);
  });

  it('a workspace changes the e-mail of an account that is its alone and that it outranks, and nothing else', async () => {
    const owner = await registerAccount(t, { tier: 'pro' });
    const admin = await addMember(t, owner, owner.workspace.id, 'admin');
    const created = await t.http().post('/api/v1/users').set(owner.auth).set(header(owner)).send({ name: 'Made here', email: uniqueEmail('made'), password: 'long enough pw' });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    // Seed 001's example body (name and e-mail, no role) replaces them and keeps the role.
    const newEmail = uniqueEmail('moved');
    const put = await t.http().put(`/api/v1/users/${id}`).set(admin.auth).set(header(owner)).send({ name: 'Grace Hopper', email: newEmail });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ name: 'Grace Hopper', email: newEmail, role: 'member' });
    // The admin does not outrank the owner, nor another admin; the owner's account is in one workspace.
    expect((await t.http().patch(`/api/v1/users/${owner.user.id}`).set(admin.auth).set(header(owner)).send({ email: uniqueEmail() })).status).toBe(403);
    const admin2 = await t.http().post('/api/v1/users').set(owner.auth).set(header(owner)).send({ name: 'Second admin', email: uniqueEmail(), password: 'long enough pw', role: 'admin' });
    expect((await t.http().patch(`/api/v1/users/${admin2.body.data.id}`).set(admin.auth).set(header(owner)).send({ email: uniqueEmail() })).status).toBe(403);
    expect((await t.http().patch(`/api/v1/users/${admin2.body.data.id}`).set(owner.auth).set(header(owner)).send({ email: uniqueEmail() })).status).toBe(200);
  });
});

describe('Invitations [/workspaces/{id}/invitations, /me/invitations]', () => {
  it('invite → mail → the invitee lists and accepts → member; member.invited and member.added are written', async () => {
    const owner = await registerAccount(t);
    const invitee = await registerAccount(t);
    const inv = await invite(t, owner, owner.workspace.id, invitee.user.email, 'member');
    const text = await mailTo(invitee.user.email, new RegExp(inv.id));
    expect(text).toContain(`/api/v1/me/invitations/${inv.id}/accept`);

    const pending = await t.http().get(invitations(owner.workspace.id)).set(owner.auth);
    expect(pending.status).toBe(200);
    expect(pending.body.data.map((i: { id: string }) => i.id)).toEqual([inv.id]);

    const mine = await t.http().get('/api/v1/me/invitations?per_page=10').set(invitee.auth);
    expect(mine.status).toBe(200);
    expect(mine.body.data).toHaveLength(1);
    expect(mine.body.data[0]).toMatchObject({ id: inv.id, workspace_id: owner.workspace.id, workspace_name: owner.workspace.name, role: 'member', status: 'pending' });
    expect(Date.parse(mine.body.data[0].expires_at) - Date.parse(mine.body.data[0].created_at)).toBe(7 * 24 * 3600 * 1000);
    expect((await t.http().get('/api/v1/me/invitations?bogus=1').set(invitee.auth)).status).toBe(400);

    const accepted = await t.http().post(`/api/v1/me/invitations/${inv.id}/accept`).set(invitee.auth);
    expect(accepted.status).toBe(200);
    expect(accepted.body.data).toMatchObject({ user_id: invitee.user.id, role: 'member' });
    expect((await t.http().get(`/api/v1/workspaces/${owner.workspace.id}`).set(invitee.auth)).status).toBe(200);
    expect((await t.http().get('/api/v1/me/invitations').set(invitee.auth)).body.data).toEqual([]);
    expect((await t.http().get(invitations(owner.workspace.id)).set(owner.auth)).body.data).toEqual([]);
    // Answered once only; inviting a member is a conflict.
    expect((await t.http().post(`/api/v1/me/invitations/${inv.id}/accept`).set(invitee.auth)).status).toBe(409);
    expect((await t.http().post(members(owner.workspace.id)).set(owner.auth).send({ email: invitee.user.email, role: 'viewer' })).status).toBe(409);

    const types = await eventTypes(owner.workspace.id);
    expect(types).toContain('member.invited');
    expect(types).toContain('member.added');
    expect(types.indexOf('member.invited')).toBeLessThan(types.indexOf('member.added'));
  });

  it('re-inviting a pending invitee is 409; the workspace withdraws; the invitee declines', async () => {
    const owner = await registerAccount(t);
    const invitee = await registerAccount(t);
    const first = await invite(t, owner, owner.workspace.id, invitee.user.email, 'viewer');
    expect((await t.http().post(members(owner.workspace.id)).set(owner.auth).send({ email: invitee.user.email, role: 'viewer' })).status).toBe(409);

    expect((await t.http().delete(`${invitations(owner.workspace.id)}/${first.id}`).set(owner.auth)).status).toBe(204);
    expect((await t.http().delete(`${invitations(owner.workspace.id)}/${first.id}`).set(owner.auth)).status).toBe(404);
    expect((await t.http().get('/api/v1/me/invitations').set(invitee.auth)).body.data).toEqual([]);
    expect((await t.http().post(`/api/v1/me/invitations/${first.id}/accept`).set(invitee.auth)).status).toBe(409);

    const second = await invite(t, owner, owner.workspace.id, invitee.user.email, 'viewer');
    expect((await t.http().post(`/api/v1/me/invitations/${second.id}/decline`).set(invitee.auth)).status).toBe(204);
    expect((await t.http().post(`/api/v1/me/invitations/${second.id}/accept`).set(invitee.auth)).status).toBe(409);
    expect((await t.http().get(`/api/v1/workspaces/${owner.workspace.id}`).set(invitee.auth)).status).toBe(404);
    expect((await t.http().get(members(owner.workspace.id)).set(owner.auth)).body.data).toHaveLength(1);
  });

  it('an expired invitation cannot be accepted, is no longer listed, and may be sent again', async () => {
    const owner = await registerAccount(t);
    const invitee = await registerAccount(t);
    const inv = await invite(t, owner, owner.workspace.id, invitee.user.email, 'member');
    await pg.query(`UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1`, [inv.id]);
    expect((await t.http().get('/api/v1/me/invitations').set(invitee.auth)).body.data).toEqual([]);
    expect((await t.http().post(`/api/v1/me/invitations/${inv.id}/accept`).set(invitee.auth)).status).toBe(409);
    expect((await t.http().get(`/api/v1/workspaces/${owner.workspace.id}`).set(invitee.auth)).status).toBe(404);
    expect((await invite(t, owner, owner.workspace.id, invitee.user.email, 'member')).status).toBe('pending');
  });

  it("someone else's invitation is 404, whoever asks", async () => {
    const owner = await registerAccount(t);
    const invitee = await registerAccount(t);
    const stranger = await registerAccount(t);
    const inv = await invite(t, owner, owner.workspace.id, invitee.user.email, 'admin');
    expect((await t.http().post(`/api/v1/me/invitations/${inv.id}/accept`).set(stranger.auth)).status).toBe(404);
    expect((await t.http().post(`/api/v1/me/invitations/${inv.id}/decline`).set(stranger.auth)).status).toBe(404);
    expect((await t.http().post(`/api/v1/me/invitations/${inv.id}/accept`).set(owner.auth)).status).toBe(404);
    expect((await t.http().post('/api/v1/me/invitations/inv_nope/accept').set(invitee.auth)).status).toBe(404);
    // Another workspace cannot see or withdraw it.
    expect((await t.http().get(invitations(owner.workspace.id)).set(stranger.auth)).status).toBe(404);
    expect((await t.http().delete(`${invitations(stranger.workspace.id)}/${inv.id}`).set(stranger.auth)).status).toBe(404);
    expect((await t.http().get('/api/v1/me/invitations').set(invitee.auth)).body.data).toHaveLength(1);
  });

  it('accepting counts against the members entitlement (403 FEATURE_LIMIT_REACHED when full)', async () => {
    const owner = await registerAccount(t); // free: 3 members
    await addMember(t, owner, owner.workspace.id, 'viewer');
    const third = await registerAccount(t);
    const fourth = await registerAccount(t);
    const inv3 = await invite(t, owner, owner.workspace.id, third.user.email, 'viewer');
    const inv4 = await invite(t, owner, owner.workspace.id, fourth.user.email, 'viewer');
    expect((await t.http().post(`/api/v1/me/invitations/${inv3.id}/accept`).set(third.auth)).status).toBe(200);
    const full = await t.http().post(`/api/v1/me/invitations/${inv4.id}/accept`).set(fourth.auth);
    expect(full.status).toBe(403);
    expect(full.body.code).toBe('FEATURE_LIMIT_REACHED');
    // The invitation stays open for when a seat frees up.
    expect((await t.http().get('/api/v1/me/invitations').set(fourth.auth)).body.data).toHaveLength(1);
  });
});

describe('Own e-mail change [PATCH /me, POST /me/email/confirm]', () => {
  it('needs the current password and a confirmation from the new address; until then the e-mail stays', async () => {
    const a = await registerAccount(t);
    const next = uniqueEmail('next');
    expect((await t.http().patch('/api/v1/me').set(a.auth).send({ email: next })).status).toBe(422);
    expect((await t.http().patch('/api/v1/me').set(a.auth).send({ email: next, current_password: 'wrong password' })).status).toBe(422);
    const asked = await t.http().patch('/api/v1/me').set(a.auth).send({ email: next, current_password: a.password });
    expect(asked.status).toBe(200);
    expect(asked.body.data.email).toBe(a.user.email);
    expect(await emailOf(a)).toBe(a.user.email);

    const token = /tsr_emc_[A-Za-z0-9_-]+/.exec(await mailTo(next, /tsr_emc_/))![0];
    expect((await t.http().post('/api/v1/me/email/confirm').set(a.auth).send({ token: 'tsr_emc_wrong' })).status).toBe(422);
    // The token is the account's own: another account cannot use it.
    const other = await registerAccount(t);
    expect((await t.http().post('/api/v1/me/email/confirm').set(other.auth).send({ token })).status).toBe(422);

    const confirmed = await t.http().post('/api/v1/me/email/confirm').set(a.auth).send({ token });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.data.email).toBe(next);
    expect((await t.http().post('/api/v1/auth/login').send({ email: next, password: a.password })).status).toBe(200);
    expect((await t.http().post('/api/v1/me/email/confirm').set(a.auth).send({ token })).status).toBe(422);
  });

  it('is 409 when the new address was taken before the confirmation', async () => {
    const a = await registerAccount(t);
    const next = uniqueEmail('contested');
    expect((await t.http().patch('/api/v1/me').set(a.auth).send({ email: next, current_password: a.password })).status).toBe(200);
    const token = /tsr_emc_[A-Za-z0-9_-]+/.exec(await mailTo(next, /tsr_emc_/))![0];
    await registerAccount(t, { email: next });
    expect((await t.http().post('/api/v1/me/email/confirm').set(a.auth).send({ token })).status).toBe(409);
    expect(await emailOf(a)).toBe(a.user.email);
    // A taken address is refused at once, too.
    expect((await t.http().patch('/api/v1/me').set(a.auth).send({ email: next, current_password: a.password })).status).toBe(409);
  });
});

describe('Grants never exceed the granter', () => {
  it('members:write alone cannot grant admin or a * role, to anyone or to oneself (403)', async () => {
    const owner = await registerAccount(t, { tier: 'pro' });
    const ws = owner.workspace.id;
    const manager = await addMember(t, owner, ws, await role(owner, ['members:write', 'members:read']));
    const star = await role(owner, ['*']);
    const viewer = await addMember(t, owner, ws, 'viewer');
    const newcomer = (await registerAccount(t)).user.email;
    for (const r of ['admin', star, 'owner']) {
      expect((await t.http().post(members(ws)).set(manager.auth).send({ email: newcomer, role: r })).status, r).toBe(403);
      expect((await t.http().patch(`${members(ws)}/${manager.user.id}`).set(manager.auth).send({ role: r })).status, r).toBe(403);
      expect((await t.http().patch(`${members(ws)}/${viewer.user.id}`).set(manager.auth).send({ role: r })).status, r).toBe(403);
    }
    const mine = await t.http().get(`${members(ws)}?role=admin`).set(owner.auth);
    expect(mine.body.data).toEqual([]);
  });

  it('an admin cannot grant owner, nor touch an owner; a custom role, even *, cannot demote or remove an admin', async () => {
    const owner = await registerAccount(t, { tier: 'pro' });
    const ws = owner.workspace.id;
    const admin = await addMember(t, owner, ws, 'admin');
    const member = await addMember(t, owner, ws, 'member');
    expect((await t.http().post(members(ws)).set(admin.auth).send({ email: (await registerAccount(t)).user.email, role: 'owner' })).status).toBe(403);
    expect((await t.http().patch(`${members(ws)}/${member.user.id}`).set(admin.auth).send({ role: 'owner' })).status).toBe(403);
    expect((await t.http().patch(`${members(ws)}/${admin.user.id}`).set(admin.auth).send({ role: 'owner' })).status).toBe(403);
    expect((await t.http().post('/api/v1/users').set(admin.auth).set(header(owner)).send({ name: 'n', email: uniqueEmail(), password: 'long enough pw', role: 'owner' })).status).toBe(403);
    expect((await t.http().patch(`/api/v1/users/${member.user.id}`).set(admin.auth).set(header(owner)).send({ role: 'owner' })).status).toBe(403);

    const starUser = await addMember(t, owner, ws, await role(owner, ['*']));
    expect((await t.http().patch(`${members(ws)}/${admin.user.id}`).set(starUser.auth).send({ role: 'viewer' })).status).toBe(403);
    expect((await t.http().delete(`${members(ws)}/${admin.user.id}`).set(starUser.auth)).status).toBe(403);
    expect((await t.http().patch(`${members(ws)}/${member.user.id}`).set(starUser.auth).send({ role: 'viewer' })).status).toBe(200);
  });

  it('a custom role with members:write and posts:* grants only roles within its scopes', async () => {
    const owner = await registerAccount(t, { tier: 'pro' });
    const ws = owner.workspace.id;
    const editorRole = await role(owner, ['members:write', 'posts:*']);
    const writerRole = await role(owner, ['posts:*']);
    const broadRole = await role(owner, ['posts:*', 'seo:*']);
    const editor = await addMember(t, owner, ws, editorRole);
    const email = async () => (await registerAccount(t)).user.email;
    for (const r of ['viewer', 'member', 'admin', broadRole]) {
      const res = await t.http().post(members(ws)).set(editor.auth).send({ email: await email(), role: r });
      expect(res.status, r).toBe(403);
    }
    expect((await t.http().post(members(ws)).set(editor.auth).send({ email: await email(), role: writerRole })).status).toBe(201);
    expect((await t.http().post(members(ws)).set(editor.auth).send({ email: await email(), role: editorRole })).status).toBe(201);
  });
});
