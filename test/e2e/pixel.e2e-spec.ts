import { INestApplicationContext } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis } from '../../libs/queue';
import { pixelStatsStatements } from '../../src/modules/pixel/pixel-events.repository';
import { Account, addMember, createApiKey, eventually, registerAccount, sleep } from '../factories/accounts';
import { startTestApp, startTestWorker, TestApp } from '../utils/app';
import { restartablePort } from '../utils/ports';

let t: TestApp;
let worker: INestApplicationContext;
beforeAll(async () => {
  t = await startTestApp();
  worker = await startTestWorker({ WORKER_QUEUES: 'pixel' });
});
afterAll(async () => {
  await worker?.close();
  await t?.close();
});

const ws = (a: Account) => ({ 'X-Workspace-ID': a.workspace.id });
const domain = () => `shop-${randomBytes(5).toString('hex')}.example`;
const page = (host: string, path = '/page') => `https://${host}${path}`;

async function settingsOf(a: Account): Promise<{ key: string; domains: string[] }> {
  const res = await t.http().get('/api/v1/pixel/settings').set(a.auth).set(ws(a));
  expect(res.status).toBe(200);
  return res.body.data;
}

function patch(a: Account, body: Record<string, unknown>) {
  return t.http().patch('/api/v1/pixel/settings').set(a.auth).set(ws(a)).send(body);
}

function track(body: Record<string, unknown>, headers: Record<string, string> = {}, app: TestApp = t) {
  return app.http().post('/api/v1/pixel/track').set(headers).send(body);
}

interface StoredEvent {
  id: string;
  event: string;
  url: string;
  referrer: string | null;
  referrer_host: string | null;
  user_agent: string | null;
  session_id: string | null;
  properties: Record<string, unknown> | null;
  occurred_at: Date;
}

function storedEvents(workspaceId: string): Promise<StoredEvent[]> {
  return t.app.get(DataSource).query(`SELECT * FROM pixel_events WHERE workspace_id = $1 ORDER BY occurred_at, id`, [workspaceId]);
}

async function storedCount(workspaceId: string, n: number, timeoutMs = 10_000): Promise<StoredEvent[]> {
  let rows: StoredEvent[] = [];
  await eventually(async () => (rows = await storedEvents(workspaceId)).length >= n, timeoutMs);
  return rows;
}

/** A workspace with its pixel on one fresh domain. */
async function pixelOn(overrides: Record<string, unknown> = {}): Promise<{ a: Account; key: string; host: string }> {
  const a = await registerAccount(t);
  const host = domain();
  const res = await patch(a, { domains: [host], ...overrides });
  expect(res.status).toBe(200);
  return { a, key: res.body.data.key, host };
}

