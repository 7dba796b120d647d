import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('Envelope and headers', () => {
  it('runs on the HTTP platform the environment names', () => {
    expect(t.app.getHttpAdapter().getType()).toBe(process.env.HTTP_ADAPTER ?? 'express');
  });

  it('wraps a success in the envelope with request id, version and timestamp', async () => {
    const res = await t.http().get('/api/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, status: 200, code: 'OK', data: { status: 'ok' } });
    expect(res.body.meta.request_id).toMatch(/^req_[0-9A-Z]{26}$/);
    expect(res.headers['x-request-id']).toBe(res.body.meta.request_id);
    expect(res.headers['x-api-version']).toBe('1');
    expect(new Date(res.body.meta.timestamp).toISOString()).toBe(res.body.meta.timestamp);
  });

  it("echoes the caller's sane X-Request-ID and replaces an insane one", async () => {
    const mine = await t.http().get('/api/v1/health').set('X-Request-ID', 'client-abc.123');
    expect(mine.headers['x-request-id']).toBe('client-abc.123');
    expect(mine.body.meta.request_id).toBe('client-abc.123');
    const insane = await t.http().get('/api/v1/health').set('X-Request-ID', 'has spaces <and> junk');
    expect(insane.headers['x-request-id']).toMatch(/^req_/);
  });

  it('refuses an unknown X-Api-Version with 400 and accepts 1', async () => {
    const bad = await t.http().get('/api/v1/health').set('X-Api-Version', '2');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, code: 'BAD_REQUEST', data: null });
    expect(bad.headers['x-api-version']).toBe('1');
    const good = await t.http().get('/api/v1/health').set('X-Api-Version', '1');
    expect(good.status).toBe(200);
  });

  it('answers an unknown route with 404 NOT_FOUND in the envelope', async () => {
    const res = await t.http().get('/api/v1/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, status: 404, code: 'NOT_FOUND', data: null });
    expect(res.body.meta.request_id).toBeTruthy();
  });

  it('answers malformed JSON with 400 BAD_REQUEST', async () => {
    const res = await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"email": ');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'BAD_REQUEST', data: null });
  });

  it('answers a body over 1 MB with 413 in the envelope', async () => {
    const res = await t.http().post('/api/v1/auth/register').set('Content-Type', 'application/json').send(JSON.stringify({ name: 'x'.repeat(1_100_000) }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ success: false, status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers a JSON array or scalar body with 400, not 500', async () => {
    for (const body of ['[]', '"text"', '42']) {
      const res = await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send(body);
      expect(res.status, body).toBe(400);
      expect(res.body.code).toBe('BAD_REQUEST');
    }
  });

  it('lists validation failures per field with 422 VALIDATION_ERROR', async () => {
    const res = await t.http().post('/api/v1/auth/register').send({ name: '', email: 'not-an-email', password: 'short' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(res.body.meta.errors).sort()).toEqual(['email', 'name', 'password']);
  });

  it('refuses an unknown body field (no mass assignment) with 422', async () => {
    const res = await t.http().post('/api/v1/auth/register').send({ name: 'A', email: 'mass@example.test', password: 'long enough', workspace_id: 'ws_x' });
    expect(res.status).toBe(422);
    expect(res.body.meta.errors.workspace_id).toBeDefined();
  });
});

describe('Health', () => {
  it('GET /health/ready reports PostgreSQL and Redis up', async () => {
    const res = await t.http().get('/api/v1/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.data.checks).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });
});

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3.1 document that covers every route with security and errors', async () => {
    const res = await t.http().get('/docs/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);

    const routes = [
      ['post', '/api/v1/auth/register'], ['post', '/api/v1/auth/login'], ['post', '/api/v1/auth/refresh'], ['post', '/api/v1/auth/logout'],
      ['get', '/api/v1/me'], ['patch', '/api/v1/me'], ['post', '/api/v1/me/email/confirm'],
      ['get', '/api/v1/me/invitations'], ['post', '/api/v1/me/invitations/{invitation_id}/accept'], ['post', '/api/v1/me/invitations/{invitation_id}/decline'],
      ['get', '/api/v1/workspaces/{id}/invitations'], ['delete', '/api/v1/workspaces/{id}/invitations/{invitation_id}'],
      ['get', '/api/v1/workspaces'], ['post', '/api/v1/workspaces'], ['get', '/api/v1/workspaces/{id}'], ['patch', '/api/v1/workspaces/{id}'], ['delete', '/api/v1/workspaces/{id}'],
      ['get', '/api/v1/workspaces/{id}/members'], ['post', '/api/v1/workspaces/{id}/members'], ['patch', '/api/v1/workspaces/{id}/members/{user_id}'], ['delete', '/api/v1/workspaces/{id}/members/{user_id}'],
      ['get', '/api/v1/users'], ['post', '/api/v1/users'], ['get', '/api/v1/users/{id}'], ['put', '/api/v1/users/{id}'], ['patch', '/api/v1/users/{id}'], ['delete', '/api/v1/users/{id}'],
      ['get', '/api/v1/health'], ['get', '/api/v1/health/ready'], ['get', '/api/v1/scopes'],
    ];
    for (const [method, path] of routes) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();

    const createWs = doc.paths['/api/v1/workspaces'].post;
    expect(createWs.security).toEqual(expect.arrayContaining([{ bearer: ['workspaces:write'] }]));
    expect(createWs['x-required-scopes']).toEqual(['workspaces:write']);
    expect(Object.keys(createWs.responses)).toEqual(expect.arrayContaining(['201', '401', '403', '409', '422', '429', '500']));
    expect(createWs.requestBody.content['application/json'].schema.$ref).toMatch(/CreateWorkspaceDto/);
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
    const listUsers = doc.paths['/api/v1/users'].get;
    expect(listUsers.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['X-Workspace-ID', 'page', 'per_page', 'limit', 'cursor', 'offset', 'sort', 'fields']));
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await t.http().get('/docs');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger');
  });
});

describe('Scopes', () => {
  it('GET /scopes lists the catalog with descriptions', async () => {
    const res = await t.http().get('/api/v1/scopes?per_page=100');
    expect(res.status).toBe(200);
    expect(res.body.data).toContainEqual({ scope: 'posts:read', resource: 'posts', action: 'read', description: 'Read posts.' });
    expect(res.body.data).toHaveLength(39);
    // The shared list parameters apply here too.
    const posts = await t.http().get('/api/v1/scopes?resource=posts&sort=-action');
    expect(posts.body.data.map((s: { scope: string }) => s.scope)).toEqual(['posts:write', 'posts:read', 'posts:delete']);
    expect((await t.http().get('/api/v1/scopes?sort=nope')).status).toBe(400);
  });
});

describe('Unique violations', () => {
  it('a taken e-mail at sign-up is 409 CONFLICT naming the field', async () => {
    const a = await registerAccount(t);
    const res = await t.http().post('/api/v1/auth/register').send({ name: 'B', email: a.user.email.toUpperCase(), password: 'long enough pw' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'CONFLICT', meta: { errors: { email: ['has already been taken'] } } });
  });
});
