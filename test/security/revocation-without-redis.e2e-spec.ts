import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalRedis } from '../../libs/queue';
import { createApiKey, createPat, registerAccount } from '../factories/accounts';
import { signInBrowser } from '../factories/sessions';
import { startTestApp } from '../utils/app';
import { restartablePort } from '../utils/ports';

describe('Revoked access tokens while Redis is down', () => {
  it('refuses the JWT of a revoked session, API key or PAT, and keeps serving live ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
    const port = await restartablePort();
    const redis = await startLocalRedis({ dir, port, persistent: false });
    const app = await startTestApp({ REDIS_URL: redis.url });
    try {
      const owner = await registerAccount(app);
      const loggedOut = await registerAccount(app);
      const ws = { 'X-Workspace-ID': owner.workspace.id };

      const key = await createApiKey(app, owner, { scopes: ['users:read'] });
      const keyJwt = (await app.http().get('/api/v1/auth/token').set(key.auth)).body.data.access_token as string;
      const pat = await createPat(app, owner, { scopes: ['users:read'], workspace_id: owner.workspace.id });
      const patJwt = (await app.http().get('/api/v1/auth/token').set('X-Api-Key', pat.token)).body.data.access_token as string;

      expect((await app.http().post('/api/v1/auth/logout').set(loggedOut.auth)).status).toBe(204);
      expect((await app.http().delete(`/api/v1/api-keys/${key.id}`).set(owner.auth).set(ws)).status).toBe(204);
      expect((await app.http().delete(`/api/v1/me/tokens/${pat.id}`).set(owner.auth)).status).toBe(204);

      await redis.stop();
      expect((await app.http().get('/api/v1/me').set(loggedOut.auth)).status).toBe(401);
      expect((await app.http().get('/api/v1/users').set('Authorization', `Bearer ${keyJwt}`)).status).toBe(401);
      expect((await app.http().get('/api/v1/users').set('Authorization', `Bearer ${patJwt}`)).status).toBe(401);
      // The database answers for Redis: a live session still works.
      expect((await app.http().get('/api/v1/me').set(owner.auth)).status).toBe(200);
    } finally {
      await app.app.close().catch(() => undefined);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Browser sessions while Redis is down', () => {
  it('refuses an ended session cookie, ends one during the outage, and keeps serving live ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
    const port = await restartablePort();
    const redis = await startLocalRedis({ dir, port, persistent: false });
    const app = await startTestApp({ REDIS_URL: redis.url });
    try {
      const a = await registerAccount(app);
      const endedBefore = await signInBrowser(app, a);
      const endedDuring = await signInBrowser(app, a);
      const live = await signInBrowser(app, a);
      expect((await app.http().post('/api/v1/auth/logout').set(endedBefore.write)).status).toBe(204);
      // In use moments ago: cached in this process, and the cache must not outlive the revocation.
      expect((await app.http().get('/api/v1/me').set(endedDuring.read)).status).toBe(200);

      await redis.stop();
      expect((await app.http().get('/api/v1/me').set(endedBefore.read)).status).toBe(401);
      expect((await app.http().delete(`/api/v1/me/sessions/${endedDuring.sessionId}`).set(live.write)).status).toBe(204);
      expect((await app.http().get('/api/v1/me').set(endedDuring.read)).status).toBe(401);
      expect((await app.http().get('/api/v1/me').set(live.read)).status).toBe(200);
    } finally {
      await app.app.close().catch(() => undefined);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