describe('Pixel settings [GET/PATCH /pixel/settings]', () => {
  it('makes a public key on first use, with everything on, and changes what it is told', async () => {
    const a = await registerAccount(t);
    const first = await t.http().get('/api/v1/pixel/settings').set(a.auth).set(ws(a));
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({
      key: expect.stringMatching(/^pk_[0-9a-f]{32}$/),
      enabled: true,
      features: { pageviews: true, events: true, sessions: true },
      sample_rate: 1,
      domains: [],
      allowed_origins: [],
    });
    expect((await settingsOf(a)).key).toBe(first.body.data.key);

    const host = domain();
    const changed = await patch(a, {
      enabled: false,
      features: { sessions: false },
      sample_rate: 0.25,
      domains: [` ${host.toUpperCase()}. `, host, `www.${host}`],
      allowed_origins: ['https://App.Example.net/', 'http://localhost:3000'],
    });
    expect(changed.status).toBe(200);
    expect(changed.body.data).toMatchObject({
      key: first.body.data.key,
      enabled: false,
      features: { pageviews: true, events: true, sessions: false },
      sample_rate: 0.25,
      domains: [host, `www.${host}`].sort(),
      allowed_origins: ['https://app.example.net', 'http://localhost:3000'],
    });
    const partly = await patch(a, { enabled: true });
    expect(partly.body.data).toMatchObject({ enabled: true, sample_rate: 0.25, features: { sessions: false }, domains: [host, `www.${host}`].sort() });
    const released = await patch(a, { domains: [], allowed_origins: ['*'] });
    expect(released.body.data).toMatchObject({ domains: [], allowed_origins: ['*'] });
  });

  it('refuses bad settings with 422 naming the field, and changes nothing', async () => {
    const a = await registerAccount(t);
    const before = await settingsOf(a);
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ sample_rate: 1.5 }, 'sample_rate'],
      [{ sample_rate: -0.1 }, 'sample_rate'],
      [{ sample_rate: '1' }, 'sample_rate'],
      [{ enabled: 'yes' }, 'enabled'],
      [{ features: { pageviews: 1 } }, 'features.pageviews'],
      [{ features: { clicks: true } }, 'features.clicks'],
      [{ features: true }, 'features'],
      [{ domains: ['https://example.com'] }, 'domains'],
      [{ domains: ['example.com/path'] }, 'domains'],
      [{ domains: ['localhost'] }, 'domains'],
      [{ domains: ['exa\u0000mple.com'] }, 'domains.0'],
      [{ domains: 'example.com' }, 'domains'],
      [{ domains: Array.from({ length: 51 }, (_, i) => `d${i}.example`) }, 'domains'],
      [{ allowed_origins: ['https://example.com/page'] }, 'allowed_origins'],
      [{ allowed_origins: ['example.com'] }, 'allowed_origins'],
      [{ allowed_origins: [42] }, 'allowed_origins'],
      [{ key: 'pk_00000000000000000000000000000000' }, 'key'],
    ];
    for (const [body, field] of bad) {
      const res = await patch(a, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(Object.keys(res.body.meta.errors), JSON.stringify(body).slice(0, 80)).toContain(field);
    }
    expect(await settingsOf(a)).toEqual(before);
  });

  it('a domain another workspace holds is 409, and nothing of the change is applied; released, it can be claimed', async () => {
    const { a, host } = await pixelOn();
    const b = await registerAccount(t);
    const mine = domain();
    const taken = await patch(b, { enabled: false, domains: [mine, host.toUpperCase()] });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'CONFLICT', meta: { errors: { domains: [`${host} is held by another workspace`] } } });
    expect(await settingsOf(b)).toMatchObject({ enabled: true, domains: [] });
    expect((await settingsOf(a)).domains).toEqual([host]);

    expect((await patch(a, { domains: [] })).status).toBe(200);
    const claimed = await patch(b, { domains: [host, mine] });
    expect(claimed.status).toBe(200);
    expect(claimed.body.data.domains).toEqual([host, mine].sort());
  });

  it('ten workspaces claiming one domain at once: exactly one gets it, the others 409', async () => {
    const accounts = await Promise.all(Array.from({ length: 10 }, () => registerAccount(t)));
    await Promise.all(accounts.map(settingsOf));
    const host = domain();
    const answers = await Promise.all(accounts.map((a) => patch(a, { domains: [host] })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    const winner = accounts[answers.findIndex((r) => r.status === 200)];
    const config = await t.http().get('/api/v1/pixel/config').set('Referer', page(host));
    expect(config.status).toBe(200);
    expect((await settingsOf(winner)).domains).toEqual([host]);
  });

  it('reads need workspaces:read and changes workspaces:write; another workspace is 404', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const seoKey = await createApiKey(t, a, { scopes: ['seo:*'] });
    const readKey = await createApiKey(t, a, { scopes: ['workspaces:read'] });
    for (const path of ['/api/v1/pixel/settings', '/api/v1/pixel/stats']) {
      const res = await t.http().get(path).set(seoKey.auth);
      expect(res.status, path).toBe(403);
      expect(res.body.meta.required_scopes).toEqual(['workspaces:read']);
      expect((await t.http().get(path).set(readKey.auth)).status, path).toBe(200);
      expect((await t.http().get(path).set(b.auth).set(ws(a))).status, path).toBe(404);
      expect((await t.http().get(path)).status, path).toBe(401);
    }
    const refused = await t.http().patch('/api/v1/pixel/settings').set(readKey.auth).send({ enabled: false });
    expect(refused.status).toBe(403);
    expect(refused.body.meta.required_scopes).toEqual(['workspaces:write']);
    expect((await t.http().patch('/api/v1/pixel/settings').set(b.auth).set(ws(a)).send({ enabled: false })).status).toBe(404);
    const viewer = await addMember(t, a, a.workspace.id, 'viewer');
    expect((await t.http().get('/api/v1/pixel/settings').set(viewer.auth).set(ws(a))).status).toBe(200);
    expect((await t.http().patch('/api/v1/pixel/settings').set(viewer.auth).set(ws(a)).send({ enabled: false })).status).toBe(403);
    expect((await settingsOf(a))).toMatchObject({ enabled: true });
    // A grant past one's own: the viewer cannot mint a key that changes settings.
    const role = await t.http().post('/api/v1/roles').set(a.auth).set(ws(a)).send({ name: 'Pixel reader', scopes: ['workspaces:read', 'api-keys:*'] });
    const reader = await addMember(t, a, a.workspace.id, role.body.data.id);
    expect((await t.http().post('/api/v1/api-keys').set(reader.auth).set(ws(a)).send({ name: 'x', scopes: ['workspaces:write'] })).status).toBe(403);
  });
});

