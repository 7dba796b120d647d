import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, registerAccount, uniqueEmail } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

/**
 * Hostile input is the caller's mistake, never a 500: NUL bytes anywhere (PostgreSQL refuses
 * them in text), and headers past Node's 16 KiB limit, answered in the contract's envelope.
 */
let t: TestApp;
let owner: Account;
let operations: Array<{ method: string; path: string }> = [];

beforeAll(async () => {
  t = await startTestApp();
  owner = await registerAccount(t);
  const doc = (await t.http().get('/docs/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!path.includes('{')) continue;
    for (const method of Object.keys(methods)) operations.push({ method, path });
  }
});
afterAll(async () => {
  await t?.close();
});

function call(method: string, url: string) {
  const req = t.http()[method as 'get' | 'post' | 'put' | 'patch' | 'delete'](url);
  return req.set(owner.auth).set('X-Workspace-ID', owner.workspace.id);
}

/** Sends raw bytes (what an HTTP client library refuses to send) and reads the whole answer. */
function raw(request: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...rest] = answer.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: rest.join('\r\n\r\n') });
    });
  });
}

describe('NUL bytes', () => {
  it('covers the routes with path parameters', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
  });

  it('a NUL in every path parameter of every route is a 4xx in the envelope', async () => {
    for (const op of operations) {
      // Every parameter NUL, then the workspace real and every other parameter NUL.
      const urls = [op.path.replace(/\{[a-z_]+\}/g, '%00'), op.path.replace('{id}', owner.workspace.id).replace(/\{[a-z_]+\}/g, 'a%00b')];
      for (const url of urls.filter((u) => u.includes('%00'))) {
        const res = await call(op.method, url).send({});
        expect(res.status, `${op.method} ${url}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${op.method} ${url}`).toBeLessThan(500);
        expect(res.body, `${op.method} ${url}`).toMatchObject({ success: false, data: null });
      }
    }
  });

  it('a NUL in a body string is 422 naming the field [POST /roles, POST /posts, POST /auth/register]', async () => {
    const role = await call('post', '/api/v1/roles').send({ name: 'a\u0000b', scopes: ['posts:read'] });
    expect(role.status).toBe(422);
    expect(role.body).toMatchObject({ code: 'VALIDATION_ERROR', data: null });
    expect(Object.keys(role.body.meta.errors)).toEqual(['name']);

    const post = await call('post', '/api/v1/posts').send({ title: 'ok', tags: ['news', 'x\u0000'] });
    expect(post.status).toBe(422);
    expect(Object.keys(post.body.meta.errors)).toEqual(['tags.1']);

    const register = await t.http().post('/api/v1/auth/register').send({ name: 'Eve\u0000', email: uniqueEmail(), password: 'correct horse battery' });
    expect(register.status).toBe(422);
    expect(Object.keys(register.body.meta.errors)).toEqual(['name']);
  });

  it('a NUL in a query value is 400 [GET /posts]', async () => {
    const res = await call('get', '/api/v1/posts?search=a%00b');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'BAD_REQUEST', data: null });
  });

  it('a NUL in X-Workspace-ID is 400 in the envelope', async () => {
    const res = await raw(`GET /api/v1/posts HTTP/1.1\r\nHost: x\r\nAuthorization: ${owner.auth.Authorization}\r\nX-Workspace-ID: ws\u0000x\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ success: false, status: 400, code: 'BAD_REQUEST', data: null });
  });
});

describe('Oversized headers', () => {
  it('a 20 KB header is 431 REQUEST_HEADER_FIELDS_TOO_LARGE in the envelope', async () => {
    const res = await raw(`GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(res.status).toBe(431);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ success: false, status: 431, code: 'REQUEST_HEADER_FIELDS_TOO_LARGE', data: null });
    expect(body.meta.request_id).toMatch(/^req_/);
    expect(new Date(body.meta.timestamp).getTime()).not.toBeNaN();
  });
});
