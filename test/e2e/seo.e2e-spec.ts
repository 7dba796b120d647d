import { ApiError } from '@tessera/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeoService } from '../../src/modules/seo/seo.service';
import { Account, addMember, createApiKey, registerAccount, setTier } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const ws = (a: Account) => ({ 'X-Workspace-ID': a.workspace.id });
const scores = { performance: 85, accessibility: 92, best_practices: 88, seo: 95 };
const report = (overrides: Record<string, unknown> = {}) => ({ url: 'https://example.com/page', scores, issues: [{ type: 'missing_alt', severity: 'warning', element: 'img.hero-image' }], ...overrides });
const submit = (a: Account, body: unknown, headers: Record<string, string> = a.auth) => t.http().post('/api/v1/seo/report').set(headers).set(ws(a)).send(body as object);

async function outboxOf(workspaceId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  return t.app.get(DataSource).query(`SELECT type, data FROM events WHERE workspace_id = $1 AND type LIKE 'seo.%' ORDER BY created_at, id`, [workspaceId]);
}

describe('SEO reports [POST /seo/report, GET /seo/reports]', () => {
  it('Create [POST /seo/report]: stores the scores and the issues in order, counts the entitlement and writes seo.report.created', async () => {
    const a = await registerAccount(t);
    const issues = [
      { type: 'missing_alt', severity: 'warning', element: 'img.hero-image' },
      { type: 'render_blocking', severity: 'error', message: 'Eliminate render-blocking resources' },
      { type: 'meta_description', severity: 'info' },
      { type: 'missing_alt', severity: 'warning', element: 'img.logo' },
    ];
    const created = await submit(a, report({ issues }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'CREATED', message: 'SEO report created.' });
    const id = created.body.data.id as string;
    expect(id).toMatch(/^seo_/);
    expect(created.body.data).toMatchObject({ url: 'https://example.com/page', scores, issue_count: 4, issues_by_severity: { error: 1, warning: 2, info: 1 } });
    expect(created.body.data.issues.map((i: { type: string; element: string | null }) => [i.type, i.element])).toEqual([
      ['missing_alt', 'img.hero-image'], ['render_blocking', null], ['meta_description', null], ['missing_alt', 'img.logo'],
    ]);

    const got = await t.http().get(`/api/v1/seo/reports/${id}`).set(a.auth).set(ws(a));
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(created.body.data);
    expect(got.body.data.issues[1]).toMatchObject({ report_id: id, url: 'https://example.com/page', type: 'render_blocking', issue_type: 'render_blocking', severity: 'error', message: 'Eliminate render-blocking resources' });

    const events = await outboxOf(a.workspace.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'seo.report.created', data: { id, url: 'https://example.com/page', scores, issue_count: 4 } });
    const summary = await t.http().get('/api/v1/entitlements/summary').set(a.auth).set(ws(a));
    expect(summary.body.data.seo_reports).toMatchObject({ used: 1, limit: 10 });

    const empty = await submit(a, { url: 'http://localhost:3000/', scores });
    expect(empty.status).toBe(201);
    expect(empty.body.data).toMatchObject({ issue_count: 0, issues: [] });
  });

  it('refuses a bad report with 422 naming the field, stores nothing and counts nothing', async () => {
    const a = await registerAccount(t);
    const bad: Array<[unknown, string]> = [
      [{ scores }, 'url'],
      [report({ url: 'ftp://example.com/file' }), 'url'],
      [report({ url: 'javascript:alert(1)' }), 'url'],
      [report({ url: `https://example.com/${'a'.repeat(2100)}` }), 'url'],
      [report({ url: 'https://example.com/\u0000' }), 'url'],
      [report({ scores: { ...scores, seo: 101 } }), 'scores.seo'],
      [report({ scores: { ...scores, performance: -1 } }), 'scores.performance'],
      [report({ scores: { ...scores, accessibility: 92.5 } }), 'scores.accessibility'],
      [report({ scores: { ...scores, best_practices: '88' } }), 'scores.best_practices'],
      [report({ scores: { performance: 1, accessibility: 2, best_practices: 3 } }), 'scores.seo'],
      [report({ scores: [1, 2, 3, 4] }), 'scores'],
      [report({ scores: { ...scores, seo: 1e308 } }), 'scores.seo'],
      [report({ issues: [{ type: 'x', severity: 'critical' }] }), 'issues.0.severity'],
      [report({ issues: [{ type: '', severity: 'info' }] }), 'issues.0.type'],
      [report({ issues: [{ type: 'a b', severity: 'info' }] }), 'issues.0.type'],
      [report({ issues: [{ type: 'x', severity: 'info', element: 'e'.repeat(1001) }] }), 'issues.0.element'],
      [report({ issues: [{ type: 'x', severity: 'info', message: 'bad\u0000byte' }] }), 'issues.0.message'],
      [report({ issues: [{ type: 'x', severity: 'info', workspace_id: 'ws_x' }] }), 'issues.0.workspace_id'],
      [report({ issues: Array.from({ length: 501 }, () => ({ type: 'x', severity: 'info' })) }), 'issues'],
      [report({ issues: 'missing_alt' }), 'issues'],
      [report({ workspace_id: 'ws_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }), 'workspace_id'],
    ];
    for (const [body, field] of bad) {
      const res = await submit(a, body);
      expect(res.status, field).toBe(422);
      expect(res.body, field).toMatchObject({ success: false, code: 'VALIDATION_ERROR', data: null });
      expect(Object.keys(res.body.meta.errors), field).toContain(field);
    }
    expect((await submit(a, [report()])).status).toBe(400);
    const list = await t.http().get('/api/v1/seo/reports').set(a.auth).set(ws(a));
    expect(list.body.data).toEqual([]);
    expect(await outboxOf(a.workspace.id)).toEqual([]);
    const summary = await t.http().get('/api/v1/entitlements/summary').set(a.auth).set(ws(a));
    expect(summary.body.data.seo_reports.used).toBe(0);
  });

  it('lists with url and date filters, score sorts, sparse fields and every pagination mode', async () => {
    const a = await registerAccount(t, { tier: 'pro' });
    const urls = ['https://example.com/a', 'https://example.com/b', 'https://example.com/a', 'https://example.com/c', 'https://example.com/a'];
    const ids: string[] = [];
    for (const [n, url] of urls.entries()) {
      ids.push((await submit(a, report({ url, scores: { ...scores, performance: 10 * (n + 1) } }))).body.data.id);
    }
    // Spread the reports over five days, oldest first, so the date filters have something to cut.
    const db = t.app.get(DataSource);
    for (const [n, id] of ids.entries()) await db.query(`UPDATE seo_reports SET created_at = $2 WHERE id = $1`, [id, new Date(Date.UTC(2026, 0, 10 + n, 12))]);
    const get = (q: string) => t.http().get(`/api/v1/seo/reports?${q}`).set(a.auth).set(ws(a));

    const newest = await get('');
    expect(newest.body.data.map((r: { id: string }) => r.id)).toEqual([...ids].reverse());
    expect(newest.body.data[0].issues).toBeUndefined();
    const onA = await get(`url=${encodeURIComponent('https://example.com/a')}&sort=created_at`);
    expect(onA.body.data.map((r: { id: string }) => r.id)).toEqual([ids[0], ids[2], ids[4]]);
    const window = await get('created_after=2026-01-11T00:00:00Z&created_before=2026-01-13T00:00:00Z&sort=created_at');
    expect(window.body.data.map((r: { id: string }) => r.id)).toEqual([ids[1], ids[2]]);
    const aInWindow = await get(`url=${encodeURIComponent('https://example.com/a')}&created_after=2026-01-11T00:00:00Z`);
    expect(aInWindow.body.data.map((r: { id: string }) => r.id)).toEqual([ids[4], ids[2]]);
    const byScore = await get('sort=-performance&fields=id,scores');
    expect(byScore.body.data.map((r: { scores: { performance: number } }) => r.scores.performance)).toEqual([50, 40, 30, 20, 10]);
    expect(Object.keys(byScore.body.data[0]).sort()).toEqual(['id', 'scores']);

    const page2 = await get('per_page=2&page=2&sort=created_at');
    expect(page2.body.data.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[3]]);
    expect(page2.body.meta.pagination).toEqual({ current_page: 2, per_page: 2, total: 5, last_page: 3, from: 3, to: 4 });
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: Array<{ id: string }>; meta: { pagination: { next_cursor: string | null } } } } = await get(`limit=2&sort=-performance${cursor ? `&cursor=${cursor}` : ''}`);
      walked.push(...res.body.data.map((r) => r.id));
      cursor = res.body.meta.pagination.next_cursor;
    } while (cursor);
    expect(walked).toEqual([...ids].reverse());
    const onACursor = await get(`limit=1&url=${encodeURIComponent('https://example.com/a')}`);
    expect(onACursor.body.meta.pagination).toMatchObject({ limit: 1, has_more: true });
    const next = await get(`limit=5&url=${encodeURIComponent('https://example.com/a')}&cursor=${onACursor.body.meta.pagination.next_cursor}`);
    expect(next.body.data.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[0]]);
    const offset = await get('limit=2&offset=4&sort=created_at');
    expect(offset.body.data.map((r: { id: string }) => r.id)).toEqual([ids[4]]);
    expect(offset.body.meta.pagination).toEqual({ limit: 2, offset: 4, total: 5 });

    for (const q of ['severity=error', 'sort=issue_count', 'fields=secret', 'url=', 'created_after=yesterday', 'limit=101', 'cursor=bm9wZQ', 'url=a&url=b']) {
      const res = await get(q);
      expect(res.status, q).toBe(400);
      expect(res.body.code, q).toBe('BAD_REQUEST');
    }
  });

  it('GET /seo/reports/{id}: another workspace’s report and ids of the wrong shape are 404', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const id = (await submit(a, report())).body.data.id;
    expect((await t.http().get(`/api/v1/seo/reports/${id}`).set(b.auth).set(ws(b))).status).toBe(404);
    for (const bad of ['seo_nope', 'pst_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', 'x'.repeat(300), '%00']) {
      const res = await t.http().get(`/api/v1/seo/reports/${bad}`).set(a.auth).set(ws(a));
      expect(res.status, bad).toBe(404);
      expect(res.body.code, bad).toBe('NOT_FOUND');
    }
  });
});

