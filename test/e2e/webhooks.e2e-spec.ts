import { unseal } from '@tessera/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, addMember, createApiKey, eventually, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp, testConfig } from '../utils/app';

let t: TestApp;
/** The same app as production configures it: only https URLs to public addresses. */
let strict: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  strict = await startTestApp({ WEBHOOKS_ALLOW_PRIVATE_URLS: 'false' });
});
afterAll(async () => {
  await Promise.all([t?.close(), strict?.close()]);
});

const ws = (a: Account) => ({ 'X-Workspace-ID': a.workspace.id });
const create = (app: TestApp, a: Account, body: Record<string, unknown>) => app.http().post('/api/v1/webhooks').set(a.auth).set(ws(a)).send(body);
const valid = { url: 'https://hooks.example.com/tessera', events: ['post.created'] };

describe('Webhooks [/webhooks]', () => {
  it('CRUD: the secret is shown only on create and stored sealed', async () => {
    const a = await registerAccount(t);
    const created = await create(t, a, {
      url: 'http://127.0.0.1:4000/hook',
      events: ['post.*', 'member.added', 'post.*'],
      description: 'Local receiver',
      headers: { 'X-Team': 'payments' },
      rate_limit_per_second: 5,
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    expect(id).toMatch(/^whk_/);
    expect(created.body.data).toMatchObject({
      url: 'http://127.0.0.1:4000/hook',
      events: ['post.*', 'member.added'],
      description: 'Local receiver',
      is_active: true,
      headers: { 'X-Team': 'payments' },
      rate_limit_per_second: 5,
      max_in_flight: 10,
      success_count: 0,
      failure_count: 0,
      consecutive_failures: 0,
      last_delivery_at: null,
      disabled_reason: null,
    });
    const secret: string = created.body.data.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);

    const [row] = await t.app.get(DataSource).query(`SELECT * FROM webhook_endpoints WHERE id = $1`, [id]);
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
    expect(unseal(testConfig().encryptionKey, row.secret_sealed, id).toString()).toBe(secret);
    expect(() => unseal(testConfig().encryptionKey, row.secret_sealed, 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8')).toThrow();

    const got = await t.http().get(`/api/v1/webhooks/${id}`).set(a.auth).set(ws(a));
    expect(got.status).toBe(200);
    expect(got.body.data.secret).toBeUndefined();
    expect(got.body.data).toEqual((({ secret: _, ...rest }) => rest)(created.body.data));
    const list = await t.http().get('/api/v1/webhooks').set(a.auth).set(ws(a));
    expect(list.body.data.map((w: { id: string }) => w.id)).toEqual([id]);
    expect(list.body.data[0].secret).toBeUndefined();
    expect(list.body.meta.pagination).toMatchObject({ total: 1 });

    const patched = await t.http().patch(`/api/v1/webhooks/${id}`).set(a.auth).set(ws(a)).send({ is_active: false, events: ['*'], rate_limit_per_second: null, headers: {} });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({ is_active: false, events: ['*'], rate_limit_per_second: null, headers: {}, url: 'http://127.0.0.1:4000/hook' });
    expect(patched.body.data.secret).toBeUndefined();
    const inactive = await t.http().get('/api/v1/webhooks?is_active=false').set(a.auth).set(ws(a));
    expect(inactive.body.data).toHaveLength(1);

    expect((await t.http().delete(`/api/v1/webhooks/${id}`).set(a.auth).set(ws(a))).status).toBe(204);
    expect((await t.http().get(`/api/v1/webhooks/${id}`).set(a.auth).set(ws(a))).status).toBe(404);
  });

  it('keeps a secret the caller chose, and refuses a malformed one', async () => {
    const a = await registerAccount(t);
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const created = await create(t, a, { ...valid, secret });
    expect(created.status).toBe(201);
    expect(created.body.data.secret).toBe(secret);
    for (const bad of ['whsec_short', `${Buffer.alloc(32, 9).toString('base64')}`, `whsec_${Buffer.alloc(65).toString('base64')}`]) {
      const res = await create(t, a, { ...valid, secret: bad });
      expect(res.status, bad).toBe(422);
      expect(res.body.meta.errors.secret).toBeDefined();
    }
  });

  it('changes write no outbox event but are audited', async () => {
    const a = await registerAccount(t);
    const db = t.app.get(DataSource);
    const events = async () => (await db.query(`SELECT type FROM events WHERE workspace_id = $1`, [a.workspace.id])).length;
    const before = await events();
    const id = (await create(t, a, valid)).body.data.id;
    await t.http().patch(`/api/v1/webhooks/${id}`).set(a.auth).set(ws(a)).send({ description: 'x' });
    await t.http().delete(`/api/v1/webhooks/${id}`).set(a.auth).set(ws(a));
    expect(await events()).toBe(before);
    // Audit rows are written without holding up the answer: the last one may land just after it.
    const actions = async () => ((await t.http().get('/api/v1/audit-logs?per_page=100').set(a.auth).set(ws(a))).body.data as Array<{ action: string }>).map((e) => e.action);
    expect(await eventually(async () => (await actions()).includes('webhook.deleted'))).toBe(true);
    expect(await actions()).toEqual(expect.arrayContaining(['webhook.created', 'webhook.updated', 'webhook.deleted']));
  });

  it('refuses non-https and non-public URLs on create and on PATCH of url (422 {url})', async () => {
    const a = await registerAccount(strict);
    for (const url of [
      'http://hooks.example.com/',
      'https://169.254.169.254/latest/meta-data/',
      'http://169.254.169.254/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::1]/',
      'https://127.0.0.1/',
      'https://10.1.2.3/',
      'https://192.168.0.10/',
      'https://localhost/',
      'https://0x7f.0.0.1/',
      'ftp://hooks.example.com/',
      'not a url',
    ]) {
      const res = await create(strict, a, { ...valid, url });
      expect(res.status, url).toBe(422);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.meta.errors.url, url).toHaveLength(1);
    }
    const ok = await create(strict, a, { ...valid, url: 'https://8.8.8.8/hook' });
    expect(ok.status).toBe(201);
    const patch = await strict.http().patch(`/api/v1/webhooks/${ok.body.data.id}`).set(a.auth).set(ws(a)).send({ url: 'https://[::ffff:10.0.0.1]/' });
    expect(patch.status).toBe(422);
    expect(patch.body.meta.errors.url).toHaveLength(1);
    expect((await strict.http().get(`/api/v1/webhooks/${ok.body.data.id}`).set(a.auth).set(ws(a))).body.data.url).toBe('https://8.8.8.8/hook');
  });

  it('refuses unknown event types, bad headers, bad numbers and NUL bytes (422)', async () => {
    const a = await registerAccount(t);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...valid, events: ['post.exploded'] }, 'events'],
      [{ ...valid, events: ['posts.*'] }, 'events'],
      [{ ...valid, events: [] }, 'events'],
      [{ url: valid.url }, 'events'],
      [{ ...valid, headers: { Host: 'internal' } }, 'headers'],
      [{ ...valid, headers: { 'Webhook-Signature': 'v1,forged' } }, 'headers'],
      [{ ...valid, headers: { Authorization: 'Bearer x' } }, 'headers'],
      [{ ...valid, headers: { 'X-A': 'a\r\nInjected: yes' } }, 'headers'],
      [{ ...valid, headers: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`X-H${i}`, 'v'])) }, 'headers'],
      [{ ...valid, headers: ['X-A'] }, 'headers'],
      [{ ...valid, max_in_flight: 101 }, 'max_in_flight'],
      [{ ...valid, max_in_flight: 0 }, 'max_in_flight'],
      [{ ...valid, rate_limit_per_second: 0 }, 'rate_limit_per_second'],
      [{ ...valid, rate_limit_per_second: 1.5 }, 'rate_limit_per_second'],
      [{ ...valid, url: 'x'.repeat(3000) }, 'url'],
      [{ ...valid, url: 'https://hooks.example.com/\u0000' }, 'url'],
      [{ ...valid, description: 'a\u0000b' }, 'description'],
      [{ ...valid, headers: { 'X-A': 'a\u0000b' } }, 'headers'],
      [{ ...valid, events: ['post.created\u0000'] }, 'events'],
      [{ ...valid, unknown_field: 1 }, 'unknown_field'],
    ];
    for (const [body, field] of cases) {
      const res = await create(t, a, body);
      expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(422);
      expect(Object.keys(res.body.meta.errors).some((k) => k.startsWith(field)), `${field}: ${JSON.stringify(res.body.meta.errors)}`).toBe(true);
    }
    expect((await t.http().get('/api/v1/webhooks').set(a.auth).set(ws(a))).body.data).toEqual([]);
  });

  it('counts against the webhooks entitlement: 5 concurrent creates on a free workspace, exactly 2 succeed', async () => {
    const a = await registerAccount(t);
    const answers = await Promise.all(Array.from({ length: 5 }, () => create(t, a, valid)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 403, 403, 403]);
    const refused = answers.find((r) => r.status === 403)!;
    expect(refused.body).toMatchObject({ code: 'FEATURE_LIMIT_REACHED', meta: { feature: 'webhooks', limit: 2, current_usage: 2 } });
    const usage = await t.http().get('/api/v1/entitlements/summary').set(a.auth).set(ws(a));
    expect(usage.body.data.webhooks).toMatchObject({ used: 2, limit: 2 });
    // Deleting one frees its place.
    const list = await t.http().get('/api/v1/webhooks').set(a.auth).set(ws(a));
    await t.http().delete(`/api/v1/webhooks/${list.body.data[0].id}`).set(a.auth).set(ws(a));
    expect((await create(t, a, valid)).status).toBe(201);
  });

  it("another workspace's endpoint, a malformed id and a stranger's call are 404", async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const id = (await create(t, a, valid)).body.data.id;
    for (const [method, path] of [['get', `/api/v1/webhooks/${id}`], ['patch', `/api/v1/webhooks/${id}`], ['delete', `/api/v1/webhooks/${id}`]] as const) {
      const own = await t.http()[method](path).set(b.auth).set(ws(b)).send({ description: 'taken' });
      expect(own.status, `${method} as b in b`).toBe(404);
      const stranger = await t.http()[method](path).set(b.auth).set(ws(a)).send({ description: 'taken' });
      expect(stranger.status, `${method} as b in a`).toBe(404);
    }
    for (const bad of ['whk_nope', 'pst_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', '%27%20OR%201%3D1']) {
      expect((await t.http().get(`/api/v1/webhooks/${bad}`).set(a.auth).set(ws(a))).status, bad).toBe(404);
    }
    const still = await t.http().get(`/api/v1/webhooks/${id}`).set(a.auth).set(ws(a));
    expect(still.body.data.description).toBe('');
    expect((await t.http().get('/api/v1/webhooks').set(b.auth).set(ws(b))).body.data).toEqual([]);
  });

  it('needs webhooks:write to change and webhooks:read to read (403)', async () => {
    const a = await registerAccount(t);
    const reader = await createApiKey(t, a, { scopes: ['webhooks:read'] });
    const id = (await create(t, a, valid)).body.data.id;
    const refused = await t.http().post('/api/v1/webhooks').set(reader.auth).send(valid);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN', meta: { required_scopes: ['webhooks:write'] } });
    expect((await t.http().patch(`/api/v1/webhooks/${id}`).set(reader.auth).send({ description: 'x' })).status).toBe(403);
    expect((await t.http().delete(`/api/v1/webhooks/${id}`).set(reader.auth)).status).toBe(403);
    expect((await t.http().get(`/api/v1/webhooks/${id}`).set(reader.auth)).status).toBe(200);
    const postsOnly = await createApiKey(t, a, { scopes: ['posts:read'] });
    expect((await t.http().get('/api/v1/webhooks').set(postsOnly.auth)).status).toBe(403);
    expect((await t.http().get('/api/v1/webhooks/event-types').set(postsOnly.auth)).status).toBe(403);
    // A viewer reads endpoints but cannot create one.
    const viewer = await addMember(t, a, a.workspace.id, 'viewer');
    expect((await t.http().get('/api/v1/webhooks').set(viewer.auth).set(ws(a))).status).toBe(200);
    expect((await t.http().post('/api/v1/webhooks').set(viewer.auth).set(ws(a)).send(valid)).status).toBe(403);
  });

  it('Event types [GET /webhooks/event-types]: every registered type with a description and an example', async () => {
    const a = await registerAccount(t);
    const res = await t.http().get('/api/v1/webhooks/event-types?per_page=100').set(a.auth).set(ws(a));
    expect(res.status).toBe(200);
    const types = (res.body.data as Array<{ type: string; description: string; example: object }>).map((e) => e.type);
    expect(types).toEqual([...types].sort());
    expect(types).toEqual(
      expect.arrayContaining([
        'post.created', 'post.updated', 'post.deleted', 'member.invited', 'member.added', 'member.removed', 'workspace.updated',
        'webhook.endpoint.disabled', 'webhook.delivery.failing', 'webhook.delivery.exhausted', 'webhook.endpoint.recovered', 'webhook.test',
      ]),
    );
    for (const e of res.body.data) {
      expect(e.description.length).toBeGreaterThan(0);
      expect(typeof e.example).toBe('object');
    }
    const paged = await t.http().get('/api/v1/webhooks/event-types?per_page=5&page=2').set(a.auth).set(ws(a));
    expect(paged.body.data).toHaveLength(5);
    expect(paged.body.meta.pagination).toMatchObject({ current_page: 2, per_page: 5, total: types.length });
    expect((await t.http().get('/api/v1/webhooks/event-types?sort=nope').set(a.auth).set(ws(a))).status).toBe(400);
  });
});
