import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { INestApplicationContext } from '@nestjs/common';
import { Account, addMember, createApiKey, createPat, registerAccount, resetTokenFor } from '../factories/accounts';
import { authenticatorFor, enableTotp } from '../factories/mfa';
import { browserFrom, setCookies } from '../factories/sessions';
import { startTestApp, startTestWorker, TestApp } from '../utils/app';

let t: TestApp;
let worker: INestApplicationContext;
beforeAll(async () => {
  [t, worker] = await Promise.all([startTestApp(), startTestWorker({ WORKER_QUEUES: 'mail' })]);
});
afterAll(async () => {
  await Promise.all([t?.close(), worker?.close()]);
});

async function firstStep(app: TestApp, a: Account, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await app.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password, ...extra });
  expect(res.status).toBe(200);
  expect(res.body.data).toEqual({ mfa_required: true, mfa_token: expect.stringMatching(/^tsr_mfa_/) });
  return res.body.data.mfa_token;
}

describe('TOTP enrolment [POST /me/mfa/totp, POST /me/mfa/totp/verify]', () => {
  it('gives a secret, its otpauth:// URI and an SVG QR code, and turns on with a current code only', async () => {
    const a = await registerAccount(t);
    const enrol = await t.http().post('/api/v1/me/mfa/totp').set(a.auth);
    expect(enrol.status).toBe(201);
    const { secret, otpauth_uri, qr_svg } = enrol.body.data;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauth_uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(`/Tessera:${a.user.email}`);
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(qr_svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect((await t.http().get('/api/v1/me/mfa').set(a.auth)).body.data).toEqual({ totp_enabled: false, recovery_codes_remaining: 0 });

    const authenticator = authenticatorFor(secret);
    const wrong = await t.http().post('/api/v1/me/mfa/totp/verify').set(a.auth).send({ code: authenticator.code(-5) });
    expect(wrong.status).toBe(422);
    const ok = await t.http().post('/api/v1/me/mfa/totp/verify').set(a.auth).send({ code: authenticator.code() });
    expect(ok.status).toBe(200);
    const codes: string[] = ok.body.data.recovery_codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    expect((await t.http().get('/api/v1/me/mfa').set(a.auth)).body.data).toEqual({ totp_enabled: true, recovery_codes_remaining: 10 });
    // On is on: a new enrolment needs TOTP deleted first.
    expect((await t.http().post('/api/v1/me/mfa/totp').set(a.auth)).status).toBe(409);
    expect((await t.http().post('/api/v1/me/mfa/totp/verify').set(a.auth).send({ code: authenticator.code(1) })).status).toBe(409);
  });

  it('refuses a personal access token or an API key (403): a leaked script credential cannot turn TOTP on against its owner', async () => {
    const a = await registerAccount(t);
    const pat = await createPat(t, a, { scopes: ['*'] });
    const key = await createApiKey(t, a, { scopes: ['*'] });
    expect((await t.http().post('/api/v1/me/mfa/totp').set('X-Api-Key', pat.token)).status).toBe(403);
    expect((await t.http().post('/api/v1/me/mfa/totp').set(key.auth)).status).toBe(403);
    expect((await t.http().get('/api/v1/me/mfa').set('X-Api-Key', pat.token)).status).toBe(403);
  });

  it('refuses hostile input with 4xx in the envelope', async () => {
    const a = await registerAccount(t);
    await t.http().post('/api/v1/me/mfa/totp').set(a.auth);
    for (const body of [{}, { code: '12345' }, { code: 123456 }, { code: '12345\u0000' }, { code: 'x'.repeat(100_000) }, { code: ['123456'] }]) {
      const res = await t.http().post('/api/v1/me/mfa/totp/verify').set(a.auth).send(body);
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
  });
});

describe('Sign-in with TOTP [POST /auth/login → POST /auth/mfa]', () => {
  it('the first step answers mfa_required and an mfa_token only; a code finishes it with tokens', async () => {
    const a = await registerAccount(t);
    const { authenticator } = await enableTotp(t, a);
    const res = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password });
    expect(res.body.data).not.toHaveProperty('access_token');
    expect(setCookies(res).size).toBe(0);
    const mfaToken = res.body.data.mfa_token;
    // The MFA token is no credential.
    expect((await t.http().get('/api/v1/me').set('Authorization', `Bearer ${mfaToken}`)).status).toBe(401);
    const done = await t.http().post('/api/v1/auth/mfa').send({ mfa_token: mfaToken, code: authenticator.code() });
    expect(done.status).toBe(200);
    expect(done.body.data).toMatchObject({ token_type: 'Bearer', user: { id: a.user.id } });
    expect((await t.http().get('/api/v1/me').set('Authorization', `Bearer ${done.body.data.access_token}`)).status).toBe(200);
    // Single use.
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: mfaToken, code: authenticator.code(1) })).status).toBe(401);
  });

  it('never accepts the same code twice, even within its 30 seconds', async () => {
    const a = await registerAccount(t);
    const { authenticator } = await enableTotp(t, a);
    const code = authenticator.code();
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: await firstStep(t, a), code })).status).toBe(200);
    const replay = await t.http().post('/api/v1/auth/mfa').send({ mfa_token: await firstStep(t, a), code });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('UNAUTHORIZED');
    // Nor a code of an earlier step once a later one was used.
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: await firstStep(t, a), code: authenticator.code(-1) })).status).toBe(401);
  });

  it('finishes a browser sign-in ("session": true) with the session cookie, marked password+totp', async () => {
    const a = await registerAccount(t);
    const { authenticator } = await enableTotp(t, a);
    const mfaToken = await firstStep(t, a, { session: true });
    const done = await t.http().post('/api/v1/auth/mfa').send({ mfa_token: mfaToken, code: authenticator.code() });
    expect(done.status).toBe(200);
    const browser = browserFrom(t, done);
    const sessions = await t.http().get('/api/v1/me/sessions').set(browser.read);
    expect(sessions.body.data[0]).toMatchObject({ id: browser.sessionId, auth_method: 'password+totp', current: true });
  });

  it('takes a recovery code once, instead of a code', async () => {
    const a = await registerAccount(t);
    const { recoveryCodes } = await enableTotp(t, a);
    const used = recoveryCodes[3];
    const ok = await t.http().post('/api/v1/auth/mfa').send({ mfa_token: await firstStep(t, a), recovery_code: used.toUpperCase() });
    expect(ok.status).toBe(200);
    const again = await t.http().post('/api/v1/auth/mfa').send({ mfa_token: await firstStep(t, a), recovery_code: used });
    expect(again.status).toBe(401);
    expect((await t.http().get('/api/v1/me/mfa').set(a.auth)).body.data.recovery_codes_remaining).toBe(9);
    // Another account's code is worth nothing here.
    const b = await registerAccount(t);
    const other = await enableTotp(t, b);
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: await firstStep(t, a), recovery_code: other.recoveryCodes[0] })).status).toBe(401);
  });

  it('ends a token after 5 wrong codes: the right one is then refused too', async () => {
    const a = await registerAccount(t);
    const { authenticator } = await enableTotp(t, a);
    const mfaToken = await firstStep(t, a);
    for (let i = 0; i < 5; i++) expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: mfaToken, code: '000000' })).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: mfaToken, code: authenticator.code() })).status).toBe(401);
  });

  it('refuses an expired token, and one begun before a password reset', async () => {
    const a = await registerAccount(t);
    const { authenticator } = await enableTotp(t, a);
    const expired = await firstStep(t, a);
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      await db.query(`UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [a.user.id]);
    } finally {
      await db.end();
    }
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: expired, code: authenticator.code() })).status).toBe(401);
    const begun = await firstStep(t, a);
    await t.http().post('/api/v1/auth/password/forgot').send({ email: a.user.email });
    const token = await resetTokenFor(t, a.user.email);
    expect((await t.http().post('/api/v1/auth/password/reset').send({ token, password: 'an entirely new one' })).status).toBe(200);
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: begun, code: authenticator.code(1) })).status).toBe(401);
  });

  it('refuses hostile bodies with 4xx', async () => {
    for (const body of [{}, { mfa_token: 'tsr_mfa_x' }, { mfa_token: 'tsr_mfa_x', code: '123456', recovery_code: 'abcd-efgh-jkmn' }, { mfa_token: 'x'.repeat(10_000), code: '123456' }, { mfa_token: 42, code: '123456' }]) {
      const res = await t.http().post('/api/v1/auth/mfa').send(body);
      expect(res.status).toBe(422);
    }
    // NUL bytes are refused by validation; an unknown token of the right shape is a plain 401.
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: 'tsr_mfa_\u0000' + 'A'.repeat(42), code: '123456' })).status).toBe(422);
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: 'tsr_mfa_' + 'A'.repeat(43), code: '123456' })).status).toBe(401);
  });

  it('a burst of 60 tries of one valid code on one token: exactly one signs in, none fails with 5xx', async () => {
    const a = await registerAccount(t);
    const { authenticator } = await enableTotp(t, a);
    const mfaToken = await firstStep(t, a);
    const code = authenticator.code();
    const results = await Promise.all(Array.from({ length: 60 }, () => t.http().post('/api/v1/auth/mfa').send({ mfa_token: mfaToken, code })));
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(59);
  });
});

describe('Code checks are rate limited per account', () => {
  it('the 11th check in 15 minutes is 429, right or wrong', async () => {
    const limited = await startTestApp({ RATE_LIMIT_ENABLED: 'true' });
    try {
      const a = await registerAccount(limited);
      const { authenticator } = await enableTotp(limited, a);
      // enableTotp spent one; nine more wrong ones, over two tokens (five each at most).
      const statuses: number[] = [];
      for (const tries of [5, 4]) {
        const mfaToken = await firstStep(limited, a);
        for (let i = 0; i < tries; i++) statuses.push((await limited.http().post('/api/v1/auth/mfa').send({ mfa_token: mfaToken, code: '000000' })).status);
      }
      expect(statuses).toEqual(Array(9).fill(401));
      const blocked = await limited.http().post('/api/v1/auth/mfa').send({ mfa_token: await firstStep(limited, a), code: authenticator.code() });
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('RATE_LIMITED');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('Turning TOTP off and new recovery codes [DELETE /me/mfa/totp, POST /me/mfa/recovery-codes]', () => {
  it('regenerates the codes with a current code: the old ones stop working', async () => {
    const a = await registerAccount(t);
    const { authenticator, recoveryCodes } = await enableTotp(t, a);
    expect((await t.http().post('/api/v1/me/mfa/recovery-codes').set(a.auth).send({ code: '000000' })).status).toBe(422);
    const res = await t.http().post('/api/v1/me/mfa/recovery-codes').set(a.auth).send({ code: authenticator.code() });
    expect(res.status).toBe(200);
    expect(res.body.data.recovery_codes).toHaveLength(10);
    expect(res.body.data.recovery_codes).not.toContain(recoveryCodes[0]);
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: await firstStep(t, a), recovery_code: recoveryCodes[0] })).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/mfa').send({ mfa_token: await firstStep(t, a), recovery_code: res.body.data.recovery_codes[0] })).status).toBe(200);
  });

  it('needs a current code or a recovery code; then sign-in has no second step', async () => {
    const a = await registerAccount(t);
    const { authenticator } = await enableTotp(t, a);
    expect((await t.http().delete('/api/v1/me/mfa/totp').set(a.auth).send({})).status).toBe(422);
    expect((await t.http().delete('/api/v1/me/mfa/totp').set(a.auth).send({ code: '000000' })).status).toBe(422);
    expect((await t.http().delete('/api/v1/me/mfa/totp').set(a.auth).send({ code: authenticator.code() })).status).toBe(204);
    expect((await t.http().get('/api/v1/me/mfa').set(a.auth)).body.data).toEqual({ totp_enabled: false, recovery_codes_remaining: 0 });
    const login = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password });
    expect(login.body.data.access_token).toEqual(expect.any(String));
    expect((await t.http().delete('/api/v1/me/mfa/totp').set(a.auth).send({ code: authenticator.code(1) })).status).toBe(409);
  });
});

describe('Workspaces that require MFA [PATCH /workspaces/{id} {require_mfa}]', () => {
  it('only an owner with TOTP on may require it; an admin gets 403, another workspace\'s member 404', async () => {
    const owner = await registerAccount(t);
    const admin = await addMember(t, owner, owner.workspace.id, 'admin');
    const stranger = await registerAccount(t);
    const path = `/api/v1/workspaces/${owner.workspace.id}`;
    const noTotp = await t.http().patch(path).set(owner.auth).send({ require_mfa: true });
    expect(noTotp.status).toBe(409);
    await enableTotp(t, admin);
    const byAdmin = await t.http().patch(path).set(admin.auth).send({ require_mfa: true });
    expect(byAdmin.status).toBe(403);
    expect((await t.http().patch(path).set(stranger.auth).send({ require_mfa: true })).status).toBe(404);
    expect((await t.http().patch(path).set(owner.auth).send({ require_mfa: 'yes' })).status).toBe(422);
    await enableTotp(t, owner);
    const ok = await t.http().patch(path).set(owner.auth).send({ require_mfa: true });
    expect(ok.status).toBe(200);
    expect(ok.body.data.require_mfa).toBe(true);
  });

  it('members without TOTP get 403 MFA_REQUIRED there, by any user credential, until they turn it on; API keys are unaffected', async () => {
    const owner = await registerAccount(t);
    await enableTotp(t, owner);
    const member = await addMember(t, owner, owner.workspace.id, 'member');
    const pat = await createPat(t, member, { scopes: ['posts:read'] });
    const key = await createApiKey(t, owner, { scopes: ['posts:read'] });
    expect((await t.http().patch(`/api/v1/workspaces/${owner.workspace.id}`).set(owner.auth).send({ require_mfa: true })).status).toBe(200);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const byJwt = await t.http().get('/api/v1/posts').set(member.auth).set(ws);
    expect(byJwt.status).toBe(403);
    expect(byJwt.body).toMatchObject({ success: false, code: 'MFA_REQUIRED' });
    expect((await t.http().get('/api/v1/posts').set('X-Api-Key', pat.token).set(ws)).body.code).toBe('MFA_REQUIRED');
    expect((await t.http().get('/api/v1/posts').set(key.auth)).status).toBe(200);
    // The member's own account routes stay open, so they can enrol.
    expect((await t.http().get('/api/v1/me').set(member.auth)).status).toBe(200);
    expect((await t.http().get('/api/v1/posts').set(owner.auth).set(ws)).status).toBe(200);
    await enableTotp(t, member);
    expect((await t.http().get('/api/v1/posts').set(member.auth).set(ws)).status).toBe(200);
    // Other workspaces of the member are not concerned.
    expect((await t.http().get('/api/v1/posts').set(member.auth).set('X-Workspace-ID', member.workspace.id)).status).toBe(200);
  });
});