describe('Pixel configuration [GET /pixel/config]', () => {
  it('by key, or by the Origin or Referer host among the domains; a host claimed by none is 404', async () => {
    const { a, key, host } = await pixelOn({ sample_rate: 0.5, features: { events: false } });
    const expected = { enabled: true, features: { pageviews: true, events: false, sessions: true }, sample_rate: 0.5 };
    const byKey = await t.http().get(`/api/v1/pixel/config?key=${key}`);
    expect(byKey.status).toBe(200);
    expect(byKey.body.data).toEqual(expected);
    expect(byKey.headers['access-control-allow-origin']).toBeUndefined();

    const byOrigin = await t.http().get('/api/v1/pixel/config').set('Origin', `https://${host}`);
    expect(byOrigin.status).toBe(200);
    expect(byOrigin.body.data).toEqual(expected);
    expect(byOrigin.headers['access-control-allow-origin']).toBe(`https://${host}`);
    expect(byOrigin.headers.vary).toMatch(/Origin/);
    const byReferer = await t.http().get('/api/v1/pixel/config').set('Referer', page(host, '/blog/post?x=1'));
    expect(byReferer.body.data).toEqual(expected);

    for (const headers of [{ Origin: 'https://nobody-claims-this.example' }, { Referer: `https://www.${host}/` }, {}, { Origin: 'null' }, { Referer: 'not a url' }]) {
      const res = await t.http().get('/api/v1/pixel/config').set(headers);
      expect(res.status, JSON.stringify(headers)).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    expect((await t.http().get('/api/v1/pixel/config?key=pk_00000000000000000000000000000000')).status).toBe(404);
    expect((await t.http().get('/api/v1/pixel/config?key=sk_live_nope')).status).toBe(400);
    expect((await t.http().get(`/api/v1/pixel/config?key=${key}&debug=1`)).status).toBe(400);
    expect((await t.http().get(`/api/v1/pixel/config?key=${key}&key=${key}`)).status).toBe(400);

    expect((await patch(a, { enabled: false })).status).toBe(200);
    expect((await t.http().get(`/api/v1/pixel/config?key=${key}`)).body.data.enabled).toBe(false);
  });

  it('CORS: an allowed origin gets Access-Control-Allow-Origin; another origin is 403 without it', async () => {
    const { a, key, host } = await pixelOn({ allowed_origins: ['https://app.example.net'] });
    const allowed = await t.http().get(`/api/v1/pixel/config?key=${key}`).set('Origin', 'https://app.example.net');
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.net');
    const own = await t.http().get(`/api/v1/pixel/config?key=${key}`).set('Origin', `http://${host}:8080`);
    expect(own.headers['access-control-allow-origin']).toBe(`http://${host}:8080`);
    for (const origin of ['https://evil.example', 'http://app.example.net', `https://www.${host}`]) {
      const res = await t.http().get(`/api/v1/pixel/config?key=${key}`).set('Origin', origin);
      expect(res.status, origin).toBe(403);
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
    expect((await patch(a, { allowed_origins: ['*'] })).status).toBe(200);
    const any = await t.http().get(`/api/v1/pixel/config?key=${key}`).set('Origin', 'https://evil.example');
    expect(any.status).toBe(200);
    expect(any.headers['access-control-allow-origin']).toBe('https://evil.example');

    const preflight = await t.http().options('/api/v1/pixel/track').set('Origin', 'https://app.example.net').set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example.net',
      'access-control-allow-methods': expect.stringContaining('POST'),
      'access-control-allow-headers': expect.stringMatching(/content-type/i),
    });
    expect((await t.http().options('/api/v1/pixel/config').set('Origin', 'https://x.example')).status).toBe(204);
  });

  it("with ALLOWED_ORIGINS set (the API's own first-party pages), customer sites still get the pixel's CORS, and first-party CORS stays off the pixel", async () => {
    const { key, host } = await pixelOn({ allowed_origins: ['https://app.example.net'] });
    const firstParty = 'https://console.example.test';
    const app = await startTestApp({ ALLOWED_ORIGINS: firstParty });
    try {
      for (const path of ['/api/v1/pixel/track', '/api/v1/pixel/config']) {
        const preflight = await app.http().options(path).set('Origin', `https://${host}`).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type');
        expect(preflight.status, path).toBe(204);
        expect(preflight.headers['access-control-allow-origin'], path).toBe(`https://${host}`);
        expect(preflight.headers['access-control-allow-headers'], path).toMatch(/content-type/i);
        expect(preflight.headers['access-control-allow-credentials'], path).toBeUndefined();
      }
      const tracked = await app.http().post('/api/v1/pixel/track').set('Origin', 'https://app.example.net').send({ key, event: 'pageview', url: page(host, '/') });
      expect(tracked.status).toBe(200);
      expect(tracked.headers['access-control-allow-origin']).toBe('https://app.example.net');
      expect(tracked.headers['access-control-allow-credentials']).toBeUndefined();
      // The first-party origin is not a customer site of this pixel: no credentialed CORS here.
      const fromConsole = await app.http().get(`/api/v1/pixel/config?key=${key}`).set('Origin', firstParty);
      expect(fromConsole.status).toBe(403);
      expect(fromConsole.headers['access-control-allow-credentials']).toBeUndefined();
      expect(fromConsole.headers['access-control-allow-origin']).toBeUndefined();
      // Everywhere else, the first-party CORS is as before.
      const api = await app.http().options('/api/v1/posts').set('Origin', firstParty).set('Access-Control-Request-Method', 'POST');
      expect(api.headers['access-control-allow-origin']).toBe(firstParty);
      expect(api.headers['access-control-allow-credentials']).toBe('true');
    } finally {
      await app.close();
    }
  });
});