describe('SEO issues [GET /seo/issues/{workspace_id}]', () => {
  it('lists the issues of every report, filtered by severity, type and url, in every pagination mode', async () => {
    const a = await registerAccount(t);
    const first = await submit(a, report({ url: 'https://example.com/a', issues: [{ type: 'missing_alt', severity: 'warning' }, { type: 'slow_lcp', severity: 'error' }] }));
    const second = await submit(a, report({ url: 'https://example.com/b', issues: [{ type: 'missing_alt', severity: 'error' }, { type: 'meta_description', severity: 'info' }, { type: 'missing_alt', severity: 'warning' }] }));
    expect(second.status).toBe(201);
    const get = (q: string, target = a.workspace.id, auth = a.auth) => t.http().get(`/api/v1/seo/issues/${target}?${q}`).set(auth);
    const types = (res: { body: { data: Array<{ type: string; severity: string; url: string }> } }) => res.body.data.map((i) => `${i.url.slice(-1)}:${i.type}:${i.severity}`).sort();

    const all = await get('');
    expect(all.status).toBe(200);
    expect(all.body.data).toHaveLength(5);
    expect(all.body.meta.pagination).toMatchObject({ total: 5 });
    expect(types(await get('severity=error'))).toEqual(['a:slow_lcp:error', 'b:missing_alt:error']);
    expect(types(await get('type=missing_alt'))).toEqual(['a:missing_alt:warning', 'b:missing_alt:error', 'b:missing_alt:warning']);
    expect(types(await get(`url=${encodeURIComponent('https://example.com/b')}&severity=warning`))).toEqual(['b:missing_alt:warning']);
    expect(types(await get(`report_id=${first.body.data.id}`))).toEqual(['a:missing_alt:warning', 'a:slow_lcp:error']);
    expect((await get('type=nothing_like_it')).body.data).toEqual([]);
    // The workspace's slug names it as well as its id.
    expect((await get('', a.workspace.slug)).body.data).toHaveLength(5);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: Array<{ id: string }>; meta: { pagination: { next_cursor: string | null } } } } = await get(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...res.body.data.map((i) => i.id));
      cursor = res.body.meta.pagination.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(5);
    expect((await get('limit=2&offset=4')).body.meta.pagination).toEqual({ limit: 2, offset: 4, total: 5 });
    const sparse = await get('fields=type,severity&per_page=1');
    expect(Object.keys(sparse.body.data[0]).sort()).toEqual(['id', 'severity', 'type']);

    for (const q of ['severity=critical', 'severity=', 'sort=severity', 'status=open', 'fields=details']) expect((await get(q)).status, q).toBe(400);
  });

  it('a workspace that is not the caller’s is 404, with a user credential or an API key', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    await submit(a, report());
    const bKey = await createApiKey(t, b, { scopes: ['seo:read'] });
    for (const [who, auth] of [['member of another workspace', b.auth], ['API key of another workspace', bKey.auth]] as const) {
      for (const target of [a.workspace.id, a.workspace.slug, 'ws_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', 'not-a-workspace']) {
        const res = await t.http().get(`/api/v1/seo/issues/${target}`).set(auth);
        expect(res.status, `${who} → ${target}`).toBe(404);
        expect(res.body).toMatchObject({ code: 'NOT_FOUND', data: null });
      }
    }
    expect((await t.http().get(`/api/v1/seo/issues/${a.workspace.id}`)).status).toBe(401);
    const aKey = await createApiKey(t, a, { scopes: ['seo:read'] });
    expect((await t.http().get(`/api/v1/seo/issues/${a.workspace.id}`).set(aKey.auth)).body.data).toHaveLength(1);
  });
});

