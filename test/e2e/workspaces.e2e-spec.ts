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

describe('Create [POST /workspaces]', () => {
  it('creates a workspace owned by the caller, with a slug made from the name and default settings', async () => {
    const a = await registerAccount(t);
    const res = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Café Düsseldorf!' });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ name: 'Café Düsseldorf!', tier: 'free', role: 'owner', settings: { timezone: 'UTC', locale: 'en' } });
    expect(res.body.data.slug).toMatch(/^cafe-dusseldorf/);
    expect(res.body.data.id).toMatch(/^ws_/);
  });

  it('makes a free slug when the one from the name is taken, and 409s on a taken explicit slug', async () => {
    const a = await registerAccount(t);
    const first = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Same Name Co' });
    const second = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Same Name Co' });
    expect(second.status).toBe(201);
    expect(second.body.data.slug).not.toBe(first.body.data.slug);
    const taken = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Other', slug: first.body.data.slug });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'CONFLICT', meta: { errors: { slug: ['has already been taken'] } } });
  });

  it('validates name, slug, tier and settings, and refuses unknown fields', async () => {
    const a = await registerAccount(t);
    const bad = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'x'.repeat(256), slug: 'Not A Slug', tier: 'platinum', settings: { timezone: 'Mars/Olympus', locale: 'not a locale!' } });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.meta.errors).sort()).toEqual(['name', 'settings.locale', 'settings.timezone', 'slug', 'tier']);
    const over = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Ok', owner_id: a.user.id });
    expect(over.status).toBe(422);
    expect(over.body.meta.errors.owner_id).toBeDefined();
    const nested = await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Ok', settings: { timezone: 'UTC', theme: 'dark' } });
    expect(nested.status).toBe(422);
    expect(nested.body.meta.errors['settings.theme']).toBeDefined();
  });
});

describe('Read and update [GET/PATCH /workspaces/{id}]', () => {
  it('reads by id or slug and merges settings on update', async () => {
    const a = await registerAccount(t);
    const bySlug = await t.http().get(`/api/v1/workspaces/${a.workspace.slug}`).set(a.auth);
    expect(bySlug.status).toBe(200);
    expect(bySlug.body.data.id).toBe(a.workspace.id);
    const upd = await t.http().patch(`/api/v1/workspaces/${a.workspace.id}`).set(a.auth).send({ name: 'Renamed', tier: 'free', settings: { timezone: 'Europe/Paris' } });
    expect(upd.status).toBe(200);
    expect(upd.body.data).toMatchObject({ name: 'Renamed', tier: 'free', settings: { timezone: 'Europe/Paris', locale: 'en' } });
    const upd2 = await t.http().patch(`/api/v1/workspaces/${a.workspace.id}`).set(a.auth).send({ settings: { locale: 'fr-FR' } });
    expect(upd2.body.data.settings).toEqual({ timezone: 'Europe/Paris', locale: 'fr-FR' });
  });

  it("answers 404 for another tenant's workspace, a malformed id and an unknown slug", async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    for (const id of [b.workspace.id, b.workspace.slug, 'ws_nope', 'not-even-close', '%27%20OR%201=1']) {
      const get = await t.http().get(`/api/v1/workspaces/${id}`).set(a.auth);
      expect(get.status, id).toBe(404);
      expect(get.body.code).toBe('NOT_FOUND');
    }
    expect((await t.http().patch(`/api/v1/workspaces/${b.workspace.id}`).set(a.auth).send({ name: 'pwned' })).status).toBe(404);
    expect((await t.http().delete(`/api/v1/workspaces/${b.workspace.id}`).set(a.auth)).status).toBe(404);
    const still = await t.http().get(`/api/v1/workspaces/${b.workspace.id}`).set(b.auth);
    expect(still.body.data.name).not.toBe('pwned');
  });
});

describe('Delete [DELETE /workspaces/{id}]', () => {
  it('only an owner deletes a workspace; an admin gets 403', async () => {
    const owner = await registerAccount(t);
    const admin = await addMember(t, owner, owner.workspace.id, 'admin');
    const denied = await t.http().delete(`/api/v1/workspaces/${owner.workspace.id}`).set(admin.auth);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'FORBIDDEN', meta: { required_scopes: ['workspaces:delete'] } });
    expect(denied.body.message).toContain('workspaces:delete');
    const ok = await t.http().delete(`/api/v1/workspaces/${owner.workspace.id}`).set(owner.auth);
    expect(ok.status).toBe(204);
    expect((await t.http().get(`/api/v1/workspaces/${owner.workspace.id}`).set(owner.auth)).status).toBe(404);
  });
});

