import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { unseal } from '@tessera/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, addMember, createApiKey, eventually, registerAccount } from '../factories/accounts';
import { mcpClient, registerServer, toolAuditRows } from '../factories/mcp';
import { startTestApp, TestApp, testConfig } from '../utils/app';
import { McpRemote, startHangingServer, startMcpRemote } from '../utils/mcp-remote';

/**
 * The MCP gateway under /api/v1/mcp: the built-in server "tessera" and remote servers a workspace
 * registers, here a second MCP server (built with the SDK) listening on loopback.
 */
let t: TestApp;
/** As production configures it: remote URLs must be https and public. */
let strict: TestApp;
let remote: McpRemote;
const TIMEOUT_MS = 2000;

beforeAll(async () => {
  [t, strict, remote] = await Promise.all([startTestApp({ MCP_TIMEOUT_MS: String(TIMEOUT_MS) }), startTestApp({ WEBHOOKS_ALLOW_PRIVATE_URLS: 'false' }), startMcpRemote()]);
});
afterAll(async () => {
  await Promise.all([t?.close(), strict?.close(), remote?.close()]);
});

const ws = (a: Account) => ({ 'X-Workspace-ID': a.workspace.id });
const get = (a: Account, path: string, app = t) => app.http().get(`/api/v1/mcp${path}`).set(a.auth).set(ws(a));
const callTool = (a: Account, body: Record<string, unknown>, app = t) => app.http().post('/api/v1/mcp/tools/call').set(a.auth).set(ws(a)).send(body);

