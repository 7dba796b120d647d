import { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../libs/database';
import { createApiKey, createPat, eventually, registerAccount, resetTokenFor } from '../factories/accounts';
import { startTestApp, startTestWorker, TestApp } from '../utils/app';

let t: TestApp;
let worker: INestApplicationContext;
beforeAll(async () => {
  t = await startTestApp();
  // The real worker makes the reset token and "sends" it to the development mailbox.
  // Mail only: a webhook relay in this worker would share its pool with the mail jobs under test.
  worker = await startTestWorker({ WORKER_QUEUES: 'mail,maintenance' });
});
afterAll(async () => {
  await worker?.close();
  await t?.close();
});

async function forgotAndResetToken(email: string): Promise<string> {
  await t.http().post('/api/v1/auth/password/forgot').send({ email });
  return resetTokenFor(t, email);
}

interface AuditRow {
  action: string;
  metadata: Record<string, unknown>;
}

describe('Account recovery [POST /auth/password/reset]', () => {
  it('ends every session and every personal access token, keeps workspace API keys, and says so in the audit log', async () => {
    const a = await registerAccount(t);
    const ws = { 'X-Workspace-ID': a.workspace.id };
    const pat = await createPat(t, a, { scopes: ['users:read'], workspace_id: a.workspace.id });
    const key = await createApiKey(t, a, { scopes: ['users:read'] });
    expect((await t.http().get('/api/v1/users').set('X-Api-Key', pat.token)).status).toBe(200);

    const token = await forgotAndResetToken(a.user.email);
    expect((await t.http().post('/api/v1/auth/password/reset').send({ token, password: 'a brand new password' })).status).toBe(200);

    expect((await t.http().get('/api/v1/users').set('X-Api-Key', pat.token)).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken })).status).toBe(401);
    expect((await t.http().get('/api/v1/me').set(a.auth)).status).toBe(401);
    expect((await t.http().get('/api/v1/users').set(key.auth).set(ws)).status).toBe(200);

    const db = t.app.get(Database);
    let row: AuditRow | undefined;
    const written = await eventually(async () => {
      const rows = await db.query<AuditRow[]>(`SELECT action, metadata FROM audit_logs WHERE actor_id = $1 AND action = 'auth.credentials.revoked_all'`, [a.user.id]);
      row = rows[0];
      return !!row;
    });
    expect(written).toBe(true);
    expect(row?.metadata).toMatchObject({ reason: 'password_reset', sessions_revoked: 1, tokens_revoked: 1 });
  });

  it('a password change [PATCH /me] ends the other sessions but keeps this one and the PATs', async () => {
    const a = await registerAccount(t);
    const other = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password });
    expect(other.status).toBe(200);
    const pat = await createPat(t, a, { scopes: ['users:read'] });
    const changed = await t.http().patch('/api/v1/me').set(a.auth).send({ current_password: a.password, password: 'another new password' });
    expect(changed.status).toBe(200);
    expect((await t.http().get('/api/v1/me').set(a.auth)).status).toBe(200);
    expect((await t.http().get('/api/v1/me').set('Authorization', `Bearer ${other.body.data.access_token}`)).status).toBe(401);
    expect((await t.http().get('/api/v1/me').set('X-Api-Key', pat.token)).status).toBe(200);
  });
});
