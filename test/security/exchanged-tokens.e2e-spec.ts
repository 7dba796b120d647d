import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createApiKey, createPat, eventually, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

function expOf(jwt: string): number {
  return (JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as { exp: number }).exp;
}

describe('Exchanged tokens [GET /auth/token]', () => {
  it('refuses to exchange a token that was itself exchanged (API key and PAT)', async () => {
    const owner = await registerAccount(t);
    const k = await createApiKey(t, owner, { scopes: ['users:read'] });
    const first = await t.http().get('/api/v1/auth/token').set(k.auth);
    expect(first.status).toBe(200);
    const again = await t.http().get('/api/v1/auth/token').set('Authorization', `Bearer ${first.body.data.access_token}`);
    expect(again.status).toBe(400);
    expect(again.body.data?.access_token).toBeUndefined();

    const pat = await createPat(t, owner, { scopes: ['users:read'], workspace_id: owner.workspace.id });
    const fromPat = await t.http().get('/api/v1/auth/token').set('X-Api-Key', pat.token);
    expect(fromPat.status).toBe(200);
    expect((await t.http().get('/api/v1/auth/token').set('Authorization', `Bearer ${fromPat.body.data.access_token}`)).status).toBe(400);
  });

  it('never outlives the key’s expires_at', async () => {
    const owner = await registerAccount(t);
    const expiresAt = new Date(Date.now() + 120_000);
    const k = await createApiKey(t, owner, { scopes: ['users:read'], expires_at: expiresAt.toISOString() });
    const res = await t.http().get('/api/v1/auth/token').set(k.auth);
    expect(res.status).toBe(200);
    expect(res.body.data.expires_in).toBeLessThanOrEqual(120);
    expect(expOf(res.body.data.access_token)).toBeLessThanOrEqual(Math.floor(expiresAt.getTime() / 1000));
  });

  it('never outlives a rotation’s grace period', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const old = await createApiKey(t, owner, { scopes: ['users:read'] });
    const rotated = await t.http().post(`/api/v1/api-keys/${old.id}/rotate`).set(owner.auth).set(ws).send({ grace_period_hours: 0.01 });
    expect(rotated.status).toBe(200);
    const graceEnd = new Date(rotated.body.data.grace_period_ends_at).getTime();
    const res = await t.http().get('/api/v1/auth/token').set(old.auth);
    expect(res.status).toBe(200);
    expect(res.body.data.expires_in).toBeLessThanOrEqual(36);
    expect(expOf(res.body.data.access_token)).toBeLessThanOrEqual(Math.floor(graceEnd / 1000));
  });

  it('a token exchanged before a rotation dies when the grace period ends', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const old = await createApiKey(t, owner, { scopes: ['users:read'] });
    const exchanged = await t.http().get('/api/v1/auth/token').set(old.auth);
    expect(exchanged.body.data.expires_in).toBe(900);
    const jwt = { Authorization: `Bearer ${exchanged.body.data.access_token}` };
    expect((await t.http().get('/api/v1/users').set(jwt)).status).toBe(200);
    const rotated = await t.http().post(`/api/v1/api-keys/${old.id}/rotate`).set(owner.auth).set(ws).send({ grace_period_hours: 0.0005 });
    expect(rotated.status).toBe(200);
    const graceEnd = new Date(rotated.body.data.grace_period_ends_at).getTime();
    const refused = await eventually(async () => Date.now() > graceEnd && (await t.http().get('/api/v1/users').set(jwt)).status === 401, 10_000);
    expect(refused).toBe(true);
    expect((await t.http().get('/api/v1/users').set(old.auth)).status).toBe(401);
  });

  it('keeps a revocation mark for as long as the configured access-token lifetime', async () => {
    const long = await startTestApp({ ACCESS_TOKEN_TTL_SECONDS: '86400' });
    const redis = new Redis(inject('redisUrl'));
    try {
      const owner = await registerAccount(long);
      const k = await createApiKey(long, owner, { scopes: ['users:read'] });
      const exchanged = await long.http().get('/api/v1/auth/token').set(k.auth);
      expect(exchanged.body.data.expires_in).toBe(86400);
      expect((await long.http().delete(`/api/v1/api-keys/${k.id}`).set(owner.auth).set('X-Workspace-ID', owner.workspace.id)).status).toBe(204);
      const pat = await createPat(long, owner, { scopes: ['users:read'] });
      expect((await long.http().delete(`/api/v1/me/tokens/${pat.id}`).set(owner.auth)).status).toBe(204);
      // The mark must still be there when the last day-long token minted from the key expires.
      expect(await redis.ttl(`tessera:auth:revoked:${k.id}`)).toBeGreaterThan(86400);
      expect(await redis.ttl(`tessera:auth:revoked:${pat.id}`)).toBeGreaterThan(86400);
    } finally {
      redis.disconnect();
      await long.close();
    }
  });
});
