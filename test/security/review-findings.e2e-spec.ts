import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalRedis } from '../../libs/queue';
import { AccessTokensService } from '../../src/modules/auth/access-tokens.service';
import { BUILT_IN_ROLE_SCOPES } from '../../src/modules/auth/roles';
import { addMember, createApiKey, createPat, eventually, invite, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';
import { restartablePort } from '../utils/ports';

// The adversarial review of the trust-and-liveness change: each test reproduces what the reviewer
// broke, and passes since it was fixed.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function customRole(owner: Awaited<ReturnType<typeof registerAccount>>, scopes: readonly string[]): Promise<string> {
  const res = await t.http().post('/api/v1/roles').set(owner.auth).set('X-Workspace-ID', owner.workspace.id).send({ name: `r${Date.now()}${Math.random()}`.slice(0, 40), scopes });
  if (res.status !== 201) throw new Error(`role create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.id;
}

describe('Review finding 1: an API key ranks as the member who made it, so a key is no way around a rank rule', () => {
  it('a custom role that may not remove an admin removes one with an API key it created [DELETE /workspaces/{id}/members/{user_id}]', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const ops = await customRole(owner, ['members:read', 'members:delete', 'api-keys:read', 'api-keys:write']);
    const admin = await addMember(t, owner, owner.workspace.id, 'admin');
    const opsUser = await addMember(t, owner, owner.workspace.id, ops);

    const direct = await t.http().delete(`/api/v1/workspaces/${owner.workspace.id}/members/${admin.user.id}`).set(opsUser.auth);
    expect(direct.status).toBe(403);

    const key = await t.http().post('/api/v1/api-keys').set(opsUser.auth).set(ws).send({ name: 'side door', scopes: ['members:delete'] });
    expect(key.status).toBe(201);
    const viaKey = await t.http().delete(`/api/v1/workspaces/${owner.workspace.id}/members/${admin.user.id}`).set('Authorization', `Bearer ${key.body.data.key}`);
    // The key may do no more than the member who made it: the admin outranks that member.
    expect(viaKey.status).toBe(403);
    const members = await t.http().get(`/api/v1/workspaces/${owner.workspace.id}/members`).set(owner.auth);
    expect(members.body.data.map((m: { user_id: string }) => m.user_id)).toContain(admin.user.id);
  });

  it('a custom-role member raises its own role to admin through a key (the self-raise check keys on userId, null for keys) [PATCH /workspaces/{id}/members/{user_id}]', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const broad = await customRole(owner, BUILT_IN_ROLE_SCOPES.admin);
    const user = await addMember(t, owner, owner.workspace.id, broad);

    const direct = await t.http().patch(`/api/v1/workspaces/${owner.workspace.id}/members/${user.user.id}`).set(user.auth).send({ role: 'admin' });
    expect(direct.status).toBe(403);

    const key = await t.http().post('/api/v1/api-keys').set(user.auth).set(ws).send({ name: 'side door', scopes: [...BUILT_IN_ROLE_SCOPES.admin] });
    expect(key.status).toBe(201);
    const viaKey = await t.http().patch(`/api/v1/workspaces/${owner.workspace.id}/members/${user.user.id}`).set('Authorization', `Bearer ${key.body.data.key}`).send({ role: 'admin' });
    expect(viaKey.status).toBe(403);
    const me = await t.http().get(`/api/v1/users/${user.user.id}`).set(owner.auth).set(ws);
    expect(me.body.data.role).toBe(broad);
  });
});

describe('Review finding 2: an invitation grants only what its sender may still grant', () => {
  it('an admin demoted to viewer (or removed) after inviting still makes the invitee an admin on accept [POST /me/invitations/{id}/accept]', async () => {
    const owner = await registerAccount(t);
    const admin = await addMember(t, owner, owner.workspace.id, 'admin');
    const accomplice = await registerAccount(t);
    const invitation = await invite(t, admin, owner.workspace.id, accomplice.user.email, 'admin');

    const demoted = await t.http().patch(`/api/v1/workspaces/${owner.workspace.id}/members/${admin.user.id}`).set(owner.auth).send({ role: 'viewer' });
    expect(demoted.status).toBe(200);

    const accepted = await t.http().post(`/api/v1/me/invitations/${invitation.id}/accept`).set(accomplice.auth);
    // The grant happens now, by someone who can no longer grant admin: refuse it (or withdraw the
    // inviter's open invitations when the inviter is demoted or removed).
    expect(accepted.status).not.toBe(200);
    const member = await t.http().get(`/api/v1/workspaces/${owner.workspace.id}/members/${accomplice.user.id}`).set(owner.auth);
    expect(member.body.data?.role).not.toBe('admin');
  });
});

describe('Review finding 3: the account name follows the account rules (belongs here alone, outranked)', () => {
  it('an admin renames the owner who outranks it [PATCH /users/{id}]', async () => {
    const owner = await registerAccount(t, { name: 'Olivia Owner' });
    const admin = await addMember(t, owner, owner.workspace.id, 'admin');
    const res = await t.http().patch(`/api/v1/users/${owner.user.id}`).set(admin.auth).set('X-Workspace-ID', owner.workspace.id).send({ name: 'Pwned' });
    expect(res.status).toBe(403);
    const me = await t.http().get('/api/v1/me').set(owner.auth);
    expect(me.body.data.name).toBe('Olivia Owner');
  });

  it("workspace A's admin renames an account that also owns workspace B, and B sees the new name [PUT /users/{id}]", async () => {
    const a = await registerAccount(t);
    const adminOfA = await addMember(t, a, a.workspace.id, 'admin');
    const victim = await registerAccount(t, { name: 'Victor Victim' });
    const inv = await invite(t, a, a.workspace.id, victim.user.email, 'viewer');
    expect((await t.http().post(`/api/v1/me/invitations/${inv.id}/accept`).set(victim.auth)).status).toBe(200);

    const res = await t.http().put(`/api/v1/users/${victim.user.id}`).set(adminOfA.auth).set('X-Workspace-ID', a.workspace.id).send({ name: 'IT support: call +1 555 0100', email: victim.user.email });
    // Like the e-mail: only for an account that belongs to this workspace alone (and that the caller outranks).
    expect(res.status).toBe(403);
    const inB = await t.http().get(`/api/v1/users/${victim.user.id}`).set(victim.auth).set('X-Workspace-ID', victim.workspace.id);
    expect(inB.body.data.name).toBe('Victor Victim');
  });
});

describe('Review finding 4: a minted credential never outlives the credential that minted it', () => {
  it('a PAT expiring in a minute creates a PAT without expiry [POST /me/tokens]', async () => {
    const a = await registerAccount(t);
    const short = await createPat(t, a, { scopes: ['tokens:write', 'users:read'], expires_at: new Date(Date.now() + 60_000).toISOString() });
    const res = await t.http().post('/api/v1/me/tokens').set('X-Api-Key', short.token).send({ name: 'forever', scopes: ['users:read'] });
    if (res.status === 201) {
      // Never past the minting credential's own end (as GET /auth/token already does).
      expect(res.body.data.expires_at).not.toBeNull();
      expect(new Date(res.body.data.expires_at).getTime()).toBeLessThanOrEqual(Date.now() + 61_000);
    } else {
      expect(res.status).toBe(403);
    }
  });

  it('an API key expiring in a minute creates an API key without expiry [POST /api-keys]', async () => {
    const a = await registerAccount(t);
    const short = await createApiKey(t, a, { scopes: ['api-keys:write', 'api-keys:read'], expires_at: new Date(Date.now() + 60_000).toISOString() });
    const res = await t.http().post('/api/v1/api-keys').set(short.auth).send({ name: 'forever', scopes: ['api-keys:read'] });
    if (res.status === 201) {
      expect(res.body.data.expires_at).not.toBeNull();
      expect(new Date(res.body.data.expires_at).getTime()).toBeLessThanOrEqual(Date.now() + 61_000);
    } else {
      expect(res.status).toBe(403);
    }
  });
});

describe('Review finding 4b: a token from GET /auth/token mints no credential', () => {
  it('a JWT exchanged for an API key creates a new API key that never expires [POST /api-keys]', async () => {
    const owner = await registerAccount(t);
    const key = await createApiKey(t, owner, { scopes: ['api-keys:write', 'api-keys:read', 'posts:read'] });
    const exchanged = await t.http().get('/api/v1/auth/token').set(key.auth);
    expect(exchanged.status).toBe(200);
    const widget = { Authorization: `Bearer ${exchanged.body.data.access_token}` };
    const minted = await t.http().post('/api/v1/api-keys').set(widget).send({ name: 'from the browser', scopes: ['posts:read'] });
    // A token that may not outlive 15 minutes must not turn itself into a secret that lives forever:
    // refuse (403), or never past the exchanged token's own end.
    if (minted.status !== 403) expect(minted.body.data?.expires_at ?? null).not.toBeNull();
  });

  it('a JWT exchanged for a PAT creates a new PAT that never expires [POST /me/tokens]', async () => {
    const a = await registerAccount(t);
    const pat = await createPat(t, a, { scopes: ['tokens:write', 'users:read'] });
    const exchanged = await t.http().get('/api/v1/auth/token').set('X-Api-Key', pat.token);
    expect(exchanged.status).toBe(200);
    const minted = await t.http().post('/api/v1/me/tokens').set('Authorization', `Bearer ${exchanged.body.data.access_token}`).send({ name: 'from the browser', scopes: ['users:read'] });
    if (minted.status !== 403) expect(minted.body.data?.expires_at ?? null).not.toBeNull();
  });
});

describe('Review finding 5: a key rotates once, even under concurrent calls', () => {
  it('concurrent rotations with grace 0 of one key all succeed and fork it into many live keys [POST /api-keys/{id}/rotate]', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const key = await createApiKey(t, owner, { scopes: ['posts:read'] });
    const answers = await Promise.all(Array.from({ length: 25 }, () => t.http().post(`/api/v1/api-keys/${key.id}/rotate`).set(owner.auth).set(ws).send({ grace_period_hours: 0 })));
    const ok = answers.filter((r) => r.status === 200);
    // Sequentially the second rotation is 409 (the key is revoked); concurrently it must be too.
    expect(ok.length).toBe(1);
    const live = await t.http().get('/api/v1/api-keys?status=active&per_page=100').set(owner.auth).set(ws);
    expect(live.body.data.length).toBe(1);
  });
});

describe('Review finding 6: a pinned PAT stays within its workspace', () => {
  it('a PAT pinned to workspace A lists and accepts an invitation into workspace B [POST /me/invitations/{id}/accept]', async () => {
    const victim = await registerAccount(t);
    const other = await registerAccount(t);
    const pinned = await createPat(t, victim, { scopes: ['users:read', 'users:write'], workspace_id: victim.workspace.id });
    const inv = await invite(t, other, other.workspace.id, victim.user.email, 'viewer');
    const listed = await t.http().get('/api/v1/me/invitations').set('X-Api-Key', pinned.token);
    expect(listed.body.data?.map((i: { workspace_id: string }) => i.workspace_id) ?? []).not.toContain(other.workspace.id);
    const accepted = await t.http().post(`/api/v1/me/invitations/${inv.id}/accept`).set('X-Api-Key', pinned.token);
    // API.md: "a pinned PAT used for another workspace gets 403".
    expect(accepted.status).toBe(403);
  });

  it("a PAT pinned to workspace A lists the account's other workspaces [GET /workspaces]", async () => {
    const victim = await registerAccount(t);
    const other = await registerAccount(t);
    const inv = await invite(t, other, other.workspace.id, victim.user.email, 'viewer');
    expect((await t.http().post(`/api/v1/me/invitations/${inv.id}/accept`).set(victim.auth)).status).toBe(200);
    const pinned = await createPat(t, victim, { scopes: ['workspaces:read'], workspace_id: victim.workspace.id });
    const listed = await t.http().get('/api/v1/workspaces').set('X-Api-Key', pinned.token);
    expect(listed.status).toBe(200);
    // Like an API key, a pinned credential sees its own workspace only.
    expect(listed.body.data.map((w: { id: string }) => w.id)).toEqual([victim.workspace.id]);
  });
});

describe('Review finding 7: revocations made while Redis is down complete, and stay revoked when Redis is back', () => {
  /** An app on its own Redis, which the test stops and starts again on the same port. */
  async function withOwnRedis(run: (ctx: { app: TestApp; stopRedis: () => Promise<void>; startRedis: () => Promise<void> }) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-review-redis-'));
    const port = await restartablePort();
    let redis = await startLocalRedis({ dir, port, persistent: false });
    const app = await startTestApp({ REDIS_URL: redis.url });
    try {
      await run({
        app,
        stopRedis: () => redis.stop(),
        startRedis: async () => {
          redis = await startLocalRedis({ dir, port, persistent: false });
          // Wait until the API talks to Redis again (a rate-limited, cached path would not tell).
          await eventually(async () => (await app.http().get('/api/v1/health/ready')).status === 200, 10_000);
        },
      });
    } finally {
      await app.app.close().catch(() => undefined);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async function resetTokenFor(userId: string): Promise<string> {
    const token = `tsr_rst_${randomBytes(32).toString('base64url')}`;
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      await db.query(`INSERT INTO password_resets (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + interval '1 hour')`, [`rst_${randomBytes(10).toString('hex')}`, userId, createHash('sha256').update(token).digest()]);
    } finally {
      await db.end();
    }
    return token;
  }

  it('a password reset during a Redis outage changes the password but leaves the PATs and the old access token working [POST /auth/password/reset]', async () => {
    await withOwnRedis(async ({ app, stopRedis, startRedis }) => {
      const victim = await registerAccount(app);
      const pat = await createPat(app, victim, { scopes: ['users:read'] });
      const token = await resetTokenFor(victim.user.id);

      await stopRedis();
      const reset = await app.http().post('/api/v1/auth/password/reset').send({ token, password: 'a brand new password' });
      await startRedis();

      const newPasswordWorks = (await app.http().post('/api/v1/auth/login').send({ email: victim.user.email, password: 'a brand new password' })).status === 200;
      if (newPasswordWorks) {
        // Recovery happened, so whoever held the old password must be out: every session and PAT.
        expect((await app.http().get('/api/v1/me').set('X-Api-Key', pat.token)).status).toBe(401);
        expect((await app.http().get('/api/v1/me').set(victim.auth)).status).toBe(401);
      }
      // Not a 500: a dependency that is down is a 503 (API.md).
      expect(reset.status).not.toBe(500);
    });
  }, 60_000);

  it('a logout during a Redis outage revokes the session in PostgreSQL, yet its access token works again once Redis is back [POST /auth/logout]', async () => {
    await withOwnRedis(async ({ app, stopRedis, startRedis }) => {
      const a = await registerAccount(app);
      await stopRedis();
      await app.http().post('/api/v1/auth/logout').set(a.auth);
      await startRedis();
      const refresh = await app.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken });
      if (refresh.status === 401) {
        // The session is revoked: its access token must be refused too (it was, while Redis was down).
        expect((await app.http().get('/api/v1/me').set(a.auth)).status).toBe(401);
      }
    });
  }, 60_000);
});

describe('Review finding 7b: revocation marks lost with the process that failed to write them', () => {
  it('a logout during a Redis outage, by a process that then dies, is refused by a process that never saw the outage once marks are reconciled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-review-redis-'));
    const port = await restartablePort();
    let redis = await startLocalRedis({ dir, port, persistent: false });
    const first = await startTestApp({ REDIS_URL: redis.url });
    let second: TestApp | undefined;
    try {
      const a = await registerAccount(first);
      await redis.stop();
      expect((await first.http().post('/api/v1/auth/logout').set(a.auth)).status).toBe(204);
      // The process that could not write the mark is gone before Redis comes back.
      await first.app.close();
      redis = await startLocalRedis({ dir, port, persistent: false });
      second = await startTestApp({ REDIS_URL: redis.url });
      await second.app.get(AccessTokensService).reconcileMarks();
      expect((await second.http().get('/api/v1/me').set(a.auth)).status).toBe(401);
    } finally {
      await first.app.close().catch(() => undefined);
      await second?.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('Review finding 8: Idempotency-Key replays nothing on unauthenticated routes', () => {
  it('a stolen, already-rotated refresh token sent again with the same Idempotency-Key returns the new token pair instead of revoking the family [POST /auth/refresh]', async () => {
    const a = await registerAccount(t);
    const key = `refresh-${Date.now()}`;
    const first = await t.http().post('/api/v1/auth/refresh').set('Idempotency-Key', key).send({ refresh_token: a.refreshToken });
    expect(first.status).toBe(200);

    // Someone else behind the same address (NAT, or every client when TRUST_PROXY is unset behind a
    // load balancer) replays the old token: API.md says reuse of a rotated token revokes the family.
    const replay = await t.http().post('/api/v1/auth/refresh').set('Idempotency-Key', key).send({ refresh_token: a.refreshToken });
    expect(replay.headers['idempotent-replayed']).toBeUndefined();
    expect(replay.body.data?.refresh_token).toBeUndefined();
  });
});

describe('Review finding 9: a token exchanged from a key has an idempotency store of its own', () => {
  it('a browser token from GET /auth/token cannot replay the answer (and its secret) that the key got with an Idempotency-Key [POST /api-keys]', async () => {
    const owner = await registerAccount(t);
    const master = await createApiKey(t, owner, { scopes: ['*'] });
    const body = { name: 'minted once', scopes: ['posts:read'] };
    const first = await t.http().post('/api/v1/api-keys').set(master.auth).set('Idempotency-Key', 'mint-1').send(body);
    expect(first.status).toBe(201);
    const widget = await t.http().get('/api/v1/auth/token').set(master.auth);
    const replay = await t.http().post('/api/v1/api-keys').set('Authorization', `Bearer ${widget.body.data.access_token}`).set('Idempotency-Key', 'mint-1').send(body);
    expect(replay.status).toBe(403);
    expect(JSON.stringify(replay.body)).not.toContain(first.body.data.key);
  });
});
