import { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount, resetTokenFor, uniqueEmail } from '../factories/accounts';
import { startTestApp, startTestWorker, TestApp } from '../utils/app';

let t: TestApp;
let worker: INestApplicationContext;
beforeAll(async () => {
  t = await startTestApp();
  // The real worker: it makes the token and "sends" the mail (to the development mailbox).
  // Mail only: a webhook relay in this worker would share its pool with the mail jobs under test.
  worker = await startTestWorker({ WORKER_QUEUES: 'mail,maintenance' });
});
afterAll(async () => {
  await worker?.close();
  await t?.close();
});

describe('Password reset [POST /auth/password/forgot, /auth/password/reset]', () => {
  it('forgot answers 202 alike for a known and an unknown address', async () => {
    const a = await registerAccount(t);
    const known = await t.http().post('/api/v1/auth/password/forgot').send({ email: a.user.email });
    const unknown = await t.http().post('/api/v1/auth/password/forgot').send({ email: uniqueEmail('nobody') });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body.message).toBe(known.body.message);
  });

  it('end to end: the mailed token sets a new password once and ends every session', async () => {
    const a = await registerAccount(t);
    await t.http().post('/api/v1/auth/password/forgot').send({ email: a.user.email });
    const token = await resetTokenFor(t, a.user.email);

    const res = await t.http().post('/api/v1/auth/password/reset').send({ token, password: 'a brand new password' });
    expect(res.status).toBe(200);
    expect((await t.http().get('/api/v1/me').set(a.auth)).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/refresh').send({ refresh_token: a.refreshToken })).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password })).status).toBe(401);
    expect((await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: 'a brand new password' })).status).toBe(200);

    const again = await t.http().post('/api/v1/auth/password/reset').send({ token, password: 'yet another password' });
    expect(again.status).toBe(422);
    expect(again.body.meta.errors.token).toBeDefined();
  });

  it('refuses a made-up token and a short password', async () => {
    expect((await t.http().post('/api/v1/auth/password/reset').send({ token: 'tsr_rst_made-up', password: 'long enough pw' })).status).toBe(422);
    const short = await t.http().post('/api/v1/auth/password/reset').send({ token: 'tsr_rst_x', password: 'short' });
    expect(short.status).toBe(422);
    expect(short.body.meta.errors.password).toBeDefined();
  });
});