describe('Tracking [POST /pixel/track]', () => {
  it('accepts an event, and the worker stores it as sent', async () => {
    const { a, key, host } = await pixelOn();
    const res = await track(
      { key, event: 'pageview', url: page(host, '/pricing'), referrer: 'https://www.google.com/search?q=tessera', user_agent: 'Mozilla/5.0 (test)', properties: { title: 'Pricing', plan: 'pro', visits: 3, returning: true, coupon: null }, session_id: 'ses_1' },
      { Origin: `https://${host}` },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, code: 'OK', data: { tracked: true } });
    expect(res.headers['access-control-allow-origin']).toBe(`https://${host}`);
    const withoutKey = await track({ event: 'signup', url: page(host, '/pricing'), referrer: page(host, '/') }, { Referer: page(host, '/pricing'), 'User-Agent': 'agent-from-header' });
    expect(withoutKey.body.data).toEqual({ tracked: true });

    const rows = await storedCount(a.workspace.id, 2);
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.id).every((id) => /^px_/.test(id))).toBe(true);
    const [view, signup] = rows.sort((x, y) => x.event.localeCompare(y.event));
    expect(view).toMatchObject({ event: 'pageview', url: page(host, '/pricing'), referrer: 'https://www.google.com/search?q=tessera', referrer_host: 'www.google.com', user_agent: 'Mozilla/5.0 (test)', session_id: 'ses_1', properties: { title: 'Pricing', plan: 'pro', visits: 3, returning: true, coupon: null } });
    expect(signup).toMatchObject({ event: 'signup', referrer_host: null, user_agent: 'agent-from-header', session_id: null, properties: null });
    expect(Math.abs(new Date(view.occurred_at).getTime() - Date.now())).toBeLessThan(60_000);
    // Analytics hits are not audited (a row each would be a database write per event); settings changes are.
    const audit = await t.app.get(DataSource).query(`SELECT action FROM audit_logs WHERE action IN ('post Pixel.track', 'pixel.settings.updated') AND (workspace_id = $1 OR workspace_id IS NULL)`, [a.workspace.id]);
    expect(audit.map((r: { action: string }) => r.action)).toEqual(['pixel.settings.updated']);
  });

  it('answers {tracked: false} with the reason when disabled, for a feature turned off, or sampled out; and stores nothing of it', async () => {
    const { a, key, host } = await pixelOn();
    const send = (event = 'pageview', session_id?: string) => track({ key, event, url: page(host), ...(session_id ? { session_id } : {}) });
    expect((await send()).body.data).toEqual({ tracked: true });

    await patch(a, { enabled: false });
    // The change reaches the public route at once (the cached settings are dropped).
    expect((await send()).body.data).toEqual({ tracked: false, reason: 'disabled' });
    await patch(a, { enabled: true, features: { pageviews: false } });
    expect((await send()).body.data).toEqual({ tracked: false, reason: 'feature_disabled' });
    expect((await send('signup')).body.data).toEqual({ tracked: true });
    await patch(a, { features: { pageviews: true, events: false, sessions: false } });
    expect((await send('signup')).body.data).toEqual({ tracked: false, reason: 'feature_disabled' });
    expect((await send('pageview', 'ses_dropped')).body.data).toEqual({ tracked: true });
    await patch(a, { features: { events: true, sessions: true }, sample_rate: 0 });
    expect((await send('pageview', 'ses_x')).body.data).toEqual({ tracked: false, reason: 'sampled_out' });

    await patch(a, { sample_rate: 0.5 });
    const sessions = Array.from({ length: 40 }, (_, i) => `ses_${i}`);
    const first = await Promise.all(sessions.map((s) => send('pageview', s).then((r) => r.body.data.tracked as boolean)));
    const again = await Promise.all(sessions.map((s) => send('pageview', s).then((r) => r.body.data.tracked as boolean)));
    expect(again).toEqual(first);
    const kept = first.filter(Boolean).length;
    expect(kept).toBeGreaterThan(5);
    expect(kept).toBeLessThan(35);

    // Tracked: the first pageview, one signup, the pageview whose session was dropped, and each kept session twice.
    const expected = 3 + 2 * kept;
    const rows = await storedCount(a.workspace.id, expected);
    expect(rows).toHaveLength(expected);
    expect(rows.filter((r) => r.event === 'signup')).toHaveLength(1);
    expect(rows.filter((r) => r.event === 'pageview' && r.session_id === null)).toHaveLength(2);
    expect(rows.some((r) => r.session_id === 'ses_dropped' || r.session_id === 'ses_x')).toBe(false);
    expect(new Set(rows.filter((r) => r.session_id?.startsWith('ses_')).map((r) => r.session_id))).toEqual(new Set(sessions.filter((_, i) => first[i])));
  });

  it('a bad payload is 422 (400 for a body that is no JSON object), and a foreign origin 403', async () => {
    const { a, key, host } = await pixelOn();
    const ok = { key, event: 'pageview', url: page(host) };
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ key, url: page(host) }, 'event'],
      [{ ...ok, event: 123 }, 'event'],
      [{ ...ok, event: '' }, 'event'],
      [{ ...ok, event: 'e'.repeat(65) }, 'event'],
      [{ ...ok, event: '<script>' }, 'event'],
      [{ ...ok, url: 'not a url' }, 'url'],
      [{ ...ok, url: 'javascript:alert(1)' }, 'url'],
      [{ ...ok, url: `https://${host}/${'a'.repeat(2100)}` }, 'url'],
      [{ ...ok, url: `https://${host}/\u0000` }, 'url'],
      [{ ...ok, key: 'pk_short' }, 'key'],
      [{ ...ok, referrer: 'r'.repeat(2049) }, 'referrer'],
      [{ ...ok, user_agent: 'u'.repeat(513) }, 'user_agent'],
      [{ ...ok, session_id: 'has spaces' }, 'session_id'],
      [{ ...ok, session_id: 7 }, 'session_id'],
      [{ ...ok, properties: { nested: { a: 1 } } }, 'properties'],
      [{ ...ok, properties: ['a'] }, 'properties'],
      [{ ...ok, properties: 'title' }, 'properties'],
      [{ ...ok, properties: { long: 'x'.repeat(1001) } }, 'properties'],
      [{ ...ok, properties: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }, 'properties'],
      [{ ...ok, properties: { ['\u0000']: 1 } }, 'properties.\u0000'],
      [{ ...ok, workspace_id: a.workspace.id }, 'workspace_id'],
    ];
    for (const [body, field] of bad) {
      const res = await track(body);
      expect(res.status, `${field}: ${JSON.stringify(body).slice(0, 80)}`).toBe(422);
      expect(res.body, field).toMatchObject({ success: false, code: 'VALIDATION_ERROR', data: null });
      expect(Object.keys(res.body.meta.errors), field).toContain(field);
    }
    expect((await t.http().post('/api/v1/pixel/track').set('Content-Type', 'application/json').send('[1,2]')).status).toBe(400);
    expect((await t.http().post('/api/v1/pixel/track').set('Content-Type', 'application/json').send('{"event":')).status).toBe(400);
    expect((await t.http().post('/api/v1/pixel/track').send({ ...ok, properties: { big: 'x'.repeat(1000) }, referrer: 'y'.repeat(2 * 1024 * 1024) })).status).toBe(413);
    const foreign = await track(ok, { Origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    expect((await track({ ...ok, key: 'pk_00000000000000000000000000000000' })).status).toBe(404);
    expect((await track({ event: 'pageview', url: page(host) }, { Origin: 'https://nobody-claims-this.example' })).status).toBe(404);
    await sleep(500);
    expect(await storedEvents(a.workspace.id)).toEqual([]);
  });

  it('60 concurrent events (past the pool size) all answer {tracked: true}, and all 60 are stored', async () => {
    const { a, key, host } = await pixelOn();
    const answers = await Promise.all(Array.from({ length: 60 }, (_, n) => track({ key, event: 'pageview', url: page(host, `/p${n}`), session_id: `s${n}` })));
    expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(answers.every((r) => r.body.data.tracked === true)).toBe(true);
    const rows = await storedCount(a.workspace.id, 60);
    expect(rows).toHaveLength(60);
    expect(new Set(rows.map((r) => r.url)).size).toBe(60);
    const configs = await Promise.all(Array.from({ length: 60 }, () => t.http().get('/api/v1/pixel/config').set('Origin', `https://${host}`)));
    expect(configs.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
  });

  it('a beacon (navigator.sendBeacon: the JSON event as text/plain) is tracked and stored like JSON; bad text is 400 or 422; text/plain is JSON on no other route', async () => {
    const { a, key, host } = await pixelOn();
    const beacon = (body: string, headers: Record<string, string> = {}) =>
      t.http().post('/api/v1/pixel/track').set({ 'Content-Type': 'text/plain;charset=UTF-8', ...headers }).send(body);
    const res = await beacon(JSON.stringify({ event: 'pageview', url: page(host, '/leaving'), session_id: 'ses_beacon' }), { Origin: `https://${host}` });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ tracked: true });
    const [row] = await storedCount(a.workspace.id, 1);
    expect(row).toMatchObject({ event: 'pageview', url: page(host, '/leaving'), session_id: 'ses_beacon' });

    expect((await beacon('{"event":')).status).toBe(400);
    expect((await beacon('pageview')).status).toBe(400);
    const invalid = await beacon(JSON.stringify({ key, event: '<script>', url: page(host) }));
    expect(invalid.status).toBe(422);
    expect(Object.keys(invalid.body.meta.errors)).toContain('event');
    expect((await beacon(JSON.stringify({ key, event: 'pageview', url: page(host), referrer: 'y'.repeat(2 * 1024 * 1024) }))).status).toBe(413);

    // Another route does not read text/plain as JSON: a post sent that way is refused, never created.
    const post = await t.http().post('/api/v1/posts').set(a.auth).set(ws(a)).set('Content-Type', 'text/plain').send(JSON.stringify({ title: 'By beacon', body: 'x' }));
    expect(post.status).toBeGreaterThanOrEqual(400);
    expect(post.status).toBeLessThan(500);
    const posts = await t.http().get('/api/v1/posts').set(a.auth).set(ws(a));
    expect(posts.body.data).toEqual([]);
    await sleep(300);
    expect(await storedEvents(a.workspace.id)).toHaveLength(1);
  });
});