describe('MCP servers [/api/v1/mcp/servers]', () => {
  it('lists the built-in server "tessera" first, then the registered servers; gets one by id, by name, or "tessera"', async () => {
    const a = await registerAccount(t);
    const empty = await get(a, '/servers');
    expect(empty.status).toBe(200);
    expect(empty.body.data).toEqual([
      {
        id: 'tessera',
        name: 'tessera',
        description: expect.stringContaining('tessera://posts/{id}'),
        url: `${t.url}/mcp`,
        built_in: true,
        header_names: [],
        tools: ['list_posts', 'get_post', 'create_post', 'list_webhooks', 'list_deliveries', 'retry_delivery', 'get_usage_summary', 'submit_seo_report'],
        created_at: null,
        updated_at: null,
      },
    ]);
    expect(empty.body.meta.pagination).toMatchObject({ total: 1 });
    const fs = await registerServer(t, a, { name: 'filesystem', url: remote.url, description: 'File and directory operations' });
    const other = await registerServer(t, a, { name: 'another', url: remote.url });
    const list = await get(a, '/servers');
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual(['tessera', fs.id, other.id]);
    expect((await get(a, '/servers?sort=name')).body.data.map((s: { name: string }) => s.name)).toEqual(['another', 'filesystem', 'tessera']);
    expect((await get(a, '/servers?limit=1')).body.meta.pagination).toMatchObject({ has_more: true });
    for (const ref of [fs.id, 'filesystem']) {
      const res = await get(a, `/servers/${ref}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ id: fs.id, name: 'filesystem', description: 'File and directory operations', url: remote.url, built_in: false, tools: null });
    }
    expect((await get(a, '/servers/tessera')).body.data).toMatchObject({ id: 'tessera', built_in: true });
    for (const ref of ['nope', 'mcp_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', 'Filesystem']) {
      expect((await get(a, `/servers/${ref}`)).status, ref).toBe(404);
    }
  });

  it('registers a server with its headers sealed (only their names are shown), updates and deletes it, audited', async () => {
    const a = await registerAccount(t);
    const created = await registerServer(t, a, { name: 'crm', url: remote.url, headers: { Authorization: 'Bearer very-secret-token', 'X-Team': 'sales' } });
    expect(created).toMatchObject({ id: expect.stringMatching(/^mcp_/), name: 'crm', url: remote.url, built_in: false, header_names: ['Authorization', 'X-Team'], created_at: expect.any(String) });
    expect(JSON.stringify(created)).not.toContain('very-secret-token');
    const db = t.app.get(DataSource);
    const [row] = await db.query(`SELECT * FROM mcp_servers WHERE id = $1`, [created.id]);
    expect(JSON.stringify(row)).not.toContain('very-secret-token');
    expect(JSON.parse(unseal(testConfig().encryptionKey, row.headers_sealed, created.id).toString())).toEqual({ Authorization: 'Bearer very-secret-token', 'X-Team': 'sales' });
    expect(() => unseal(testConfig().encryptionKey, row.headers_sealed, 'mcp_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8')).toThrow();

    const patched = await t.http().patch(`/api/v1/mcp/servers/${created.id}`).set(a.auth).set(ws(a)).send({ name: 'crm-2', description: 'Sales', headers: { 'X-Api-Key': 'k2' } });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({ name: 'crm-2', description: 'Sales', header_names: ['X-Api-Key'], url: remote.url });
    expect((await get(a, '/servers/crm')).status).toBe(404);
    expect((await t.http().delete('/api/v1/mcp/servers/crm-2').set(a.auth).set(ws(a))).status).toBe(204);
    expect((await get(a, `/servers/${created.id}`)).status).toBe(404);
    // Audit rows are written without holding up the answer: the last one may land just after it.
    const actions = async () => ((await t.http().get('/api/v1/audit-logs?per_page=100').set(a.auth).set(ws(a))).body.data as Array<{ action: string }>).map((e) => e.action);
    expect(await eventually(async () => (await actions()).includes('mcp_server.deleted'))).toBe(true);
    expect(await actions()).toEqual(expect.arrayContaining(['mcp_server.created', 'mcp_server.updated', 'mcp_server.deleted']));
  });

  it('refuses a name taken or reserved, a bad URL, bad headers, and more than 20 servers; the built-in server cannot change', async () => {
    const a = await registerAccount(t);
    await registerServer(t, a, { name: 'one', url: remote.url });
    const post = (body: Record<string, unknown>) => t.http().post('/api/v1/mcp/servers').set(a.auth).set(ws(a)).send(body);
    const taken = await post({ name: 'one', url: remote.url });
    expect(taken.status).toBe(409);
    expect(taken.body.meta.errors.name).toEqual(['has already been taken']);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'tessera', url: remote.url }, 'name'],
      [{ name: 'Upper', url: remote.url }, 'name'],
      [{ name: 'a'.repeat(41), url: remote.url }, 'name'],
      [{ name: 'n\u0000ul', url: remote.url }, 'name'],
      [{ name: 42, url: remote.url }, 'name'],
      [{ url: remote.url }, 'name'],
      [{ name: 'x' }, 'url'],
      [{ name: 'x', url: 'not a url' }, 'url'],
      [{ name: 'x', url: 'ftp://example.com/mcp' }, 'url'],
      [{ name: 'x', url: `https://u:p@example.com/mcp` }, 'url'],
      [{ name: 'x', url: `https://example.com/${'a'.repeat(3000)}` }, 'url'],
      [{ name: 'x', url: remote.url, headers: { Host: 'evil' } }, 'headers'],
      [{ name: 'x', url: remote.url, headers: { 'Mcp-Session-Id': 's' } }, 'headers'],
      [{ name: 'x', url: remote.url, headers: { 'X-Bad': 'a\r\nInjected: yes' } }, 'headers'],
      [{ name: 'x', url: remote.url, headers: { 'X-Num': 5 } }, 'headers'],
      [{ name: 'x', url: remote.url, headers: ['Authorization'] }, 'headers'],
      [{ name: 'x', url: remote.url, headers: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`X-H${i}`, 'v'])) }, 'headers'],
      [{ name: 'x', url: remote.url, description: 'd'.repeat(501) }, 'description'],
      [{ name: 'x', url: remote.url, workspace_id: 'ws_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }, 'workspace_id'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(Object.keys(res.body.meta.errors), JSON.stringify(body).slice(0, 80)).toContain(field);
    }
    for (let i = 2; i <= 20; i++) await registerServer(t, a, { name: `s${i}`, url: remote.url });
    const over = await post({ name: 's21', url: remote.url });
    expect(over.status).toBe(409);
    expect(over.body.meta).toMatchObject({ limit: 20, current_usage: 20 });
    expect((await t.http().patch('/api/v1/mcp/servers/tessera').set(a.auth).set(ws(a)).send({ description: 'x' })).status).toBe(409);
    expect((await t.http().delete('/api/v1/mcp/servers/tessera').set(a.auth).set(ws(a))).status).toBe(409);
  });

  it('registers concurrently without passing the cap or a name twice', async () => {
    const a = await registerAccount(t);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => t.http().post('/api/v1/mcp/servers').set(a.auth).set(ws(a)).send({ name: `c${i % 25}`, url: remote.url })));
    expect(answers.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(answers.filter((r) => r.status === 201)).toHaveLength(20);
    const [{ count }] = await t.app.get(DataSource).query(`SELECT count(*)::int AS count FROM mcp_servers WHERE workspace_id = $1`, [a.workspace.id]);
    expect(count).toBe(20);
  });
});

