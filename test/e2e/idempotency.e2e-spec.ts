import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function countWorkspaces(auth: { Authorization: string }): Promise<number> {
  return (await t.http().get('/api/v1/workspaces?per_page=100').set(auth)).body.meta.pagination.total;
}

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and request, and does the work once', async () => {
    const a = await registerAccount(t);
    const first = await t.http().post('/api/v1/workspaces').set(a.auth).set('Idempotency-Key', 'create-1').send({ name: 'Once', settings: { locale: 'fr-FR' } });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // Same body with keys in another order is the same request.
    const again = await t.http().post('/api/v1/workspaces').set(a.auth).set('Idempotency-Key', 'create-1').send({ settings: { locale: 'fr-FR' }, name: 'Once' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await countWorkspaces(a.auth)).toBe(2);
  });

  it('refuses the same key with a different request (422 IDEMPOTENCY_KEY_REUSED)', async () => {
    const a = await registerAccount(t);
    await t.http().post('/api/v1/workspaces').set(a.auth).set('Idempotency-Key', 'k').send({ name: 'One' });
    const other = await t.http().post('/api/v1/workspaces').set(a.auth).set('Idempotency-Key', 'k').send({ name: 'Two' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await countWorkspaces(a.auth)).toBe(2);
  });

  it('keys belong to a credential: another user may use the same key', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    expect((await t.http().post('/api/v1/workspaces').set(a.auth).set('Idempotency-Key', 'shared').send({ name: 'A' })).status).toBe(201);
    const res = await t.http().post('/api/v1/workspaces').set(b.auth).set('Idempotency-Key', 'shared').send({ name: 'A' });
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('50 concurrent POSTs with one key create exactly one resource', async () => {
    const a = await registerAccount(t);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => t.http().post('/api/v1/workspaces').set(a.auth).set('Idempotency-Key', 'burst').send({ name: 'Burst' })),
    );
    const created = results.filter((r) => r.status === 201 && !r.headers['idempotent-replayed']);
    expect(created).toHaveLength(1);
    for (const r of results) {
      if (r.status === 201) expect(r.body.data.id).toBe(created[0].body.data.id);
      else {
        expect(r.status).toBe(409);
        expect(r.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      }
    }
    expect(await countWorkspaces(a.auth)).toBe(2);
  });

  it('keeps and replays a 4xx answer; refuses a key over 255 characters', async () => {
    const a = await registerAccount(t);
    const bad = await t.http().post('/api/v1/workspaces').set(a.auth).set('Idempotency-Key', 'bad-body').send({ name: '' });
    expect(bad.status).toBe(422);
    const replay = await t.http().post('/api/v1/workspaces').set(a.auth).set('Idempotency-Key', 'bad-body').send({ name: '' });
    expect(replay.status).toBe(422);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(bad.body);
    const long = await t.http().post('/api/v1/workspaces').set(a.auth).set('Idempotency-Key', 'x'.repeat(256)).send({ name: 'x' });
    expect(long.status).toBe(400);
  });

  it('replays a 204 DELETE without doing it twice', async () => {
    const a = await registerAccount(t);
    const member = await addMember(t, a, a.workspace.id, 'viewer');
    const url = `/api/v1/workspaces/${a.workspace.id}/members/${member.user.id}`;
    const del = await t.http().delete(url).set(a.auth).set('Idempotency-Key', 'del-1');
    expect(del.status).toBe(204);
    const again = await t.http().delete(url).set(a.auth).set('Idempotency-Key', 'del-1');
    expect(again.status).toBe(204);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // Without the key the member is already gone.
    expect((await t.http().delete(url).set(a.auth)).status).toBe(404);
  });
});
