// npm run bench:mcp — what MCP costs on top of the REST route it wraps, on both HTTP platforms, in
// one run: autocannon (50 connections, a child process) against an API process (this one) on
// loopback, for (a) GET /api/v1/posts?limit=25 (REST, cursor mode), (b) the same list as the
// list_posts tool through POST /mcp (stateless: a new McpServer and transport per request), (c) the
// same tool through the gateway (POST /api/v1/mcp/tools/call, server "tessera"), and (d) a remote
// MCP server's echo tool through the gateway (a session per call: initialize, notification, tools/call
// and the client's GET probe), against (e) that remote server called directly with one stateless POST.
//
// BENCH_SECONDS (default 10) per run, after a warm-up of half as long; BENCH_ADAPTERS=express,fastify.
// The API runs with NODE_ENV=development and WEBHOOKS_ALLOW_PRIVATE_URLS=true so that it may call a
// remote server on loopback.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, startApi, startServices } from './bench-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { z } = require('zod');

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const ADAPTERS = (process.env.BENCH_ADAPTERS ?? 'express,fastify').split(',');
const CONNECTIONS = 50;
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** One autocannon run in its own process: requests per second, p99, and how many answers were not 2xx. */
function load(url, { method = 'GET', headers = {}, body, seconds = DURATION } = {}) {
  const args = [join(root, 'node_modules/autocannon/autocannon.js'), '-c', String(CONNECTIONS), '-d', String(seconds), '-j', '-m', method];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  if (body !== undefined) args.push('-b', JSON.stringify(body));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...args, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', () => {
      try {
        const r = JSON.parse(out);
        done({ rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx ?? 0 });
      } catch {
        fail(new Error(`autocannon ${url} gave no result`));
      }
    });
  });
}

async function measure(url, options) {
  await load(url, { ...options, seconds: Math.max(1, Math.round(DURATION / 2)) });
  return load(url, options);
}

/** The remote server: the SDK's stateless Streamable HTTP server with an echo tool. */
async function startRemote() {
  const http = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const server = new McpServer({ name: 'bench-remote', version: '1' });
      server.registerTool('echo', { inputSchema: { message: z.string() } }, ({ message }) => ({ content: [{ type: 'text', text: message }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => void server.close());
      await server.connect(transport);
      const text = Buffer.concat(chunks).toString('utf8');
      await transport.handleRequest(req, res, text ? JSON.parse(text) : undefined);
    });
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${http.address().port}/mcp`, close: () => new Promise((r) => (http.closeAllConnections(), http.close(r))) };
}

const services = await startServices();
const remote = await startRemote();
const rows = [];
try {
  for (const adapter of ADAPTERS) {
    const { app, base } = await startApi(services, adapter, { NODE_ENV: 'development', WEBHOOKS_ALLOW_PRIVATE_URLS: 'true', RATE_LIMIT_ENABLED: 'false' });
    const reg = await api(base, 'POST', '/auth/register', { name: 'Bench', email: `bench-mcp-${adapter}-${Date.now()}@example.test`, password: 'bench password' });
    const auth = { authorization: `Bearer ${reg.access_token}`, 'x-workspace-id': reg.workspace.id };
    // The enterprise tier, as bench:api does: neither the rate limit nor the monthly API calls are what is measured.
    await api(base, 'PATCH', `/workspaces/${reg.workspace.id}`, { tier: 'enterprise' }, { authorization: auth.authorization });
    const key = (await api(base, 'POST', '/api-keys', { name: 'bench', scopes: ['mcp:*', 'posts:read'] }, auth)).key;
    for (let i = 0; i < 25; i++) await api(base, 'POST', '/posts', { title: `Post ${i}`, body: 'Lorem ipsum dolor sit amet, '.repeat(8) }, auth);
    await api(base, 'POST', '/mcp/servers', { name: 'remote', url: remote.url }, auth);
    const withKey = { authorization: `Bearer ${key}` };
    const listPosts = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_posts', arguments: { limit: 25 } } };
    const echo = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hello' } } };
    const row = { adapter };
    log(`${adapter}: REST GET /api/v1/posts?limit=25`);
    row.rest = await measure(`${base}/api/v1/posts?limit=25`, { headers: withKey });
    log(`${adapter}: POST /mcp tools/call list_posts`);
    row.mcp = await measure(`${base}/mcp`, { method: 'POST', headers: { ...withKey, ...MCP_HEADERS }, body: listPosts });
    log(`${adapter}: gateway, tessera list_posts`);
    row.gateway = await measure(`${base}/api/v1/mcp/tools/call`, { method: 'POST', headers: { ...withKey, 'content-type': 'application/json' }, body: { server: 'tessera', tool: 'list_posts', arguments: { limit: 25 } } });
    log(`${adapter}: gateway, remote echo`);
    row.remote = await measure(`${base}/api/v1/mcp/tools/call`, { method: 'POST', headers: { ...withKey, 'content-type': 'application/json' }, body: { server: 'remote', tool: 'echo', arguments: { message: 'hello' } } });
    await app.close();
    log(`${adapter}: the remote server directly`);
    row.direct = await measure(remote.url, { method: 'POST', headers: MCP_HEADERS, body: echo });
    rows.push(row);
  }
  const fmt = (r) => `${Math.round(r.rps).toLocaleString('en-US')} (p99 ${r.p99} ms${r.non2xx ? `, ${r.non2xx} non-2xx` : ''})`;
  console.log(`\nbench:mcp — ${CONNECTIONS} connections, ${DURATION} s per run, API and remote server in one process, autocannon in another; requests/s\n`);
  console.log('| adapter | REST list (a) | /mcp list_posts (b) | b / a | gateway, tessera list_posts (c) | c / a | gateway, remote echo (d) | remote direct (e) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.adapter} | ${fmt(r.rest)} | ${fmt(r.mcp)} | ${(r.mcp.rps / r.rest.rps).toFixed(2)} | ${fmt(r.gateway)} | ${(r.gateway.rps / r.rest.rps).toFixed(2)} | ${fmt(r.remote)} | ${fmt(r.direct)} |`);
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await remote.close();
  await services.stop();
}
