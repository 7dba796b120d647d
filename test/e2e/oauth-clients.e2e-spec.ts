import * as client from 'openid-client';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Account, createApiKey, createPat, registerAccount } from '../factories/accounts';
import { authorizeAndExchange, discover, IssuerApp, REDIRECT_URI, registerClient, startIssuerApp } from '../factories/oauth';

/** /api/v1/oauth-clients: the apps an account registers with the built-in provider. */
let t: IssuerApp;
let owner: Account;

beforeAll(async () => {
  t = await startIssuerApp();
  owner = await registerAccount(t);
});
afterAll(async () => {
  await t?.close();
});

const valid = { name: 'Acme Analytics', type: 'confidential', redirect_uris: ['https://app.example.com/oauth/callback', REDIRECT_URI], scopes: ['posts:read', 'posts:write'] };

describe('Register [POST /oauth-clients]', () => {
  it('a confidential client gets its secret once, stored only as a hash', async () => {
    const res = await t.http().post('/api/v1/oauth-clients').set(owner.auth).send(valid);
    expect(res.status).toBe(201);
    const data = res.body.data;
    expect(data).toMatchObject({ id: expect.stringMatching(/^oac_/), name: 'Acme Analytics', type: 'confidential', redirect_uris: valid.redirect_uris, scopes: ['posts:read', 'posts:write'] });
    expect(data.client_secret).toMatch(/^tsr_ocs_[A-Za-z0-9_-]{43}$/);
    expect(data.secret_prefix).toBe(data.client_secret.slice(0, 12));

    const got = await t.http().get(`/api/v1/oauth-clients/${data.id}`).set(owner.auth);
    expect(got.status).toBe(200);
    expect(got.body.data).not.toHaveProperty('client_secret');
    expect(JSON.stringify(got.body)).not.toContain(data.client_secret);

    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT encode(secret_hash, 'hex') AS hash, row_to_json(c)::text AS whole FROM oauth_clients c WHERE id = $1`, [data.id]);
      expect(rows[0].whole).not.toContain(data.client_secret.slice(8));
      expect(rows[0].hash).toHaveLength(64);
    } finally {
      await db.end();
    }
  });

  it('a public client has no secret; wildcard scopes are expanded', async () => {
    const res = await t.http().post('/api/v1/oauth-clients').set(owner.auth).send({ ...valid, type: 'public', scopes: ['posts:*'] });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ type: 'public', client_secret: null, secret_prefix: null, scopes: ['posts:read', 'posts:write', 'posts:delete'] });
  });

  it('refuses redirect URIs that are not https or loopback http, or not exact', async () => {
    for (const uri of ['http://app.example.com/cb', 'http://localhost:8765/cb', 'javascript:alert(1)', 'https://app.example.com/cb#frag', 'https://user:pw@app.example.com/cb', '/relative', 'HTTPS://APP.EXAMPLE.COM/cb']) {
      const res = await t.http().post('/api/v1/oauth-clients').set(owner.auth).send({ ...valid, redirect_uris: [uri] });
      expect(res.status, uri).toBe(422);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR', data: null });
      expect(res.body.meta.errors.redirect_uris.join(' '), uri).toMatch(/redirect URI/);
    }
  });

  it('hostile input is a 4xx in the envelope: NUL bytes, huge values, wrong types, unknown fields and scopes', async () => {
    const cases: Array<Record<string, unknown>> = [
      { ...valid, name: 'a\u0000b' },
      { ...valid, name: 'x'.repeat(10_000) },
      { ...valid, redirect_uris: Array.from({ length: 11 }, (_, i) => `https://app.example.com/cb${i}`) },
      { ...valid, redirect_uris: [`https://app.example.com/${'a'.repeat(3000)}`] },
      { ...valid, redirect_uris: 'https://app.example.com/cb' },
      { ...valid, redirect_uris: [42] },
      { ...valid, scopes: ['posts:admin'] },
      { ...valid, scopes: [] },
      { ...valid, type: 'implicit' },
      { ...valid, client_secret: 'mine' },
      { ...valid, name: { $gt: '' } },
    ];
    for (const body of cases) {
      const res = await t.http().post('/api/v1/oauth-clients').set(owner.auth).send(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(res.body.success).toBe(false);
    }
    expect((await t.http().post('/api/v1/oauth-clients').set(owner.auth).set('Content-Type', 'application/json').send('[1,2]')).status).toBe(400);
  });

  it('an account registers at most 25 clients, even in a concurrent burst', async () => {
    const burst = await registerAccount(t);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => t.http().post('/api/v1/oauth-clients').set(burst.auth).send({ ...valid, name: `App ${i}` })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(25);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    expect(answers.find((r) => r.status === 409)!.body).toMatchObject({ code: 'CONFLICT', meta: { limit: 25, current_usage: 25 } });
    const list = await t.http().get('/api/v1/oauth-clients?per_page=100').set(burst.auth);
    expect(list.body.meta.pagination.total).toBe(25);
  });
});

