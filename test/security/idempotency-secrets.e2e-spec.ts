import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { unseal } from '../../libs/common';
import { APP_CONFIG, AppConfig } from '../../src/config/config';
import { eventually, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
let redis: Redis;
beforeAll(async () => {
  t = await startTestApp();
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  redis?.disconnect();
  await t?.close();
});

function sessionOf(accessToken: string): string {
  return (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8')) as { sid: string }).sid;
}

function idemKey(accessToken: string, idem: string): string {
  return `tessera:idem:user:${sessionOf(accessToken)}:${createHash('sha256').update(idem).digest('hex')}`;
}

/** Waits until the first request's answer is kept (the write follows the response), then returns the raw value. */
async function keptAnswer(redisKey: string, state: string): Promise<{ raw: string; plain: string }> {
  const key = t.app.get<AppConfig>(APP_CONFIG).encryptionKey;
  let raw = '';
  let plain = '';
  const kept = await eventually(async () => {
    raw = (await redis.get(redisKey)) ?? '';
    plain = raw ? unseal(key, raw, redisKey).toString('utf8') : '';
    return plain.includes(`"state":"${state}"`);
  });
  if (!kept) throw new Error(`no ${state} answer under ${redisKey}`);
  return { raw, plain };
}

describe('Idempotent answers at rest [Idempotency-Key]', () => {
  it('keeps a new API key’s secret encrypted in Redis and still replays it', async () => {
    const owner = await registerAccount(t);
    const idem = `create-key-${Date.now()}`;
    const send = () => t.http().post('/api/v1/api-keys').set(owner.auth).set('X-Workspace-ID', owner.workspace.id).set('Idempotency-Key', idem).send({ name: 'secret key' });
    const first = await send();
    expect(first.status).toBe(201);
    const secret = first.body.data.key as string;
    expect(secret).toMatch(/^sk_live_/);

    const { raw, plain } = await keptAnswer(idemKey(owner.accessToken, idem), 'done');
    expect(plain).toContain(secret);
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(secret.slice(8));
    expect(raw).not.toContain(first.body.data.id);
    const everything = await Promise.all((await redis.keys('tessera:idem:*')).map((k) => redis.get(k)));
    expect(everything.some((v) => v?.includes(secret))).toBe(false);

    const replay = await send();
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.data.key).toBe(secret);
  });

  it('treats the same key and body for another workspace as a different request (422)', async () => {
    const owner = await registerAccount(t);
    const other = await t.http().post('/api/v1/workspaces').set(owner.auth).send({ name: 'Second workspace' });
    expect(other.status).toBe(201);
    const idem = `same-key-${Date.now()}`;
    const inFirst = await t.http().post('/api/v1/api-keys').set(owner.auth).set('X-Workspace-ID', owner.workspace.id).set('Idempotency-Key', idem).send({ name: 'k' });
    expect(inFirst.status).toBe(201);
    await keptAnswer(idemKey(owner.accessToken, idem), 'done');
    const inSecond = await t.http().post('/api/v1/api-keys').set(owner.auth).set('X-Workspace-ID', other.body.data.id).set('Idempotency-Key', idem).send({ name: 'k' });
    expect(inSecond.status).toBe(422);
    expect(inSecond.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(JSON.stringify(inSecond.body)).not.toContain(inFirst.body.data.key);
  });

  it('does not keep an answer over 64 KiB, and a replay is refused (409) rather than run twice', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    const idem = `big-post-${Date.now()}`;
    const body = { title: 'Big', body: 'x'.repeat(90_000) };
    const first = await t.http().post('/api/v1/posts').set(owner.auth).set(ws).set('Idempotency-Key', idem).send(body);
    expect(first.status).toBe(201);
    await keptAnswer(idemKey(owner.accessToken, idem), 'too_large');
    const replay = await t.http().post('/api/v1/posts').set(owner.auth).set(ws).set('Idempotency-Key', idem).send(body);
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('CONFLICT');
    const list = await t.http().get('/api/v1/posts').set(owner.auth).set(ws);
    expect(list.body.data).toHaveLength(1);
  });
});
