import { afterAll, describe, expect, it } from 'vitest';
import { createApiKey, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

// What every answer goes through is wired per app at boot (src/request-pipeline.ts): reads answer
// in the envelope from a wrapper of their handler, writes get the idempotency/envelope/audit
// interceptor. Several apps in one process (as here, and in every spec that starts a second
// one) must each answer with their own, and never through an app that has closed.
const apps: TestApp[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

describe('The request pipeline, with several apps in one process', () => {
  it('answers a read in one envelope, and keeps a write for replay in the serving app, after an earlier app closed', async () => {
    const first = await startTestApp();
    apps.push(first);
    const second = await startTestApp();
    apps.push(second);
    await first.close();
    apps.shift();

    const owner = await registerAccount(second);
    const me = await second.http().get('/api/v1/me').set(owner.auth);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ success: true, status: 200, code: 'OK', meta: { request_id: me.headers['x-request-id'] } });
    expect(me.body.data.id ?? me.body.data.user?.id).toBe(owner.user.id);
    expect(me.body.data).not.toHaveProperty('success');

    const key = await createApiKey(second, owner, { scopes: ['posts:read', 'posts:write'] });
    const list = await second.http().get('/api/v1/posts?limit=5').set(key.auth);
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body.data)).toBe(true);
    expect(list.body.links).toHaveProperty('next');

    const post = () => second.http().post('/api/v1/posts').set(key.auth).set('Idempotency-Key', 'pipeline-1').send({ title: 'Once', body: 'b' });
    const created = await post();
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ success: true, code: 'CREATED', data: { title: 'Once' } });
    const replayed = await post();
    expect(replayed.status).toBe(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body.data.id).toBe(created.body.data.id);
    const all = await second.http().get('/api/v1/posts?per_page=100').set(key.auth);
    expect(all.body.data.filter((p: { title: string }) => p.title === 'Once')).toHaveLength(1);
  });
});
