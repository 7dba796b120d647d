import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createApiKey, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function eventsOf(workspaceId: string): Promise<Array<{ type: string; data: { id: string; title?: string } }>> {
  return t.app.get(DataSource).query(`SELECT type, data FROM events WHERE workspace_id = $1 ORDER BY created_at, id`, [workspaceId]);
}

describe('Posts [/posts]', () => {
  it('CRUD, each change with its outbox event in the same transaction', async () => {
    const a = await registerAccount(t);
    const ws = { 'X-Workspace-ID': a.workspace.id };
    const created = await t.http().post('/api/v1/posts').set(a.auth).set(ws).send({ title: 'Hello', body: 'First words', tags: ['news', 'news', 'intro'] });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ title: 'Hello', body: 'First words', status: 'draft', tags: ['news', 'intro'], author_id: a.user.id });
    const id = created.body.data.id;
    expect(id).toMatch(/^pst_/);

    const withAuthor = await t.http().get(`/api/v1/posts/${id}?include=author`).set(a.auth).set(ws);
    expect(withAuthor.body.data.author).toEqual({ id: a.user.id, name: a.user.name, email: a.user.email });
    const put = await t.http().put(`/api/v1/posts/${id}`).set(a.auth).set(ws).send({ title: 'Hello again', body: 'b', status: 'published', tags: [] });
    expect(put.body.data).toMatchObject({ title: 'Hello again', status: 'published', tags: [] });
    expect((await t.http().put(`/api/v1/posts/${id}`).set(a.auth).set(ws).send({ title: 'only title' })).status).toBe(422);
    const patch = await t.http().patch(`/api/v1/posts/${id}`).set(a.auth).set(ws).send({ status: 'archived' });
    expect(patch.body.data).toMatchObject({ title: 'Hello again', status: 'archived' });
    expect((await t.http().delete(`/api/v1/posts/${id}`).set(a.auth).set(ws)).status).toBe(204);
    expect((await t.http().get(`/api/v1/posts/${id}`).set(a.auth).set(ws)).status).toBe(404);

    const events = await eventsOf(a.workspace.id);
    const postEvents = events.filter((e) => e.type.startsWith('post.'));
    expect(postEvents.map((e) => e.type)).toEqual(['post.created', 'post.updated', 'post.updated', 'post.deleted']);
    expect(postEvents.every((e) => e.data.id === id)).toBe(true);
    expect(postEvents[1].data.title).toBe('Hello again');
  });

  it('a refused change writes no event', async () => {
    const a = await registerAccount(t);
    const ws = { 'X-Workspace-ID': a.workspace.id };
    const before = (await eventsOf(a.workspace.id)).length;
    expect((await t.http().post('/api/v1/posts').set(a.auth).set(ws).send({ title: '' })).status).toBe(422);
    expect((await t.http().patch('/api/v1/posts/pst_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8').set(a.auth).set(ws).send({ title: 'x' })).status).toBe(404);
    expect((await eventsOf(a.workspace.id)).length).toBe(before);
  });

  it('member and workspace changes write member.invited, member.added, member.removed and workspace.updated', async () => {
    const a = await registerAccount(t);
    const m = await addMember(t, a, a.workspace.id, 'viewer');
    await t.http().delete(`/api/v1/workspaces/${a.workspace.id}/members/${m.user.id}`).set(a.auth);
    await t.http().patch(`/api/v1/workspaces/${a.workspace.id}`).set(a.auth).send({ name: 'Renamed' });
    const types = (await eventsOf(a.workspace.id)).map((e) => e.type);
    expect(types).toEqual(['member.invited', 'member.added', 'member.removed', 'workspace.updated']);
  });

  it('lists with search, filters, sort, sparse fields, include and every pagination mode', async () => {
    const a = await registerAccount(t);
    const ws = { 'X-Workspace-ID': a.workspace.id };
    const make = (title: string, body: string, status: string, tags: string[]) => t.http().post('/api/v1/posts').set(a.auth).set(ws).send({ title, body, status, tags });
    await make('Apples and pears', 'fruit talk', 'published', ['food']);
    await make('Bananas', 'more fruit', 'draft', ['food']);
    await make('Cars', 'engines and wheels', 'published', ['tech']);
    await make('Drones', 'flying machines', 'archived', ['tech']);
    await make('Eggs', 'breakfast', 'published', []);

    const search = await t.http().get('/api/v1/posts?search=fruit').set(a.auth).set(ws);
    expect(search.body.data.map((p: { title: string }) => p.title).sort()).toEqual(['Apples and pears', 'Bananas']);
    const published = await t.http().get('/api/v1/posts?status=published&sort=title').set(a.auth).set(ws);
    expect(published.body.data.map((p: { title: string }) => p.title)).toEqual(['Apples and pears', 'Cars', 'Eggs']);
    const tagged = await t.http().get('/api/v1/posts?tag=tech&sort=-title').set(a.auth).set(ws);
    expect(tagged.body.data.map((p: { title: string }) => p.title)).toEqual(['Drones', 'Cars']);
    const sparse = await t.http().get('/api/v1/posts?fields=title&include=author&per_page=1').set(a.auth).set(ws);
    expect(Object.keys(sparse.body.data[0]).sort()).toEqual(['id', 'title']);
    const authored = await t.http().get('/api/v1/posts?include=author&per_page=1').set(a.auth).set(ws);
    expect(authored.body.data[0].author.id).toBe(a.user.id);
    const future = await t.http().get(`/api/v1/posts?created_after=${new Date(Date.now() + 60_000).toISOString()}`).set(a.auth).set(ws);
    expect(future.body.data).toHaveLength(0);

    const page2 = await t.http().get('/api/v1/posts?per_page=2&page=2&sort=title').set(a.auth).set(ws);
    expect(page2.body.data.map((p: { title: string }) => p.title)).toEqual(['Cars', 'Drones']);
    expect(page2.body.meta.pagination).toEqual({ current_page: 2, per_page: 2, total: 5, last_page: 3, from: 3, to: 4 });
    const titles: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: Array<{ title: string }>; meta: { pagination: { next_cursor: string | null } } } } = await t.http().get(`/api/v1/posts?limit=2&sort=title${cursor ? `&cursor=${cursor}` : ''}`).set(a.auth).set(ws);
      titles.push(...res.body.data.map((p) => p.title));
      cursor = res.body.meta.pagination.next_cursor;
    } while (cursor);
    expect(titles).toEqual(['Apples and pears', 'Bananas', 'Cars', 'Drones', 'Eggs']);
    const offset = await t.http().get('/api/v1/posts?limit=2&offset=4&sort=title').set(a.auth).set(ws);
    expect(offset.body.data.map((p: { title: string }) => p.title)).toEqual(['Eggs']);
    expect(offset.body.meta.pagination).toEqual({ limit: 2, offset: 4, total: 5 });

    for (const q of ['status=deleted', 'sort=body', 'include=comments', 'fields=secret']) {
      expect((await t.http().get(`/api/v1/posts?${q}`).set(a.auth).set(ws)).status, q).toBe(400);
    }
  });

  it("keeps tenants apart and enforces posts scopes", async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const post = await t.http().post('/api/v1/posts').set(a.auth).set('X-Workspace-ID', a.workspace.id).send({ title: 'Secret' });
    const wsB = { 'X-Workspace-ID': b.workspace.id };
    for (const req of [
      t.http().get(`/api/v1/posts/${post.body.data.id}`),
      t.http().patch(`/api/v1/posts/${post.body.data.id}`).send({ title: 'pwned' }),
      t.http().delete(`/api/v1/posts/${post.body.data.id}`),
    ]) {
      expect((await req.set(b.auth).set(wsB)).status).toBe(404);
    }
    expect((await t.http().get('/api/v1/posts').set(b.auth).set(wsB)).body.data).toHaveLength(0);

    const viewer = await addMember(t, a, a.workspace.id, 'viewer');
    const denied = await t.http().post('/api/v1/posts').set(viewer.auth).set('X-Workspace-ID', a.workspace.id).send({ title: 'x' });
    expect(denied.status).toBe(403);
    expect(denied.body.meta.required_scopes).toEqual(['posts:write']);
    const reader = await createApiKey(t, a, { scopes: ['posts:read'] });
    expect((await t.http().get('/api/v1/posts').set(reader.auth)).body.data).toHaveLength(1);
    expect((await t.http().delete(`/api/v1/posts/${post.body.data.id}`).set(reader.auth)).status).toBe(403);
  });
});