describe('MCP tools [/api/v1/mcp/servers/{id}/tools, /api/v1/mcp/tools/call]', () => {
  it('asks a remote server for its tools live, then answers from the cache for a while; a changed server is asked again', async () => {
    const a = await registerAccount(t);
    const fs = await registerServer(t, a, { name: 'filesystem', url: remote.url });
    const before = remote.requests.length;
    const first = await get(a, '/servers/filesystem/tools');
    expect(first.status).toBe(200);
    expect(first.body.data.map((x: { name: string }) => x.name)).toEqual(['echo', 'hang', 'read_file']);
    expect(first.body.data.find((x: { name: string }) => x.name === 'read_file')).toEqual({
      name: 'read_file',
      title: null,
      description: 'Read contents of a file',
      input_schema: expect.objectContaining({ type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }),
      annotations: null,
      required_scopes: null,
    });
    const asked = remote.requests.length;
    expect(asked).toBeGreaterThan(before);
    expect((await get(a, `/servers/${fs.id}/tools`)).body.data).toEqual(first.body.data);
    expect(remote.requests.length).toBe(asked);
    // The list of servers shows the cached names (in the server's own order).
    expect((await get(a, '/servers/filesystem')).body.data.tools).toEqual(['read_file', 'echo', 'hang']);
    await t.http().patch(`/api/v1/mcp/servers/${fs.id}`).set(a.auth).set(ws(a)).send({ description: 'changed' });
    expect((await get(a, '/servers/filesystem')).body.data.tools).toBeNull();
    expect((await get(a, '/servers/filesystem/tools')).status).toBe(200);
    expect(remote.requests.length).toBeGreaterThan(asked);
  });

  it('calls a remote tool with the server’s stored headers; a tool error is a 200 result; every call is audited', async () => {
    const a = await registerAccount(t);
    const fs = await registerServer(t, a, { name: 'filesystem', url: remote.url, headers: { Authorization: 'Bearer remote-secret' } });
    const before = remote.requests.length;
    const res = await callTool(a, { server: 'filesystem', tool: 'read_file', arguments: { path: '/path/to/file.txt' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      server: fs.id,
      tool: 'read_file',
      result: { content: [{ type: 'text', text: 'File contents here...' }], structuredContent: { content: 'File contents here...', size: 21 } },
    });
    const sent = remote.requests.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) expect(r.headers).toMatchObject({ authorization: 'Bearer remote-secret', 'user-agent': 'Tessera-MCP-Gateway/1' });
    // initialize, notifications/initialized, tools/call: the SDK client's GET for an SSE stream is answered locally (405), holding no connection.
    expect(sent.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
    const missing = await callTool(a, { server: fs.id, tool: 'read_file', arguments: { path: '/etc/passwd' } });
    expect(missing.status).toBe(200);
    expect(missing.body.data.result).toMatchObject({ isError: true, content: [{ text: 'no such file: /etc/passwd' }] });
    const rows = await toolAuditRows(t, a.workspace.id, 2);
    expect(rows.map((r) => [r.action, r.target_id, r.metadata.tool, r.metadata.outcome])).toEqual([
      ['mcp.tool.called', fs.id, 'read_file', 'ok'],
      ['mcp.tool.called', fs.id, 'read_file', 'tool_error'],
    ]);
    // One row per call: the route adds none of its own.
    const all = await t.app.get(DataSource).query(`SELECT action FROM audit_logs WHERE workspace_id = $1 AND action LIKE 'mcp.tool%'`, [a.workspace.id]);
    expect(all).toHaveLength(2);
  });

  it('ends the session of a stateful remote server once the call is answered (DELETE with its Mcp-Session-Id)', async () => {
    const stateful = await startMcpRemote({ stateful: true });
    try {
      const a = await registerAccount(t);
      await registerServer(t, a, { name: 'stateful', url: stateful.url });
      const res = await callTool(a, { server: 'stateful', tool: 'echo', arguments: { message: 'bye' } });
      expect(res.status).toBe(200);
      expect(res.body.data.result.content[0].text).toBe('bye');
      expect(stateful.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST', 'DELETE']);
      expect(stateful.requests[3].headers['mcp-session-id']).toEqual(expect.any(String));
      expect(stateful.sessions.size).toBe(0);
    } finally {
      await stateful.close();
    }
  });

  it('replays a call with the same Idempotency-Key without calling the remote again', async () => {
    const a = await registerAccount(t);
    await registerServer(t, a, { name: 'filesystem', url: remote.url });
    const body = { server: 'filesystem', tool: 'echo', arguments: { message: 'once' } };
    const first = await callTool(a, body).set('Idempotency-Key', 'echo-once');
    expect(first.status).toBe(200);
    const calls = remote.calls.length;
    const again = await callTool(a, body).set('Idempotency-Key', 'echo-once');
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data).toEqual(first.body.data);
    expect(remote.calls.length).toBe(calls);
    expect((await callTool(a, { ...body, arguments: { message: 'twice' } }).set('Idempotency-Key', 'echo-once')).status).toBe(422);
  });

  it('the built-in server: tools with the scopes they need and the schemas /mcp shows; calls within scopes, 403 naming a missing one, 422 for bad arguments', async () => {
    const a = await registerAccount(t);
    const key = await createApiKey(t, a, { scopes: ['mcp:*', 'posts:*'] });
    const tools = await t.http().get('/api/v1/mcp/servers/tessera/tools').set(key.auth);
    expect(tools.status).toBe(200);
    const client = await mcpClient(t, key.auth);
    try {
      const viaMcp = (await client.listTools()).tools;
      for (const tool of viaMcp) {
        const listed = tools.body.data.find((x: { name: string }) => x.name === tool.name);
        expect(listed.input_schema, tool.name).toEqual(tool.inputSchema);
        expect(listed.required_scopes, tool.name).toEqual(tool._meta!['tessera/required_scopes']);
      }
    } finally {
      await client.close();
    }
    const created = await t.http().post('/api/v1/mcp/tools/call').set(key.auth).send({ server: 'tessera', tool: 'create_post', arguments: { title: 'Via the gateway' } });
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({ server: 'tessera', tool: 'create_post', result: { structuredContent: { id: expect.stringMatching(/^pst_/), title: 'Via the gateway' } } });
    const listed = await t.http().post('/api/v1/mcp/tools/call').set(key.auth).send({ server: 'tessera', tool: 'list_posts' });
    expect(listed.body.data.result.structuredContent.posts).toHaveLength(1);

    const refused = await t.http().post('/api/v1/mcp/tools/call').set(key.auth).send({ server: 'tessera', tool: 'list_webhooks', arguments: {} });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN', meta: { required_scopes: ['webhooks:read'] } });
    const bad = await t.http().post('/api/v1/mcp/tools/call').set(key.auth).send({ server: 'tessera', tool: 'create_post', arguments: { title: 7, extra: true } });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.meta.errors).sort()).toEqual(['arguments', 'arguments.title']);
    expect((await t.http().post('/api/v1/mcp/tools/call').set(key.auth).send({ server: 'tessera', tool: 'read_file', arguments: { path: '/etc/passwd' } })).status).toBe(404);
    const notFound = await t.http().post('/api/v1/mcp/tools/call').set(key.auth).send({ server: 'tessera', tool: 'get_post', arguments: { id: 'pst_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' } });
    expect(notFound.status).toBe(404);
    expect(notFound.body.message).toBe('Post not found.');
    expect((await t.http().get('/api/v1/posts').set(key.auth)).body.meta.pagination.total).toBe(1);
  });

  it('a remote that hangs is 504 GATEWAY_TIMEOUT after MCP_TIMEOUT_MS, never a hang; one that is gone or answers too much is 502', async () => {
    const a = await registerAccount(t);
    await registerServer(t, a, { name: 'slowpoke', url: remote.url });
    const hanging = await startHangingServer();
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const goneUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/mcp`;
    await new Promise((r) => gone.close(r));
    const flood: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 8 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent >= 8 * 1024 * 1024) res.end();
        else res.once('drain', pump);
      };
      res.on('error', () => undefined);
      pump();
    });
    await new Promise<void>((r) => flood.listen(0, '127.0.0.1', r));
    try {
      await registerServer(t, a, { name: 'silent', url: hanging.url });
      await registerServer(t, a, { name: 'gone', url: goneUrl });
      await registerServer(t, a, { name: 'flood', url: `http://127.0.0.1:${(flood.address() as AddressInfo).port}/mcp` });

      const hung = await callTool(a, { server: 'slowpoke', tool: 'hang' });
      expect(hung.status).toBe(504);
      expect(hung.body).toMatchObject({ success: false, code: 'GATEWAY_TIMEOUT', message: `The MCP server "slowpoke" did not answer within ${TIMEOUT_MS} ms.`, meta: { timeout_ms: TIMEOUT_MS } });
      const silent = await get(a, '/servers/silent/tools');
      expect(silent.status).toBe(504);
      expect(hanging.hits).toBeGreaterThan(0);
      const silentCall = await callTool(a, { server: 'silent', tool: 'anything', arguments: {} });
      expect(silentCall.status).toBe(504);

      const refused = await callTool(a, { server: 'gone', tool: 'echo', arguments: { message: 'hi' } });
      expect(refused.status).toBe(502);
      expect(refused.body).toMatchObject({ code: 'BAD_GATEWAY', message: expect.stringContaining('ECONNREFUSED') });
      const flooded = await get(a, '/servers/flood/tools');
      expect(flooded.status).toBe(502);
      expect(flooded.body.message).toContain('larger than');

      const rows = await toolAuditRows(t, a.workspace.id, 3);
      expect(rows.map((r) => [r.action, r.metadata.tool, r.metadata.outcome, r.metadata.error_code])).toEqual([
        ['mcp.tool.failed', 'hang', 'timeout', 'GATEWAY_TIMEOUT'],
        ['mcp.tool.failed', 'anything', 'timeout', 'GATEWAY_TIMEOUT'],
        ['mcp.tool.failed', 'echo', 'failed', 'BAD_GATEWAY'],
      ]);
      // The gateway still answers at once afterwards.
      expect((await callTool(a, { server: 'slowpoke', tool: 'echo', arguments: { message: 'still here' } })).body.data.result.content[0].text).toBe('still here');
    } finally {
      await Promise.all([hanging.close(), new Promise((r) => flood.close(r))]);
    }
  });

  it('with WEBHOOKS_ALLOW_PRIVATE_URLS off, private and loopback URLs are refused on registration (422) and at call time (502, nothing sent)', async () => {
    const a = await registerAccount(strict);
    const port = new URL(remote.url).port;
    for (const url of [remote.url, `https://127.0.0.1:${port}/mcp`, `https://localhost:${port}/mcp`, 'https://10.0.0.5/mcp', 'https://192.168.1.1/mcp', 'https://169.254.169.254/latest', 'https://[::1]/mcp', 'https://[::ffff:127.0.0.1]/mcp', 'https://0x7f.0.0.1/mcp']) {
      const res = await strict.http().post('/api/v1/mcp/servers').set(a.auth).set(ws(a)).send({ name: 'private', url });
      expect(res.status, url).toBe(422);
      expect(res.body.meta.errors.url, url).toHaveLength(1);
    }
    expect((await strict.http().post('/api/v1/mcp/servers').set(a.auth).set(ws(a)).send({ name: 'public', url: 'https://8.8.8.8/mcp' })).status).toBe(201);
    // Rows written while private URLs were allowed (the same database): the strict process refuses to connect.
    await registerServer(t, a, { name: 'by-name', url: `https://localhost:${port}/mcp` });
    await registerServer(t, a, { name: 'by-address', url: `https://127.0.0.1:${port}/mcp` });
    await registerServer(t, a, { name: 'plain-http', url: `http://localhost:${port}/mcp` });
    const before = remote.requests.length;
    const byName = await callTool(a, { server: 'by-name', tool: 'echo', arguments: { message: 'x' } }, strict);
    expect(byName.status).toBe(502);
    expect(byName.body.message).toContain('refused: localhost resolves to a non-public address');
    const byAddress = await callTool(a, { server: 'by-address', tool: 'echo', arguments: { message: 'x' } }, strict);
    expect(byAddress.status).toBe(502);
    expect(byAddress.body.message).toContain('refused: the URL is a non-public address');
    expect((await get(a, '/servers/plain-http/tools', strict)).body.message).toContain('refused: the URL is not https');
    expect((await get(a, `/resources/${encodeURIComponent('memo://notes/1')}?server=by-name`, strict)).status).toBe(502);
    expect(remote.requests.length).toBe(before);
  });
});