describe('Access [GET/PATCH/DELETE /oauth-clients/{id}]', () => {
  it("another account's client is 404, as is an id of the wrong shape", async () => {
    const mine = await registerClient(t, owner);
    const other = await registerAccount(t);
    for (const [method, path] of [['get', `/api/v1/oauth-clients/${mine.id}`], ['patch', `/api/v1/oauth-clients/${mine.id}`], ['delete', `/api/v1/oauth-clients/${mine.id}`], ['post', `/api/v1/oauth-clients/${mine.id}/rotate-secret`]] as const) {
      const res = await t.http()[method](path).set(other.auth).send(method === 'patch' ? { name: 'Mine now' } : {});
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body).toMatchObject({ code: 'NOT_FOUND', data: null });
    }
    expect((await t.http().get('/api/v1/oauth-clients').set(other.auth)).body.data).toEqual([]);
    expect((await t.http().get('/api/v1/oauth-clients/not-an-id').set(owner.auth)).status).toBe(404);
    expect((await t.http().get('/api/v1/oauth-clients/oac_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8').set(owner.auth)).status).toBe(404);
  });

  it('a narrower credential is 403 naming the missing scope; a workspace API key acts for no account', async () => {
    const readOnly = await createPat(t, owner, { scopes: ['oauth-clients:read'] });
    const res = await t.http().post('/api/v1/oauth-clients').set('X-Api-Key', readOnly.token).send(valid);
    expect(res.status).toBe(403);
    expect(res.body.meta.required_scopes).toEqual(['oauth-clients:write']);
    expect((await t.http().get('/api/v1/oauth-clients').set('X-Api-Key', readOnly.token)).status).toBe(200);
    const key = await createApiKey(t, owner, { scopes: ['*'] });
    expect((await t.http().get('/api/v1/oauth-clients').set(key.auth)).status).toBe(403);
    expect((await t.http().get('/api/v1/oauth-clients')).status).toBe(401);
  });

  it('PATCH replaces name, redirect URIs and scopes; the type cannot change', async () => {
    const c = await registerClient(t, owner);
    const res = await t.http().patch(`/api/v1/oauth-clients/${c.id}`).set(owner.auth).send({ name: 'Renamed', redirect_uris: ['https://new.example.com/cb'], scopes: ['read'] });
    expect(res.status).toBe(200);
    expect(res.body.data.name).toBe('Renamed');
    expect(res.body.data.redirect_uris).toEqual(['https://new.example.com/cb']);
    expect(res.body.data.scopes.every((s: string) => s.endsWith(':read'))).toBe(true);
    expect((await t.http().patch(`/api/v1/oauth-clients/${c.id}`).set(owner.auth).send({ type: 'public' })).status).toBe(422);
  });

  it('taking a scope away from a client narrows the tokens it already holds, at once', async () => {
    const c = await registerClient(t, owner);
    const { tokens } = await authorizeAndExchange(t, c, owner);
    const bearer = { Authorization: `Bearer ${tokens.access_token}` };
    expect((await t.http().post('/api/v1/posts').set(bearer).send({ title: 'Before' })).status).toBe(201);
    await t.http().patch(`/api/v1/oauth-clients/${c.id}`).set(owner.auth).send({ scopes: ['posts:read'] });
    const after = await t.http().post('/api/v1/posts').set(bearer).send({ title: 'After' });
    expect(after.status).toBe(403);
    expect(after.body.meta.required_scopes).toEqual(['posts:write']);
    expect((await t.http().get('/api/v1/posts').set(bearer)).status).toBe(200);
  });

  it('rotate-secret: the new secret works at the token endpoint and the old one no longer does', async () => {
    const c = await registerClient(t, owner);
    const { tokens } = await authorizeAndExchange(t, c, owner);
    const res = await t.http().post(`/api/v1/oauth-clients/${c.id}/rotate-secret`).set(owner.auth);
    expect(res.status).toBe(200);
    const fresh = res.body.data.client_secret as string;
    expect(fresh).toMatch(/^tsr_ocs_/);
    expect(fresh).not.toBe(c.secret);
    await expect(client.refreshTokenGrant(await discover(t, c, c.secret), tokens.refresh_token!)).rejects.toMatchObject({ status: 401, cause: [{ parameters: { error: 'invalid_client' } }] });
    const refreshed = await client.refreshTokenGrant(await discover(t, c, fresh), tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
    const pub = await registerClient(t, owner, { type: 'public' });
    expect((await t.http().post(`/api/v1/oauth-clients/${pub.id}/rotate-secret`).set(owner.auth)).status).toBe(409);
  });

  it('DELETE ends every authorization of the client and every token issued to it', async () => {
    const c = await registerClient(t, owner);
    const { tokens } = await authorizeAndExchange(t, c, owner);
    const bearer = { Authorization: `Bearer ${tokens.access_token}` };
    expect((await t.http().get('/api/v1/posts').set(bearer)).status).toBe(200);
    expect((await t.http().delete(`/api/v1/oauth-clients/${c.id}`).set(owner.auth)).status).toBe(204);
    expect((await t.http().get('/api/v1/posts').set(bearer)).status).toBe(401);
    expect((await t.http().get(`/api/v1/oauth-clients/${c.id}`).set(owner.auth)).status).toBe(404);
    const authorizations = await t.http().get(`/api/v1/me/authorizations?client_id=${c.id}`).set(owner.auth);
    expect(authorizations.body.data).toEqual([]);
  });
});
