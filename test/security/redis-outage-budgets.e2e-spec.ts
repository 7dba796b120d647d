import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startLocalRedis } from '../../libs/queue';
import { eventually, registerAccount } from '../factories/accounts';
import { enableTotp } from '../factories/mfa';
import { startTestApp } from '../utils/app';
import { restartablePort } from '../utils/ports';

// The budgets that guard a secret against guessing (second-factor codes, current passwords) live in
// Redis. The tier rate limit lets requests through when Redis cannot answer (fail open); these
// refuse them instead (503): anything that filled or stopped Redis would otherwise give unlimited
// guesses at a 6-digit code to whoever holds the password.

it('while Redis is down, second-factor codes and current passwords are not checked at all: 503, never a guess [POST /auth/mfa, PATCH /me]', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-outage-redis-'));
  const port = await restartablePort();
  let redis = await startLocalRedis({ dir, port, persistent: false });
  const app = await startTestApp({ REDIS_URL: redis.url, RATE_LIMIT_ENABLED: 'true' });
  try {
    const a = await registerAccount(app);
    const { authenticator } = await enableTotp(app, a);
    const login = await app.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password });
    expect(login.body.data.mfa_required).toBe(true);
    const mfaToken: string = login.body.data.mfa_token;

    await redis.stop();
    // More wrong codes than the token allows (its fifth would end it), then the right code: none is
    // compared. (Each waits for Redis up to 2 s before the refusal: sent together.)
    const [change, ...answers] = await Promise.all([
      app.http().patch('/api/v1/me').set(a.auth).send({ email: `moved-${Date.now()}@example.test`, current_password: a.password }),
      ...Array.from({ length: 7 }, (_, i) => app.http().post('/api/v1/auth/mfa').send({ mfa_token: mfaToken, code: String(100000 + i) })),
    ]);
    answers.push(await app.http().post('/api/v1/auth/mfa').send({ mfa_token: mfaToken, code: authenticator.code() }));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(503));
    expect(answers[0].body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE', data: null });
    expect(answers[0].headers['retry-after']).toBe('5');
    expect(change.status).toBe(503);

    redis = await startLocalRedis({ dir, port, persistent: false });
    await eventually(async () => (await app.http().get('/api/v1/health/ready')).status === 200, 10_000);
    // Nothing was spent while Redis was away: the token still has its attempts, the e-mail is unchanged.
    const passed = await app.http().post('/api/v1/auth/mfa').send({ mfa_token: mfaToken, code: authenticator.code() });
    expect(passed.status).toBe(200);
    expect(passed.body.data.access_token).toEqual(expect.any(String));
    const me = await app.http().get('/api/v1/me').set({ Authorization: `Bearer ${passed.body.data.access_token}` });
    expect(me.body.data.email).toBe(a.user.email);
  } finally {
    await app.close().catch(() => undefined);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