describe('MCP resources [GET /api/v1/mcp/resources/{uri}]', () => {
  it('reads the workspace’s records by URI, with slashes as they are or percent-encoded; a remote server’s with ?server=', async () => {
    const a = await registerAccount(t);
    const key = await createApiKey(t, a, { scopes: ['mcp:read', 'posts:read'] });
    const post = await t.http().post('/api/v1/posts').set(a.auth).set(ws(a)).send({ title: 'Readable' });
    const uri = `tessera://posts/${post.body.data.id}`;
    for (const path of [uri, encodeURIComponent(uri), `tessera:%2F%2Fposts%2F${post.body.data.id}`]) {
      const res = await t.http().get(`/api/v1/mcp/resources/${path}`).set(key.auth);
      expect(res.status, path).toBe(200);
      expect(res.body.data).toMatchObject({ server: 'tessera', uri, contents: [{ uri, mimeType: 'application/json' }] });
      expect(JSON.parse(res.body.data.contents[0].text)).toMatchObject({ id: post.body.data.id, title: 'Readable' });
    }
    const fs = await registerServer(t, a, { name: 'filesystem', url: remote.url });
    const note = await t.http().get(`/api/v1/mcp/resources/${encodeURIComponent('memo://notes/1')}?server=filesystem`).set(key.auth);
    expect(note.status).toBe(200);
    expect(note.body.data).toEqual({ server: fs.id, uri: 'memo://notes/1', contents: [{ uri: 'memo://notes/1', mimeType: 'text/plain', text: 'a remote note' }] });
    const unknownRemote = await t.http().get(`/api/v1/mcp/resources/${encodeURIComponent('memo://notes/2')}?server=filesystem`).set(key.auth);
    expect(unknownRemote.status).toBe(502);
    expect(unknownRemote.body.meta.remote.reason).toContain('not found');
  });

  it('names nothing else: the host’s files, other kinds, malformed URIs; 403 without the record’s scope; another workspace’s is 404', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const postOfB = await t.http().post('/api/v1/posts').set(b.auth).set(ws(b)).send({ title: 'B' });
    for (const path of ['file:///etc/passwd', encodeURIComponent('file:///etc/passwd'), '..%2F..%2F..%2Fetc%2Fpasswd', 'tessera://posts/..%2F..%2Fetc%2Fpasswd', 'tessera://users/usr_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', `tessera://posts/${postOfB.body.data.id}`, '%2Fetc%2Fpasswd']) {
      const res = await get(a, `/resources/${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    expect((await get(a, '/resources/%E0%A4%A')).status).toBe(400);
    expect((await get(a, `/resources/${'x'.repeat(3000)}`)).status).toBe(400);
    expect((await get(a, '/resources/tessera://posts/x%00y')).status).toBe(404);
    expect((await get(a, '/resources/tessera://posts/x?server=nope')).status).toBe(404);
    expect((await get(a, '/resources/tessera://posts/x?other=1')).status).toBe(400);
    const narrow = await createApiKey(t, a, { scopes: ['mcp:read'] });
    const post = await t.http().post('/api/v1/posts').set(a.auth).set(ws(a)).send({ title: 'A' });
    const refused = await t.http().get(`/api/v1/mcp/resources/tessera://posts/${post.body.data.id}`).set(narrow.auth);
    expect(refused.status).toBe(403);
    expect(refused.body.meta.required_scopes).toEqual(['posts:read']);
  });
});

describe('MCP gateway: the attacker’s view', () => {
  let owner: Account;
  let serverId: string;
  let postId: string;
  beforeAll(async () => {
    owner = await registerAccount(t, { tier: 'pro' });
    serverId = (await registerServer(t, owner, { name: 'filesystem', url: remote.url, headers: { Authorization: 'Bearer owner-only' } })).id;
    postId = (await t.http().post('/api/v1/posts').set(owner.auth).set(ws(owner)).send({ title: 'owned' })).body.data.id;
  });

  const routes = () => [
    { method: 'get', path: '/api/v1/mcp/servers', scope: 'mcp:read' },
    { method: 'post', path: '/api/v1/mcp/servers', scope: 'mcp:write', body: { name: 'evil', url: remote.url } },
    { method: 'get', path: `/api/v1/mcp/servers/${serverId}`, scope: 'mcp:read' },
    { method: 'patch', path: `/api/v1/mcp/servers/${serverId}`, scope: 'mcp:write', body: { url: remote.url } },
    { method: 'delete', path: `/api/v1/mcp/servers/${serverId}`, scope: 'mcp:delete' },
    { method: 'get', path: `/api/v1/mcp/servers/${serverId}/tools`, scope: 'mcp:read' },
    { method: 'post', path: '/api/v1/mcp/tools/call', scope: 'mcp:write', body: { server: serverId, tool: 'echo', arguments: { message: 'x' } } },
    { method: 'get', path: `/api/v1/mcp/resources/tessera://posts/${postId}`, scope: 'mcp:read' },
  ] as Array<{ method: 'get' | 'post' | 'patch' | 'delete'; path: string; scope: string; body?: object }>;

  it('a member of another workspace gets 404 on every route naming this workspace, and never reaches its server', async () => {
    const outsider = await registerAccount(t);
    const before = remote.requests.length;
    for (const r of routes()) {
      const res = await t.http()[r.method](r.path).set(outsider.auth).set(ws(owner)).send(r.body);
      expect(res.status, `${r.method} ${r.path}`).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    // In their own workspace, this workspace's server and records do not exist.
    for (const r of routes().filter((x) => x.path.includes(serverId) || x.path.includes(postId) || x.path.endsWith('/call'))) {
      const res = await t.http()[r.method](r.path).set(outsider.auth).set(ws(outsider)).send(r.body);
      expect(res.status, `${r.method} ${r.path}`).toBe(404);
    }
    expect(remote.requests.length).toBe(before);
    expect((await get(owner, `/servers/${serverId}`)).status).toBe(200);
  });

  it('a narrower credential gets 403 naming the missing scope on every route', async () => {
    const key = await createApiKey(t, owner, { scopes: ['posts:read', 'seo:read'] });
    for (const r of routes()) {
      const res = await t.http()[r.method](r.path).set(key.auth).send(r.body);
      expect(res.status, `${r.method} ${r.path}`).toBe(403);
      expect(res.body.meta.required_scopes).toEqual([r.scope]);
    }
    const readOnly = await createApiKey(t, owner, { scopes: ['mcp:read'] });
    for (const r of routes().filter((x) => x.scope !== 'mcp:read')) {
      const res = await t.http()[r.method](r.path).set(readOnly.auth).send(r.body);
      expect(res.status, `${r.method} ${r.path}`).toBe(403);
    }
    expect((await get(owner, `/servers/${serverId}`)).status).toBe(200);
  });

  it('a viewer cannot go past their role: no registering, changing, deleting or calling, whatever their credential says', async () => {
    const viewer = await addMember(t, owner, owner.workspace.id, 'viewer');
    expect((await t.http().get('/api/v1/mcp/servers').set(viewer.auth).set(ws(owner))).status).toBe(200);
    for (const r of routes().filter((x) => x.scope !== 'mcp:read')) {
      const res = await t.http()[r.method](r.path).set(viewer.auth).set(ws(owner)).send(r.body);
      expect(res.status, `${r.method} ${r.path}`).toBe(403);
      expect(res.body.meta.required_scopes).toEqual([r.scope]);
    }
    // A member may call tools (mcp:*), but not past their role through the built-in server.
    const member = await addMember(t, owner, owner.workspace.id, 'member');
    const call = await t.http().post('/api/v1/mcp/tools/call').set(member.auth).set(ws(owner)).send({ server: 'tessera', tool: 'retry_delivery', arguments: { webhook_id: 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', delivery_id: 'dlv_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' } });
    expect(call.status).toBe(403);
    expect(call.body.meta.required_scopes).toEqual(['webhooks:write']);
  });

  it('hostile input is a 4xx in the envelope, never a 5xx', async () => {
    const cases: Array<[string, Record<string, unknown>, number]> = [
      ['server', { server: 'tes\u0000sera', tool: 'list_posts' }, 422],
      ['tool', { server: 'tessera', tool: 'x'.repeat(10_000) }, 422],
      ['server', { server: 12, tool: 'list_posts' }, 422],
      ['arguments', { server: 'tessera', tool: 'list_posts', arguments: [1, 2] }, 422],
      ['arguments', { server: 'tessera', tool: 'list_posts', arguments: 'x' }, 422],
      ['arguments.limit', { server: 'tessera', tool: 'list_posts', arguments: { limit: 1e12 } }, 422],
      ['arguments.cursor', { server: 'tessera', tool: 'list_posts', arguments: { cursor: 'c'.repeat(5000) } }, 422],
      ['tool', { server: 'tessera' }, 422],
    ];
    for (const [field, body, status] of cases) {
      const res = await callTool(owner, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(Object.keys(res.body.meta.errors)).toContain(field);
    }
    for (const server of ['mcp_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', 'no-such', '../etc', 'TESSERA']) {
      expect((await callTool(owner, { server, tool: 'echo' })).status, server).toBe(404);
    }
    const bigArguments = await callTool(owner, { server: serverId, tool: 'echo', arguments: { message: 'y'.repeat(900_000) } });
    expect(bigArguments.status).toBe(200);
    expect(bigArguments.body.data.result.content[0].text).toHaveLength(900_000);
    expect((await t.http().post('/api/v1/mcp/tools/call').set(owner.auth).set(ws(owner)).set('Content-Type', 'application/json').send('{"server":')).status).toBe(400);
    for (const ref of ['x'.repeat(300), '%00', 'mcp_%2F..']) expect((await get(owner, `/servers/${ref}`)).status, ref).toBe(404);
    expect((await get(owner, '/servers?sort=secret')).status).toBe(400);
    expect((await get(owner, '/servers/tessera/tools?per_page=1000')).status).toBe(400);
  });

  it('answers a burst of 60 concurrent requests, more than the connection pool: every one, no 5xx', async () => {
    const key = await createApiKey(t, owner, { scopes: ['*'] });
    const requests = Array.from({ length: 60 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return t.http().get('/api/v1/mcp/servers').set(key.auth);
        case 1:
          return t.http().post('/api/v1/mcp/tools/call').set(key.auth).send({ server: 'tessera', tool: 'list_posts', arguments: { limit: 5 } });
        case 2:
          return t.http().get(`/api/v1/mcp/resources/tessera://posts/${postId}`).set(key.auth);
        default:
          return t.http().post('/api/v1/mcp/tools/call').set(key.auth).send({ server: 'filesystem', tool: 'echo', arguments: { message: `m${i}` } });
      }
    });
    const answers = await Promise.all(requests);
    expect(answers.map((r) => r.status)).toEqual(Array(60).fill(200));
  });
});