describe('List [GET /workspaces]', () => {
  it('lists only my workspaces, in every pagination mode, over more than one page', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    for (let i = 0; i < 6; i++) await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: `WS ${i}` });
    // 7 in all: the first one plus six.

    const page1 = await t.http().get('/api/v1/workspaces?per_page=3&sort=created_at').set(a.auth);
    expect(page1.status).toBe(200);
    expect(page1.body.data).toHaveLength(3);
    expect(page1.body.meta.pagination).toEqual({ current_page: 1, per_page: 3, total: 7, last_page: 3, from: 1, to: 3 });
    expect(page1.body.links.prev).toBeNull();
    expect(page1.body.links.next).toMatch(/^http:\/\/.+\/api\/v1\/workspaces\?.*page=2/);
    const page3 = await t.http().get('/api/v1/workspaces?per_page=3&page=3&sort=created_at').set(a.auth);
    expect(page3.body.data).toHaveLength(1);
    expect(page3.body.meta.pagination).toMatchObject({ current_page: 3, from: 7, to: 7 });
    expect(page3.body.links.next).toBeNull();
    expect(page1.body.data.map((w: { id: string }) => w.id)).not.toContain(b.workspace.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { data: Array<{ id: string }>; meta: { pagination: { next_cursor: string | null; has_more: boolean } } } } = await t.http().get(`/api/v1/workspaces?limit=3${cursor ? `&cursor=${cursor}` : ''}`).set(a.auth);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((w: { id: string }) => w.id));
      cursor = res.body.meta.pagination.next_cursor;
      expect(res.body.meta.pagination.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);

    const offset = await t.http().get('/api/v1/workspaces?limit=2&offset=5').set(a.auth);
    expect(offset.body.meta.pagination).toEqual({ limit: 2, offset: 5, total: 7 });
    expect(offset.body.data).toHaveLength(2);
  });

  it('keeps cursor pages stable under a name sort with ties', async () => {
    const a = await registerAccount(t);
    for (let i = 0; i < 5; i++) await t.http().post('/api/v1/workspaces').set(a.auth).send({ name: 'Tie' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: Array<{ id: string }>; meta: { pagination: { next_cursor: string | null; has_more: boolean } } } } = await t.http().get(`/api/v1/workspaces?limit=2&sort=-name${cursor ? `&cursor=${cursor}` : ''}`).set(a.auth);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((w: { id: string }) => w.id));
      cursor = res.body.meta.pagination.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
  });

  it('supports sparse fields, search and filters, and refuses unknown parameters with 400', async () => {
    const a = await registerAccount(t, { workspace_name: 'Zebra Works' });
    const sparse = await t.http().get('/api/v1/workspaces?fields=name').set(a.auth);
    expect(Object.keys(sparse.body.data[0]).sort()).toEqual(['id', 'name']);
    const search = await t.http().get('/api/v1/workspaces?search=zebra').set(a.auth);
    expect(search.body.data).toHaveLength(1);
    const filtered = await t.http().get('/api/v1/workspaces?tier=pro').set(a.auth);
    expect(filtered.body.data).toHaveLength(0);
    // page with limit is the Intuka seed's page mode: limit is the page size.
    const intuka = await t.http().get('/api/v1/workspaces?page=1&limit=5&sortBy=name&sortOrder=asc').set(a.auth);
    expect(intuka.status).toBe(200);
    expect(intuka.body.meta.pagination).toMatchObject({ current_page: 1, per_page: 5 });

    for (const q of ['sort=password', 'fields=secret', 'per_page=101', 'page=0', 'limit=abc', 'colour=red', 'cursor=garbage', 'tier=gold', 'created_after=yesterday', 'page=1&per_page=5&limit=5', 'sort=name&sortBy=name']) {
      const res = await t.http().get(`/api/v1/workspaces?${q}`).set(a.auth);
      expect(res.status, q).toBe(400);
      expect(res.body.code).toBe('BAD_REQUEST');
      expect(res.body.meta.errors).toBeDefined();
    }
  });
});