describe('SEO access', () => {
  it('a narrower credential is 403 naming the missing scope; a member writes, a viewer only reads', async () => {
    const a = await registerAccount(t);
    await submit(a, report());
    const readKey = await createApiKey(t, a, { scopes: ['seo:read'] });
    const writeKey = await createApiKey(t, a, { scopes: ['seo:write'] });
    const postsKey = await createApiKey(t, a, { scopes: ['posts:*'] });

    const refused = await submit(a, report(), readKey.auth);
    expect(refused.status).toBe(403);
    expect(refused.body.meta.required_scopes).toEqual(['seo:write']);
    for (const path of ['/api/v1/seo/reports', `/api/v1/seo/issues/${a.workspace.id}`]) {
      const res = await t.http().get(path).set(writeKey.auth);
      expect(res.status, path).toBe(403);
      expect(res.body.meta.required_scopes).toEqual(['seo:read']);
      expect((await t.http().get(path).set(postsKey.auth)).status, path).toBe(403);
    }
    expect((await submit(a, report(), writeKey.auth)).status).toBe(201);

    const member = await addMember(t, a, a.workspace.id, 'member');
    expect((await submit(a, report(), member.auth)).status).toBe(201);
    const viewer = await addMember(t, a, a.workspace.id, 'viewer');
    const viewerPost = await submit(a, report(), viewer.auth);
    expect(viewerPost.status).toBe(403);
    expect(viewerPost.body.meta.required_scopes).toEqual(['seo:write']);
    expect((await t.http().get('/api/v1/seo/reports').set(viewer.auth).set(ws(a))).body.data).toHaveLength(3);
  });

  it('nobody grants SEO scopes past their own: a role that only reads SEO cannot mint a key that writes it', async () => {
    const a = await registerAccount(t);
    const role = await t.http().post('/api/v1/roles').set(a.auth).set(ws(a)).send({ name: 'SEO reader, key maker', scopes: ['seo:read', 'api-keys:*'] });
    expect(role.status).toBe(201);
    const reader = await addMember(t, a, a.workspace.id, role.body.data.id);
    const past = await t.http().post('/api/v1/api-keys').set(reader.auth).set(ws(a)).send({ name: 'too much', scopes: ['seo:write'] });
    expect(past.status).toBe(403);
    const within = await t.http().post('/api/v1/api-keys').set(reader.auth).set(ws(a)).send({ name: 'fine', scopes: ['seo:read'] });
    expect(within.status).toBe(201);
    expect((await t.http().post('/api/v1/seo/report').set({ Authorization: `Bearer ${within.body.data.key}` }).send(report())).status).toBe(403);
  });
});

