import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, addMember, createApiKey, createPat, registerAccount } from '../factories/accounts';
import { mcpClient, rpc, toolAuditRows } from '../factories/mcp';
import { createEndpoint, insertDelivery } from '../factories/webhooks';
import { startTestApp, TestApp } from '../utils/app';

/**
 * Tessera as an MCP server at /mcp, driven over HTTP by the SDK's own Client (Streamable HTTP),
 * and by raw JSON-RPC POSTs where an attacker would not use a well-behaved client.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const TOOLS = ['list_posts', 'get_post', 'create_post', 'list_webhooks', 'list_deliveries', 'retry_delivery', 'get_usage_summary', 'submit_seo_report'];
const ws = (a: Account) => ({ 'X-Workspace-ID': a.workspace.id });

type ToolAnswer = { isError?: boolean; structuredContent?: Record<string, unknown>; content: Array<{ type: string; text?: string }> };
const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as ToolAnswer;

async function createPost(a: Account, title: string): Promise<string> {
  const res = await t.http().post('/api/v1/posts').set(a.auth).set(ws(a)).send({ title });
  expect(res.status).toBe(201);
  return res.body.data.id;
}

describe('MCP server [POST /mcp] with the SDK client', () => {
  it('initialize, tools/list (every tool with the scopes it needs), tools/call create_post and list_posts with an API key', async () => {
    const a = await registerAccount(t);
    const key = await createApiKey(t, a, { scopes: ['*'] });
    const client = await mcpClient(t, key.auth);
    try {
      expect(client.getServerVersion()).toMatchObject({ name: 'tessera', version: '1' });
      expect(client.getServerCapabilities()).toMatchObject({ tools: expect.any(Object), resources: expect.any(Object) });
      expect(client.getInstructions()).toContain('tessera://posts/{id}');

      const { tools } = await client.listTools();
      expect(tools.map((x) => x.name)).toEqual(TOOLS);
      const create = tools.find((x) => x.name === 'create_post')!;
      expect(create._meta).toEqual({ 'tessera/required_scopes': ['posts:write'] });
      expect(create.description).toMatch(/Needs scope: posts:write\.$/);
      expect(create.inputSchema).toMatchObject({ type: 'object', required: ['title'], properties: { title: { type: 'string', maxLength: 200 } }, additionalProperties: false });
      expect(create.annotations).toMatchObject({ readOnlyHint: false });
      expect(tools.find((x) => x.name === 'list_posts')!.annotations).toMatchObject({ readOnlyHint: true });

      const created = await call(client, 'create_post', { title: 'Written by an agent', tags: ['mcp'] });
      expect(created.isError).toBeFalsy();
      expect(created.structuredContent).toMatchObject({ id: expect.stringMatching(/^pst_/), title: 'Written by an agent', status: 'draft', tags: ['mcp'], author_id: null });
      expect(JSON.parse(created.content[0].text!)).toEqual(created.structuredContent);
      const id = created.structuredContent!.id as string;
      // The platform's own service made it: visible over REST, with its outbox event.
      expect((await t.http().get(`/api/v1/posts/${id}`).set(key.auth)).body.data).toMatchObject({ id, title: 'Written by an agent' });
      const events = await t.app.get(DataSource).query(`SELECT type FROM events WHERE workspace_id = $1 AND data->>'id' = $2`, [a.workspace.id, id]);
      expect(events).toEqual([{ type: 'post.created' }]);

      const listed = await call(client, 'list_posts', { limit: 10 });
      expect(listed.structuredContent).toMatchObject({ posts: [expect.objectContaining({ id })], next_cursor: null, has_more: false });
      const got = await call(client, 'get_post', { id });
      expect(got.structuredContent).toMatchObject({ id, title: 'Written by an agent' });
      const usage = await call(client, 'get_usage_summary');
      expect(usage.structuredContent).toMatchObject({ posts: { used: 1, limit: 100 } });
    } finally {
      await client.close();
    }
    const rows = await toolAuditRows(t, a.workspace.id, 4);
    expect(rows.map((r) => [r.action, r.target_type, r.target_id, r.metadata.tool, r.metadata.outcome])).toEqual([
      ['mcp.tool.called', 'mcp_server', 'tessera', 'create_post', 'ok'],
      ['mcp.tool.called', 'mcp_server', 'tessera', 'list_posts', 'ok'],
      ['mcp.tool.called', 'mcp_server', 'tessera', 'get_post', 'ok'],
      ['mcp.tool.called', 'mcp_server', 'tessera', 'get_usage_summary', 'ok'],
    ]);
    expect(rows[0].actor_id).toBe(key.id);
  });

  it('submit_seo_report stores a report through the SEO service (its event, its entitlement); without seo:write it is refused and stores nothing', async () => {
    const a = await registerAccount(t);
    const report = { url: 'https://example.com/page', scores: { performance: 85, accessibility: 92, best_practices: 88, seo: 95 }, issues: [{ type: 'missing_alt', severity: 'warning', element: 'img.hero' }] };
    const narrow = await mcpClient(t, (await createApiKey(t, a, { scopes: ['mcp:read', 'seo:read'] })).auth);
    try {
      const refused = await call(narrow, 'submit_seo_report', report);
      expect(refused).toMatchObject({ isError: true, structuredContent: { error: { status: 403, code: 'FORBIDDEN', required_scopes: ['seo:write'] } } });
    } finally {
      await narrow.close();
    }
    const client = await mcpClient(t, (await createApiKey(t, a, { scopes: ['mcp:read', 'seo:*'] })).auth);
    try {
      const bad = await call(client, 'submit_seo_report', { ...report, url: 'ftp://example.com/page' });
      expect(bad).toMatchObject({ isError: true, structuredContent: { error: { status: 422, code: 'VALIDATION_ERROR' } } });
      const created = await call(client, 'submit_seo_report', report);
      expect(created.isError).toBeFalsy();
      expect(created.structuredContent).toMatchObject({ id: expect.stringMatching(/^seo_/), url: report.url, scores: report.scores, issues: [expect.objectContaining({ type: 'missing_alt' })] });
      const id = created.structuredContent!.id as string;
      const got = await t.http().get(`/api/v1/seo/reports/${id}`).set(a.auth).set(ws(a));
      expect(got.status).toBe(200);
      const events = await t.app.get(DataSource).query(`SELECT type FROM events WHERE workspace_id = $1 AND data->>'id' = $2`, [a.workspace.id, id]);
      expect(events).toEqual([{ type: 'seo.report.created' }]);
    } finally {
      await client.close();
    }
    const listed = await t.http().get('/api/v1/seo/reports').set(a.auth).set(ws(a));
    expect(listed.body.data).toHaveLength(1);
  });

  it('pages list_posts with next_cursor, and filters it', async () => {
    const a = await registerAccount(t);
    for (const title of ['one', 'two', 'three']) await createPost(a, title);
    const client = await mcpClient(t, (await createApiKey(t, a, { scopes: ['mcp:read', 'posts:read'] })).auth);
    try {
      const first = await call(client, 'list_posts', { limit: 2 });
      expect((first.structuredContent!.posts as unknown[]).length).toBe(2);
      expect(first.structuredContent).toMatchObject({ has_more: true, next_cursor: expect.any(String) });
      const second = await call(client, 'list_posts', { limit: 2, cursor: first.structuredContent!.next_cursor });
      expect(second.structuredContent).toMatchObject({ posts: [expect.objectContaining({ title: 'one' })], has_more: false });
      const searched = await call(client, 'list_posts', { search: 'three' });
      expect((searched.structuredContent!.posts as Array<{ title: string }>).map((p) => p.title)).toEqual(['three']);
      const forged = await call(client, 'list_posts', { cursor: 'bm90LWEtY3Vyc29y' });
      expect(forged).toMatchObject({ isError: true, structuredContent: { error: { status: 400, code: 'BAD_REQUEST', errors: { cursor: expect.any(Array) } } } });
    } finally {
      await client.close();
    }
  });

  it('lists webhook endpoints and deliveries, and retries a failed delivery (400 CANNOT_RETRY for a successful one)', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    const failed = await insertDelivery(t, a, endpoint.id, { status: 'failed' });
    const succeeded = await insertDelivery(t, a, endpoint.id, { status: 'success' });
    const client = await mcpClient(t, (await createApiKey(t, a, { scopes: ['mcp:read', 'webhooks:*'] })).auth);
    try {
      const webhooks = await call(client, 'list_webhooks');
      expect(webhooks.structuredContent).toMatchObject({ webhooks: [expect.objectContaining({ id: endpoint.id, url: endpoint.url })] });
      expect(JSON.stringify(webhooks.structuredContent)).not.toContain(endpoint.secret);
      const deliveries = await call(client, 'list_deliveries', { webhook_id: endpoint.id, status: 'failed' });
      expect((deliveries.structuredContent!.deliveries as Array<{ id: string }>).map((d) => d.id)).toEqual([failed.id]);
      const retried = await call(client, 'retry_delivery', { webhook_id: endpoint.id, delivery_id: failed.id });
      expect(retried.structuredContent).toMatchObject({ id: failed.id, status: 'pending' });
      const refused = await call(client, 'retry_delivery', { webhook_id: endpoint.id, delivery_id: succeeded.id });
      expect(refused).toMatchObject({ isError: true, structuredContent: { error: { status: 400, code: 'CANNOT_RETRY' } } });
      expect(refused.content[0].text).toMatch(/^CANNOT_RETRY: /);
    } finally {
      await client.close();
    }
  });

  it('a personal access token works too (X-Workspace-ID names the workspace), within its scopes', async () => {
    const a = await registerAccount(t);
    const pat = await createPat(t, a, { scopes: ['mcp:read', 'posts:read'] });
    const client = await mcpClient(t, { 'X-Api-Key': pat.token, ...ws(a) });
    try {
      expect((await call(client, 'list_posts')).structuredContent).toMatchObject({ posts: [] });
      const refused = await call(client, 'create_post', { title: 'nope' });
      expect(refused).toMatchObject({ isError: true, structuredContent: { error: { status: 403, code: 'FORBIDDEN', required_scopes: ['posts:write'] } } });
    } finally {
      await client.close();
    }
  });

  it('refuses a tool the credential lacks the scope for, naming the scope, and changes nothing', async () => {
    const a = await registerAccount(t);
    const key = await createApiKey(t, a, { scopes: ['mcp:read', 'posts:read'] });
    const client = await mcpClient(t, key.auth);
    try {
      // tools/list says what each tool needs, to every caller.
      const { tools } = await client.listTools();
      expect(tools.map((x) => x.name)).toEqual(TOOLS);
      for (const [name, args, scope] of [
        ['create_post', { title: 'x' }, 'posts:write'],
        ['list_webhooks', {}, 'webhooks:read'],
        ['retry_delivery', { webhook_id: 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', delivery_id: 'dlv_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }, 'webhooks:write'],
        ['get_usage_summary', {}, 'entitlements:read'],
      ] as const) {
        const res = await call(client, name, args);
        expect(res, name).toMatchObject({ isError: true, structuredContent: { error: { status: 403, code: 'FORBIDDEN', required_scopes: [scope] } } });
        expect(res.content[0].text).toBe(`FORBIDDEN: Missing scope: ${scope}.`);
      }
    } finally {
      await client.close();
    }
    expect((await t.http().get('/api/v1/posts').set(key.auth)).body.meta.pagination.total).toBe(0);
    const rows = await toolAuditRows(t, a.workspace.id, 4);
    expect(rows.map((r) => [r.action, r.metadata.tool, r.metadata.outcome, r.metadata.error_code])).toContainEqual(['mcp.tool.failed', 'create_post', 'refused', 'FORBIDDEN']);
  });

  it('holds a member to their role: a viewer signed in (a JWT carries every scope) cannot create posts or retry deliveries', async () => {
    const owner = await registerAccount(t);
    const viewer = await addMember(t, owner, owner.workspace.id, 'viewer');
    const client = await mcpClient(t, { ...viewer.auth, ...ws(owner) });
    try {
      expect((await call(client, 'list_posts')).isError).toBeFalsy();
      expect(await call(client, 'create_post', { title: 'x' })).toMatchObject({ isError: true, structuredContent: { error: { status: 403, required_scopes: ['posts:write'] } } });
      expect(await call(client, 'retry_delivery', { webhook_id: 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', delivery_id: 'dlv_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' })).toMatchObject({
        isError: true,
        structuredContent: { error: { status: 403, required_scopes: ['webhooks:write'] } },
      });
    } finally {
      await client.close();
    }
  });

  it('shows another workspace’s records to nobody: tools and resources answer not found', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const postOfA = await createPost(a, 'secret of A');
    const endpointOfA = await createEndpoint(t, a);
    const deliveryOfA = await insertDelivery(t, a, endpointOfA.id, { status: 'failed' });
    const client = await mcpClient(t, (await createApiKey(t, b, { scopes: ['*'] })).auth);
    try {
      expect(await call(client, 'get_post', { id: postOfA })).toMatchObject({ isError: true, structuredContent: { error: { status: 404, code: 'NOT_FOUND' } } });
      expect((await call(client, 'list_posts')).structuredContent).toMatchObject({ posts: [] });
      expect((await call(client, 'list_webhooks')).structuredContent).toMatchObject({ webhooks: [] });
      expect(await call(client, 'list_deliveries', { webhook_id: endpointOfA.id })).toMatchObject({ isError: true, structuredContent: { error: { status: 404 } } });
      expect(await call(client, 'retry_delivery', { webhook_id: endpointOfA.id, delivery_id: deliveryOfA.id })).toMatchObject({ isError: true, structuredContent: { error: { status: 404 } } });
      expect((await client.listResources()).resources).toEqual([]);
      await expect(client.readResource({ uri: `tessera://posts/${postOfA}` })).rejects.toMatchObject({ code: -32002 });
      await expect(client.readResource({ uri: `tessera://webhooks/${endpointOfA.id}` })).rejects.toMatchObject({ code: -32002 });
    } finally {
      await client.close();
    }
    const [row] = await t.app.get(DataSource).query(`SELECT status FROM webhook_deliveries WHERE id = $1`, [deliveryOfA.id]);
    expect(row.status).toBe('failed');
  });

  it('resources: the workspace’s posts and webhooks by URI, within scopes; nothing of the host’s filesystem', async () => {
    const a = await registerAccount(t);
    const postId = await createPost(a, 'A resource');
    const endpoint = await createEndpoint(t, a);
    const client = await mcpClient(t, (await createApiKey(t, a, { scopes: ['mcp:read', 'posts:read', 'webhooks:read'] })).auth);
    try {
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.map((r) => r.uriTemplate).sort()).toEqual(['tessera://posts/{id}', 'tessera://webhooks/{id}']);
      const { resources } = await client.listResources();
      expect(resources.map((r) => [r.uri, r.name, r.mimeType])).toEqual([
        [`tessera://posts/${postId}`, 'A resource', 'application/json'],
        [`tessera://webhooks/${endpoint.id}`, endpoint.url, 'application/json'],
      ]);
      const read = await client.readResource({ uri: `tessera://posts/${postId}` });
      expect(read.contents).toHaveLength(1);
      expect(read.contents[0]).toMatchObject({ uri: `tessera://posts/${postId}`, mimeType: 'application/json' });
      expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ id: postId, title: 'A resource' });
      const hook = JSON.parse(((await client.readResource({ uri: `tessera://webhooks/${endpoint.id}` })).contents[0] as { text: string }).text);
      expect(hook).toMatchObject({ id: endpoint.id });
      expect(hook.secret).toBeUndefined();
      for (const uri of ['file:///etc/passwd', 'file:///proc/self/environ', `tessera://posts/../../etc/passwd`, 'tessera://files/etc/passwd', `tessera://posts/${postId}/../../x`, 'not a uri']) {
        await expect(client.readResource({ uri }), uri).rejects.toMatchObject({ code: expect.any(Number) });
      }
      await expect(client.readResource({ uri: 'file:///etc/passwd' })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('not found') });
    } finally {
      await client.close();
    }
    const narrow = await mcpClient(t, (await createApiKey(t, a, { scopes: ['mcp:read'] })).auth);
    try {
      // Kinds the credential may not read are left out of the list, and refused by URI, naming the scope.
      expect((await narrow.listResources()).resources).toEqual([]);
      await expect(narrow.readResource({ uri: `tessera://posts/${postId}` })).rejects.toMatchObject({ code: -32600, data: { status: 403, required_scopes: ['posts:read'] } });
    } finally {
      await narrow.close();
    }
  });
});

describe('MCP server [POST /mcp]: the HTTP layer', () => {
  let a: Account;
  let key: { Authorization: string };
  beforeAll(async () => {
    a = await registerAccount(t, { tier: 'pro' });
    key = (await createApiKey(t, a, { scopes: ['*'] })).auth;
  });

  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
  const toolCall = (id: number, name: string, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

  it('is stateless: any request stands alone (no session header), a batch is answered as a batch, a notification is 202', async () => {
    const init = await rpc(t, key, initialize);
    expect(init.status).toBe(200);
    expect(init.headers['mcp-session-id']).toBeUndefined();
    expect(init.body).toMatchObject({ jsonrpc: '2.0', id: 1, result: { serverInfo: { name: 'tessera' }, protocolVersion: '2025-06-18' } });
    // No initialize needed first: another process may have answered it.
    const list = await rpc(t, key, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(list.status).toBe(200);
    expect(list.body.result.tools).toHaveLength(TOOLS.length);
    const batch = await rpc(t, key, [{ jsonrpc: '2.0', id: 3, method: 'ping' }, toolCall(4, 'list_posts', {})]);
    expect(batch.status).toBe(200);
    expect(batch.body.map((m: { id: number }) => m.id).sort()).toEqual([3, 4]);
    const note = await rpc(t, key, { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);
    expect(note.text).toBe('');
    expect(note.headers['x-request-id']).toMatch(/^req_/);
  });

  it('answers in JSON-RPC, never in the envelope; Idempotency-Key and X-Request-Id replay nothing', async () => {
    const first = await rpc(t, { ...key, 'Idempotency-Key': 'mcp-1' }, toolCall(1, 'create_post', { title: 'first' }));
    const second = await rpc(t, { ...key, 'Idempotency-Key': 'mcp-1' }, toolCall(1, 'create_post', { title: 'first' }));
    expect(first.body.success).toBeUndefined();
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body.result.structuredContent.id).not.toBe(first.body.result.structuredContent.id);
  });

  it('refusals before the MCP layer come in the envelope: no credential 401, no mcp:read 403, another workspace 404, GET/DELETE 405', async () => {
    const none = await t.http().post('/mcp').set('Accept', 'application/json, text/event-stream').send(initialize);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    const narrow = await rpc(t, (await createApiKey(t, a, { scopes: ['posts:read'] })).auth, initialize);
    expect(narrow.status).toBe(403);
    expect(narrow.body).toMatchObject({ code: 'FORBIDDEN', meta: { required_scopes: ['mcp:read'] } });
    const outsider = await registerAccount(t);
    const other = await rpc(t, { ...outsider.auth, ...ws(a) }, initialize);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('NOT_FOUND');
    const keyOfA = await rpc(t, { ...key, 'X-Workspace-ID': outsider.workspace.id }, initialize);
    expect(keyOfA.status).toBe(403);
    for (const method of ['get', 'delete'] as const) {
      const res = await t.http()[method]('/mcp').set(key).set('Accept', 'text/event-stream');
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
      expect(res.body).toMatchObject({ success: false, code: 'METHOD_NOT_ALLOWED' });
    }
    expect((await t.http().post('/api/v1/mcp').set(key).send(initialize)).status).toBe(404);
  });

  it('counts against the caller’s rate limit like any route: past it, 429 in the envelope with Retry-After', async () => {
    // An address of its own: failed sign-ins of specs running beside this one, from loopback, must
    // not make its fresh key wait (past 30 of them an address's unverified keys are 429).
    const limited = await startTestApp({ RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'true' });
    try {
      const b = await registerAccount(limited);
      const freeKey = { ...(await createApiKey(limited, b, { scopes: ['mcp:read'] })).auth, 'X-Forwarded-For': `198.51.100.${1 + Math.floor(Math.random() * 250)}` };
      // GCRA gives one request back every second, so on a slow machine a few more than 60 fit.
      const answers = [await rpc(limited, freeKey, { jsonrpc: '2.0', id: 0, method: 'ping' })];
      while (answers.at(-1)!.status === 200 && answers.length < 120) answers.push(await rpc(limited, freeKey, { jsonrpc: '2.0', id: answers.length, method: 'ping' }));
      expect(answers.length, `answered ${answers.length}, the last ${answers.at(-1)!.status} ${answers.at(-1)!.text}`).toBeGreaterThan(60);
      const refused = answers.at(-1)!;
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ success: false, code: 'RATE_LIMITED' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(answers[0].headers['x-ratelimit-limit']).toBe('60');
    } finally {
      await limited.close();
    }
  });

  it('hostile input is a 4xx, never a 5xx: NUL bytes, wrong types, bad JSON, huge values, missing Accept, oversized batches', async () => {
    const posts = async () => (await t.http().get('/api/v1/posts').set(key)).body.meta.pagination.total as number;
    const before = await posts();
    const nul = await rpc(t, key, toolCall(1, 'create_post', { title: 'a\u0000b' }));
    expect(nul.status).toBe(422);
    expect(nul.body).toMatchObject({ code: 'VALIDATION_ERROR', meta: { errors: { 'params.arguments.title': expect.any(Array) } } });
    for (const body of ['"just a string"', '42', 'null', '{"jsonrpc":"1.0","id":1,"method":"ping"}', '{"id":1}', '[1,2]', '{"jsonrpc":"2.0","id":{},"method":"ping"}']) {
      const res = await t.http().post('/mcp').set(key).set('Accept', 'application/json, text/event-stream').set('Content-Type', 'application/json').send(body);
      expect(res.status, body).toBe(400);
    }
    const badJson = await t.http().post('/mcp').set(key).set('Accept', 'application/json, text/event-stream').set('Content-Type', 'application/json').send('{"jsonrpc":');
    expect(badJson.status).toBe(400);
    expect(badJson.body.code).toBe('BAD_REQUEST');
    const noAccept = await t.http().post('/mcp').set(key).set('Content-Type', 'application/json').send(initialize);
    expect(noAccept.status).toBe(406);
    const tooMany = await rpc(t, key, Array.from({ length: 2_000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' })));
    expect(tooMany.status).toBe(400);
    const huge = await rpc(t, key, toolCall(1, 'create_post', { title: 'x'.repeat(2_000_000) }));
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');

    // Tool arguments the schema refuses are tool errors naming the problem.
    for (const args of [{ title: 123 }, { title: 'x'.repeat(201) }, { title: '' }, { title: 'ok', status: 'deleted' }, { title: 'ok', tags: ['bad<tag>'] }, { title: 'ok', extra: 1 }, {}]) {
      const res = await rpc(t, key, toolCall(1, 'create_post', args));
      expect(res.status, JSON.stringify(args)).toBe(200);
      expect(res.body.result, JSON.stringify(args)).toMatchObject({ isError: true, content: [{ type: 'text', text: expect.stringMatching(/validation/i) }] });
    }
    const limitTooBig = await rpc(t, key, toolCall(1, 'list_posts', { limit: 10_000 }));
    expect(limitTooBig.body.result.isError).toBe(true);
    const unknown = await rpc(t, key, toolCall(1, 'read_file', { path: '/etc/passwd' }));
    expect(unknown.body.result).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('not found') }] });
    expect(await posts()).toBe(before);
  });

  it('answers a burst of 60 concurrent requests, more than the connection pool: every one, no 5xx', async () => {
    const before = (await t.http().get('/api/v1/posts').set(key)).body.meta.pagination.total as number;
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => rpc(t, key, i % 2 ? toolCall(i, 'create_post', { title: `burst ${i}` }) : toolCall(i, 'list_posts', { limit: 5 }))),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(60).fill(200));
    expect(answers.filter((r) => r.body.result.isError)).toEqual([]);
    const total = (await t.http().get('/api/v1/posts').set(key)).body.meta.pagination.total;
    expect(total).toBe(before + 30);
  });
});
