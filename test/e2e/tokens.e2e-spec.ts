import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createApiKey, createPat, registerAccount, uniqueEmail } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('Personal access tokens [/me/tokens]', () => {
  it('works as X-Api-Key and as Bearer, is listed without its secret, and dies when deleted', async () => {
    const a = await registerAccount(t);
    const pat = await createPat(t, a, { scopes: ['users:read'] });
    expect(pat.token).toMatch(/^tsr_pat_/);
    const ws = { 'X-Workspace-ID': a.workspace.id };
    expect((await t.http().get('/api/v1/users').set('X-Api-Key', pat.token).set(ws)).status).toBe(200);
    expect((await t.http().get('/api/v1/users').set('Authorization', `Bearer ${pat.token}`).set(ws)).status).toBe(200);
    const list = await t.http().get('/api/v1/me/tokens').set(a.auth);
    expect(list.body.data).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(pat.token);

    const missing = await t.http().get('/api/v1/users').set('X-Api-Key', pat.token);
    expect(missing.body.code).toBe('TENANT_CONTEXT_MISSING');

    expect((await t.http().delete(`/api/v1/me/tokens/${pat.id}`).set(a.auth)).status).toBe(204);
    expect((await t.http().get('/api/v1/users').set('X-Api-Key', pat.token).set(ws)).status).toBe(401);
    expect((await t.http().delete(`/api/v1/me/tokens/${pat.id}`).set(a.auth)).status).toBe(404);
  });

  it("may do its scopes ∩ its user's role", async () => {
    const owner = await registerAccount(t);
    const viewer = await addMember(t, owner, owner.workspace.id, 'viewer');
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    // The viewer's token asks for users:write; the viewer's role cannot write.
    const pat = await createPat(t, viewer, { scopes: ['users:*'] });
    expect((await t.http().get('/api/v1/users').set('X-Api-Key', pat.token).set(ws)).status).toBe(200);
    const write = await t.http().post('/api/v1/users').set('X-Api-Key', pat.token).set(ws).send({ name: 'n', email: uniqueEmail(), password: 'long enough' });
    expect(write.status).toBe(403);
    expect(write.body.meta.required_scopes).toEqual(['users:write']);
    // The owner's token with only read cannot write either.
    const ownerPat = await createPat(t, owner, { scopes: ['read'] });
    const w2 = await t.http().post('/api/v1/users').set('X-Api-Key', ownerPat.token).set(ws).send({ name: 'n', email: uniqueEmail(), password: 'long enough' });
    expect(w2.status).toBe(403);
  });

  it('a pinned token is refused for another workspace (403), and a pin must be a membership', async () => {
    const a = await registerAccount(t);
    const second = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Second' });
    const pinned = await createPat(t, a, { scopes: ['read'], workspace_id: a.workspace.slug });
    expect((await t.http().get('/api/v1/users').set('X-Api-Key', pinned.token)).status).toBe(200);
    const other = await t.http().get('/api/v1/users').set('X-Api-Key', pinned.token).set('X-Workspace-ID', second.body.data.id);
    expect(other.status).toBe(403);
    const b = await registerAccount(t);
    const foreign = await t.http().post('/api/v1/me/tokens').set(a.auth).send({ name: 'x', scopes: ['read'], workspace_id: b.workspace.id });
    expect(foreign.status).toBe(404);
  });

  it('an API key cannot manage personal access tokens', async () => {
    const a = await registerAccount(t);
    const k = await createApiKey(t, a, { scopes: ['*'] });
    const res = await t.http().post('/api/v1/me/tokens').set(k.auth).send({ name: 'x', scopes: ['read'] });
    expect(res.status).toBe(403);
  });
});

describe('Token exchange [GET /auth/token]', () => {
  it('gives a 15-minute JWT with the API key’s scopes and workspace, which dies with the key', async () => {
    const owner = await registerAccount(t);
    const k = await createApiKey(t, owner, { scopes: ['users:read'] });
    const res = await t.http().get('/api/v1/auth/token').set(k.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    const jwt = { Authorization: `Bearer ${res.body.data.access_token}` };
    expect((await t.http().get('/api/v1/users').set(jwt)).status).toBe(200);
    expect((await t.http().post('/api/v1/users').set(jwt).send({ name: 'n', email: uniqueEmail(), password: 'long enough' })).status).toBe(403);
    await t.http().delete(`/api/v1/api-keys/${k.id}`).set(owner.auth).set('X-Workspace-ID', owner.workspace.id);
    expect((await t.http().get('/api/v1/users').set(jwt)).status).toBe(401);
  });

  it('works for a PAT and refuses a plain user session (400)', async () => {
    const a = await registerAccount(t);
    const pat = await createPat(t, a, { scopes: ['users:read'], workspace_id: a.workspace.id });
    const res = await t.http().get('/api/v1/auth/token').set('X-Api-Key', pat.token);
    expect(res.status).toBe(200);
    expect((await t.http().get('/api/v1/users').set('Authorization', `Bearer ${res.body.data.access_token}`)).status).toBe(200);
    expect((await t.http().get('/api/v1/auth/token').set(a.auth)).status).toBe(400);
  });
});

describe('Revocation [POST /auth/revoke]', () => {
  it('revokes my refresh token, PAT and API key, and answers 200 for anything else', async () => {
    const a = await registerAccount(t);
    const pat = await createPat(t, a, { scopes: ['read'] });
    const key = await createApiKey(t, a);
    // The refresh token last: revoking it ends this very session.
    for (const token of [pat.token, key.key, a.refreshToken]) {
      const res = await t.http().post('/api/v1/auth/revoke').set(a.auth).send({ token });
      expect(res.status).toBe(200);
    }
    expect((await t.http().get('/api/v1/me').set(a.auth)).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken })).status).toBe(401);
    expect((await t.http().get('/api/v1/me').set('X-Api-Key', pat.token)).status).toBe(401);
    expect((await t.http().get('/api/v1/users').set(key.auth)).status).toBe(401);
    const fresh = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password });
    expect((await t.http().post('/api/v1/auth/revoke').set('Authorization', `Bearer ${fresh.body.data.access_token}`).send({ token: 'tsr_pat_does-not-exist' })).status).toBe(200);
  });

  it("does not revoke someone else's token", async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const patB = await createPat(t, b, { scopes: ['read'] });
    const keyB = await createApiKey(t, b);
    for (const token of [b.refreshToken, patB.token, keyB.key]) {
      expect((await t.http().post('/api/v1/auth/revoke').set(a.auth).send({ token })).status).toBe(200);
    }
    expect((await t.http().get('/api/v1/me').set('X-Api-Key', patB.token)).status).toBe(200);
    expect((await t.http().get('/api/v1/users').set(keyB.auth)).status).toBe(200);
    expect((await t.http().post('/api/v1/auth/refresh').send({ refresh_token: b.refreshToken })).status).toBe(200);
  });
});