describe('SEO under load and at the limit', () => {
  it('60 concurrent reports on a free plan (10 a month): exactly 10 are created, the rest 403 FEATURE_LIMIT_REACHED, none 5xx', async () => {
    const a = await registerAccount(t);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, n) => submit(a, report({ url: `https://example.com/${n}` }))));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 403)).toHaveLength(50);
    const refused = answers.find((r) => r.status === 403)!;
    expect(refused.body).toMatchObject({ code: 'FEATURE_LIMIT_REACHED', meta: { feature: 'seo_reports', limit: 10, current_usage: 10 } });
    expect((await t.http().get('/api/v1/seo/reports').set(a.auth).set(ws(a))).body.meta.pagination.total).toBe(10);
    expect(await outboxOf(a.workspace.id)).toHaveLength(10);
  });

  it('60 concurrent reads and writes on a larger plan all answer, none 5xx', async () => {
    const a = await registerAccount(t, { tier: 'agency' });
    const key = await createApiKey(t, a, { scopes: ['seo:*'] });
    const calls = Array.from({ length: 60 }, (_, n) =>
      n % 3 === 0 ? submit(a, report({ url: `https://example.com/${n}` }), key.auth)
      : n % 3 === 1 ? t.http().get('/api/v1/seo/reports?limit=10').set(key.auth)
      : t.http().get(`/api/v1/seo/issues/${a.workspace.id}?severity=warning`).set(key.auth),
    );
    const statuses = (await Promise.all(calls)).map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.every((s) => s === 200 || s === 201)).toBe(true);
    expect((await t.http().get('/api/v1/seo/reports').set(key.auth)).body.meta.pagination.total).toBe(20);
  });
});

describe('SeoService.submit (the entry point of the MCP tool)', () => {
  it('checks its input by the route’s rules and creates the report as the route does', async () => {
    const a = await registerAccount(t);
    await setTier(t, a.workspace.id, 'starter');
    const seo = t.app.get(SeoService);
    const target = { id: a.workspace.id, tier: 'starter' as const };
    const err = await seo.submit(target, { url: 'not a url', scores: { ...scores, seo: 300 }, extra: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).getStatus()).toBe(422);
    expect(Object.keys((err as ApiError).meta.errors as object).sort()).toEqual(['extra', 'scores.seo', 'url']);
    expect(await seo.submit(target, 'just text').catch((e: ApiError) => e.getStatus())).toBe(400);

    const created = await seo.submit(target, report());
    expect(created).toMatchObject({ id: expect.stringMatching(/^seo_/), url: 'https://example.com/page', issue_count: 1 });
    const listed = await t.http().get('/api/v1/seo/reports').set(a.auth).set(ws(a));
    expect(listed.body.data.map((r: { id: string }) => r.id)).toEqual([created.id]);
    expect((await outboxOf(a.workspace.id)).map((e) => e.type)).toEqual(['seo.report.created']);
  });
});
