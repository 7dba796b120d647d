import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount, uniqueEmail } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('Register [POST /auth/register]', () => {
  it('creates the user, an owned first workspace and a token pair', async () => {
    const email = uniqueEmail('reg');
    const res = await t.http().post('/api/v1/auth/register').send({ name: 'Ada', email: email.toUpperCase(), password: 'correct horse', workspace_name: 'Analytical Engines' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ success: true, status: 201, code: 'CREATED' });
    const d = res.body.data;
    expect(d.user).toMatchObject({ name: 'Ada', email });
    expect(d.user.id).toMatch(/^usr_/);
    expect(d.user).not.toHaveProperty('password_hash');
    expect(d.workspace).toMatchObject({ name: 'Analytical Engines', slug: 'analytical-engines', tier: 'free', role: 'owner' });
    expect(d).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(d.refresh_token).toMatch(/^tsr_rt_/);
    const me = await t.http().get('/api/v1/me').set('Authorization', `Bearer ${d.access_token}`);
    expect(me.status).toBe(200);
    expect(me.body.data.id).toBe(d.user.id);
  });

  it('refuses a password shorter than 8 or longer than 128 characters', async () => {
    for (const password of ['1234567', 'x'.repeat(129)]) {
      const res = await t.http().post('/api/v1/auth/register').send({ name: 'A', email: uniqueEmail(), password });
      expect(res.status).toBe(422);
      expect(res.body.meta.errors.password).toBeDefined();
    }
  });
});

describe('Login [POST /auth/login]', () => {
  it('signs in with the right password and answers the same 401 for a wrong password or an unknown e-mail', async () => {
    const a = await registerAccount(t);
    const ok = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password });
    expect(ok.status).toBe(200);
    expect(ok.body.code).toBe('OK');
    expect(ok.body.data).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { id: a.user.id } });

    const wrongPassword = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: 'not the password' });
    const unknownEmail = await t.http().post('/api/v1/auth/login').send({ email: uniqueEmail('ghost'), password: 'not the password' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(wrongPassword.body.code).toBe('UNAUTHORIZED');
    expect(unknownEmail.body.message).toBe(wrongPassword.body.message);
  });

  it('binds the token to a workspace named at login, so no X-Workspace-ID is needed', async () => {
    const a = await registerAccount(t);
    const login = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password, workspace: a.workspace.slug });
    expect(login.status).toBe(200);
    const bound = { Authorization: `Bearer ${login.body.data.access_token}` };
    const users = await t.http().get('/api/v1/users').set(bound);
    expect(users.status).toBe(200);
    expect(users.body.data.map((u: { id: string }) => u.id)).toEqual([a.user.id]);

    // The unbound token needs the header.
    const unbound = await t.http().get('/api/v1/users').set(a.auth);
    expect(unbound.status).toBe(400);
    expect(unbound.body.code).toBe('TENANT_CONTEXT_MISSING');

    // A bound token used for another workspace is refused.
    const other = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Second' });
    const cross = await t.http().get('/api/v1/users').set(bound).set('X-Workspace-ID', other.body.data.id);
    expect(cross.status).toBe(403);
  });

  it('refuses to bind to a workspace the user is not a member of (404)', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const res = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password, workspace: b.workspace.id });
    expect(res.status).toBe(404);
  });
});

