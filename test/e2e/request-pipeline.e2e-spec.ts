import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiKey, registerAccount } from '../factories/accounts';
import { rpc } from '../factories/mcp';
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

/** A GET sent as written on the socket (supertest cannot send an absolute-form request line). */
function rawGet(url: string, target: string, headers: Record<string, string>): Promise<{ status: number; requestId?: string; body: any }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
      const json = body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1);
      resolve({ status: Number(head.split(' ')[1]), requestId: /x-request-id: (\S+)/i.exec(head)?.[1], body: json ? JSON.parse(json) : undefined });
    });
  });
}

describe('A wrapped read’s links, against hostile hosts and request lines', () => {
  it('refuses a Host header that makes no URL with a 400 in the envelope, on a list and on the MCP server (was a 500)', async () => {
    const t = await startTestApp();
    apps.push(t);
    const owner = await registerAccount(t);
    const key = await createApiKey(t, owner, { scopes: ['posts:read', 'mcp:read'] });
    for (const host of ['exa mple', 'a:99999', '1.2.3.999', '[::1', 'a%zz']) {
      const list = await t.http().get('/api/v1/posts?per_page=1').set(key.auth).set('Host', host);
      expect(list.status, host).toBe(400);
      expect(list.body).toMatchObject({ success: false, code: 'BAD_REQUEST', meta: { request_id: list.headers['x-request-id'], errors: { Host: [expect.any(String)] } } });
      const mcp = await rpc(t, key.auth, { jsonrpc: '2.0', id: 1, method: 'tools/list' }).set('Host', host);
      expect(mcp.status, host).toBe(400);
    }
    // An ordinary name with a port and an address still answer.
    for (const host of ['api.example.test:8443', '127.0.0.1']) {
      const list = await t.http().get('/api/v1/posts?per_page=1').set(key.auth).set('Host', host);
      expect(list.status).toBe(200);
      expect(list.body.links.first).toBe(`http://${host}/api/v1/posts?per_page=1&page=1`);
    }
  });

  it('builds links on the API’s own origin for an absolute-form request line, and never answers one whose host does not parse with a 500', async () => {
    const t = await startTestApp();
    apps.push(t);
    const owner = await registerAccount(t);
    const key = await createApiKey(t, owner, { scopes: ['posts:read'] });
    const headers = { Host: 'api.example.test', Authorization: key.auth.Authorization };
    const poisoned = await rawGet(t.url, 'http://evil.example/api/v1/posts?per_page=1', headers);
    expect(poisoned.status).toBe(200);
    expect(poisoned.body.links.first).toBe('http://api.example.test/api/v1/posts?per_page=1&page=1');
    // Express routes these by their path (links on our origin, where they were a 500); Fastify refuses them (400).
    for (const target of ['http://1.2.3.999/api/v1/posts?per_page=1', 'http://a:99999/api/v1/posts']) {
      const res = await rawGet(t.url, target, headers);
      expect(res.status, target).toBeLessThan(500);
      expect(res.body.meta.request_id).toBe(res.requestId);
      if (res.status === 200) expect(res.body.links.first).toMatch(/^http:\/\/api\.example\.test\/api\/v1\/posts\?/);
      else expect(res.body).toMatchObject({ success: false, status: 400 });
    }
  });
});