describe('Tracking without JavaScript [GET /pixel/track.gif]', () => {
  it('answers a 1×1 GIF and tracks a pageview (url from the Referer when not given)', async () => {
    const { a, key, host } = await pixelOn();
    const res = await t.http().get(`/api/v1/pixel/track.gif?key=${key}&url=${encodeURIComponent(page(host, '/no-js'))}&session_id=gif1&cb=123`).set('User-Agent', 'old-browser');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/gif/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-pixel-tracked']).toBe('true');
    expect(Buffer.from(res.body).subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect(Number(res.headers['content-length'])).toBe(43);
    const byReferer = await t.http().get('/api/v1/pixel/track.gif?event=newsletter').set('Referer', page(host, '/from-referer'));
    expect(byReferer.status).toBe(200);

    const rows = await storedCount(a.workspace.id, 2);
    expect(rows.map((r) => [r.event, r.url, r.session_id, r.user_agent]).sort()).toEqual([
      ['newsletter', page(host, '/from-referer'), null, null],
      ['pageview', page(host, '/no-js'), 'gif1', 'old-browser'],
    ]);

    await patch(a, { enabled: false });
    const off = await t.http().get(`/api/v1/pixel/track.gif?key=${key}&url=${encodeURIComponent(page(host))}`);
    expect(off.status).toBe(200);
    expect(off.headers['x-pixel-tracked']).toBe('false');
    expect((await t.http().get(`/api/v1/pixel/track.gif?key=${key}`)).status).toBe(400);
    expect((await t.http().get(`/api/v1/pixel/track.gif?key=${key}&url=x&y=1`)).status).toBe(400);
    expect((await t.http().get(`/api/v1/pixel/track.gif?key=${key}&url=${encodeURIComponent(page(host))}&event=%00`)).status).toBe(400);
    expect((await t.http().get(`/api/v1/pixel/track.gif?url=${encodeURIComponent(page(host))}`)).status).toBe(404);
  });
});

describe('Public route limit', () => {
  it('300 requests a minute per client address on POST /pixel/track, not the 60 of the free tier', async () => {
    const limited = await startTestApp({ RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'true' });
    try {
      const { key, host } = await pixelOn();
      // An address of its own, so no other test's requests share the bucket.
      const address = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
      const from = { 'X-Forwarded-For': address };
      // The bucket holds 300 and refills one every 200 ms: send until it refuses.
      const started = Date.now();
      const answers: Awaited<ReturnType<typeof track>>[] = [];
      while (!answers.some((r) => r.status === 429) && answers.length < 1000) {
        answers.push(...(await Promise.all(Array.from({ length: 50 }, () => track({ key, event: 'pageview', url: page(host) }, from, limited)))));
      }
      const statuses = answers.map((r) => r.status);
      const accepted = statuses.filter((s) => s === 200).length;
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
      expect(accepted).toBeGreaterThanOrEqual(300);
      expect(accepted).toBeLessThanOrEqual(300 + Math.ceil((Date.now() - started) / 200) + 1);
      // The refusal itself (a request sent after it could find the one request refilled every 200 ms).
      const over = answers.find((r) => r.status === 429)!;
      expect(over.body).toMatchObject({ code: 'RATE_LIMITED', meta: { limit: 300 } });
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      // Another address, and the configuration route, have their own buckets.
      expect((await track({ key, event: 'pageview', url: page(host) }, { 'X-Forwarded-For': '198.51.100.7' }, limited)).status).toBe(200);
      expect((await limited.http().get(`/api/v1/pixel/config?key=${key}`).set(from)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('Pixel stats [GET /pixel/stats]', () => {
  async function seed(workspaceId: string, events: Array<[string, string, string | null, string | null, string]>): Promise<void> {
    await t.app.get(DataSource).query(
      `INSERT INTO pixel_events (id, workspace_id, event, url, referrer_host, session_id, occurred_at)
       SELECT 'px_' || md5(random()::text), $1, e, u, r, s, o FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS t(e, u, r, s, o)`,
      [workspaceId, events.map((e) => e[0]), events.map((e) => e[1]), events.map((e) => e[2]), events.map((e) => e[3]), events.map((e) => e[4])],
    );
  }

  it('counts pageviews, other events and unique sessions per hour or day, with the top URLs and referrers of the range', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const events: Array<[string, string, string | null, string | null, string]> = [
      ['pageview', 'https://x.example/', 'www.google.com', 's1', '2026-03-01T09:10:00Z'],
      ['pageview', 'https://x.example/pricing', 'www.google.com', 's1', '2026-03-01T09:40:00Z'],
      ['signup', 'https://x.example/pricing', null, 's1', '2026-03-01T09:45:00Z'],
      ['pageview', 'https://x.example/', 'news.example', 's2', '2026-03-01T11:00:00Z'],
      ['pageview', 'https://x.example/', null, 's1', '2026-03-02T08:00:00Z'],
      ['pageview', 'https://x.example/blog', 'www.google.com', null, '2026-03-02T23:59:59Z'],
      ['pageview', 'https://x.example/', null, 's3', '2026-03-03T00:00:00Z'],
      ['pageview', 'https://x.example/too-early', null, 's9', '2026-02-28T23:59:59Z'],
    ];
    await seed(a.workspace.id, events);
    await seed(b.workspace.id, events.map(([, u, r, s, o]) => ['pageview', `${u}other`, r, `b-${s}`, o]));
    const get = (q: string, who = a) => t.http().get(`/api/v1/pixel/stats?${q}`).set(who.auth).set(ws(who));

    const daily = await get('from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z&interval=day');
    expect(daily.status).toBe(200);
    expect(daily.body.data).toEqual({
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-03T00:00:00.000Z',
      interval: 'day',
      totals: { pageviews: 5, events: 1, unique_sessions: 2 },
      series: [
        { at: '2026-03-01T00:00:00.000Z', pageviews: 3, events: 1, unique_sessions: 2 },
        { at: '2026-03-02T00:00:00.000Z', pageviews: 2, events: 0, unique_sessions: 1 },
      ],
      top_urls: [{ url: 'https://x.example/', pageviews: 3 }, { url: 'https://x.example/blog', pageviews: 1 }, { url: 'https://x.example/pricing', pageviews: 1 }],
      top_referrers: [{ referrer: 'www.google.com', pageviews: 3 }, { referrer: 'news.example', pageviews: 1 }],
    });

    const hourly = await get('from=2026-03-01T09:30:00Z&to=2026-03-01T12:00:00Z&interval=hour');
    expect(hourly.body.data.series).toEqual([
      { at: '2026-03-01T09:00:00.000Z', pageviews: 1, events: 1, unique_sessions: 1 },
      { at: '2026-03-01T10:00:00.000Z', pageviews: 0, events: 0, unique_sessions: 0 },
      { at: '2026-03-01T11:00:00.000Z', pageviews: 1, events: 0, unique_sessions: 1 },
    ]);
    expect(hourly.body.data.totals).toEqual({ pageviews: 2, events: 1, unique_sessions: 2 });

    const empty = await get('from=2025-01-01&to=2025-01-03');
    expect(empty.body.data).toMatchObject({ totals: { pageviews: 0, events: 0, unique_sessions: 0 }, top_urls: [], top_referrers: [], series: [{ pageviews: 0 }, { pageviews: 0 }] });
    const byDefault = await get('');
    expect(byDefault.body.data).toMatchObject({ interval: 'day', totals: { pageviews: 0 } });
    expect(byDefault.body.data.series.length).toBeGreaterThanOrEqual(30);

    for (const q of ['interval=week', 'from=yesterday', 'from=2026-03-02&to=2026-03-01', 'from=2026-03-01&to=2026-03-01', 'from=2020-01-01&to=2026-01-01&interval=hour', 'from=2020-01-01&to=2026-01-01', 'site=x', 'from=2026-03-01&from=2026-03-02']) {
      const res = await get(q);
      expect(res.status, q).toBe(400);
      expect(res.body.code, q).toBe('BAD_REQUEST');
    }
  });

  it('reads one workspace through the (workspace_id, occurred_at) index, however many rows other workspaces hold', async () => {
    const a = await registerAccount(t);
    const big = await registerAccount(t);
    const db = t.app.get(DataSource);
    await db.query(
      `INSERT INTO pixel_events (id, workspace_id, event, url, referrer_host, session_id, occurred_at)
       SELECT 'px_big' || g, $1, 'pageview', 'https://big.example/' || (g % 100), 'ref' || (g % 7) || '.example', 's' || (g % 5000), timestamptz '2026-03-01' + g * interval '1 second'
         FROM generate_series(1, 100000) g`,
      [big.workspace.id],
    );
    await db.query(`ANALYZE pixel_events`);
    const plans: string[] = [];
    // The statements PixelEventsRepository.stats sends, as the stats of a small workspace, by the hour and by the day.
    for (const interval of ['hour', 'day'] as const) {
      for (const st of Object.values(pixelStatsStatements(a.workspace.id, new Date('2026-03-01'), new Date('2026-03-03'), interval))) {
        plans.push(JSON.stringify(await db.query(`EXPLAIN (FORMAT JSON) ${st.text}`, st.values)));
      }
    }
    expect(plans).toHaveLength(6);
    for (const plan of plans) {
      expect(plan).toContain('pixel_events_workspace_occurred_idx');
      expect(plan).not.toContain('Seq Scan');
    }
    // And the answer counts only the big workspace's own rows in its range.
    const res = await t.http().get('/api/v1/pixel/stats?from=2026-03-01T00:00:00Z&to=2026-03-01T01:00:00Z&interval=hour').set(big.auth).set(ws(big));
    expect(res.body.data.totals).toEqual({ pageviews: 3599, events: 0, unique_sessions: 3599 });
    expect(res.body.data.top_urls).toHaveLength(10);
    await db.query(`DELETE FROM pixel_events WHERE workspace_id = $1`, [big.workspace.id]);
  });

  it('tracked events show up in the stats once stored', async () => {
    const { a, key, host } = await pixelOn();
    for (const [url, session] of [['/a', 'v1'], ['/a', 'v2'], ['/b', 'v1']]) {
      expect((await track({ key, event: 'pageview', url: page(host, url), referrer: 'https://duckduckgo.com/', session_id: session })).body.data.tracked).toBe(true);
    }
    await storedCount(a.workspace.id, 3);
    const res = await t.http().get('/api/v1/pixel/stats?interval=hour').set(a.auth).set(ws(a));
    expect(res.body.data.totals).toEqual({ pageviews: 3, events: 0, unique_sessions: 2 });
    expect(res.body.data.top_urls).toEqual([{ url: page(host, '/a'), pageviews: 2 }, { url: page(host, '/b'), pageviews: 1 }]);
    expect(res.body.data.top_referrers).toEqual([{ referrer: 'duckduckgo.com', pageviews: 3 }]);
  });
});

describe('Without Redis', () => {
  it('a track request is 503 SERVICE_UNAVAILABLE, never {tracked: true}', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
    const redis = await startLocalRedis({ dir, port: await restartablePort(), persistent: false });
    const app = await startTestApp({ REDIS_URL: redis.url });
    try {
      const { key, host } = await pixelOn();
      expect((await track({ key, event: 'pageview', url: page(host) }, {}, app)).body.data).toEqual({ tracked: true });
      await redis.stop();
      const res = await track({ key, event: 'pageview', url: page(host) }, {}, app);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', data: null });
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      await app.app.close().catch(() => undefined);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