describe('Refresh [POST /auth/refresh]', () => {
  it('rotates: the new pair works and the old refresh token stops working', async () => {
    const a = await registerAccount(t);
    const first = await t.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body.data.refresh_token).not.toBe(a.refreshToken);
    const second = await t.http().post('/api/v1/auth/refresh').send({ refresh_token: first.body.data.refresh_token });
    expect(second.status).toBe(200);
  });

  it('reuse of a rotated refresh token revokes the whole session family', async () => {
    const a = await registerAccount(t);
    const rotated = await t.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken });
    expect(rotated.status).toBe(200);
    const current = rotated.body.data;

    const replay = await t.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('UNAUTHORIZED');

    // The thief's replay killed the legitimate holder's tokens too.
    const afterReplay = await t.http().post('/api/v1/auth/refresh').send({ refresh_token: current.refresh_token });
    expect(afterReplay.status).toBe(401);
    const access = await t.http().get('/api/v1/me').set('Authorization', `Bearer ${current.access_token}`);
    expect(access.status).toBe(401);
    // Other sessions of the same user are untouched.
    const fresh = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password });
    expect(fresh.status).toBe(200);
  });

  it('two concurrent refreshes with one token: exactly one succeeds', async () => {
    const a = await registerAccount(t);
    const results = await Promise.all([1, 2].map(() => t.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('refuses garbage with 401 and a missing field with 422', async () => {
    expect((await t.http().post('/api/v1/auth/refresh').send({ refresh_token: 'tsr_rt_nope' })).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/refresh').send({ refresh_token: 'eyJhbGciOi' })).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/refresh').send({})).status).toBe(422);
  });
});

describe('Logout [POST /auth/logout]', () => {
  it('ends the session: its access and refresh tokens stop working', async () => {
    const a = await registerAccount(t);
    const res = await t.http().post('/api/v1/auth/logout').set(a.auth);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await t.http().get('/api/v1/me').set(a.auth)).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken })).status).toBe(401);
  });
});

describe('Credentials on protected routes', () => {
  it('answers 401 for a missing, malformed, tampered or wrongly signed token', async () => {
    const a = await registerAccount(t);
    const [h, p] = a.accessToken.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: 'usr_X', sid: 'ses_X', typ: 'access' })).toString('base64url')}.${a.accessToken.split('.')[2]}`;
    const cases: Array<Record<string, string>> = [
      {},
      { Authorization: 'Basic abc' },
      { Authorization: 'Bearer not-a-jwt' },
      { Authorization: `Bearer ${tampered}` },
      { Authorization: `Bearer ${h}.${p}.` },
    ];
    for (const headers of cases) {
      const res = await t.http().get('/api/v1/me').set(headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body).toMatchObject({ success: false, code: 'UNAUTHORIZED', data: null });
    }
  });
});

describe('Me [GET/PATCH /me]', () => {
  it('updates the name', async () => {
    const a = await registerAccount(t);
    const res = await t.http().patch('/api/v1/me').set(a.auth).send({ name: 'New Name' });
    expect(res.status).toBe(200);
    expect(res.body.data.name).toBe('New Name');
  });

  it('changes the password only with the current one, then ends other sessions', async () => {
    const a = await registerAccount(t);
    const other = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password });
    const missing = await t.http().patch('/api/v1/me').set(a.auth).send({ password: 'brand new password' });
    expect(missing.status).toBe(422);
    expect(missing.body.meta.errors.current_password).toBeDefined();
    const wrong = await t.http().patch('/api/v1/me').set(a.auth).send({ password: 'brand new password', current_password: 'wrong one!' });
    expect(wrong.status).toBe(422);

    const ok = await t.http().patch('/api/v1/me').set(a.auth).send({ password: 'brand new password', current_password: a.password });
    expect(ok.status).toBe(200);
    expect((await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password })).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: 'brand new password' })).status).toBe(200);
    // The session that changed it lives on; the other one is over.
    expect((await t.http().get('/api/v1/me').set(a.auth)).status).toBe(200);
    expect((await t.http().get('/api/v1/me').set('Authorization', `Bearer ${other.body.data.access_token}`)).status).toBe(401);
  });

  it('refuses an over-posted body and an e-mail change without the current password', async () => {
    const a = await registerAccount(t);
    const over = await t.http().patch('/api/v1/me').set(a.auth).send({ name: 'x', is_admin: true });
    expect(over.status).toBe(422);
    expect(over.body.meta.errors.is_admin).toBeDefined();
    const res = await t.http().patch('/api/v1/me').set(a.auth).send({ name: 'x', email: 'takeover@example.test' });
    expect(res.status).toBe(422);
    expect(res.body.meta.errors.current_password).toBeDefined();
    expect((await t.http().get('/api/v1/me').set(a.auth)).body.data.email).toBe(a.user.email);
  });
});
