import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, addMember, registerAccount } from '../factories/accounts';
import { McpServersRepository } from '../../src/modules/mcp/mcp-servers.repository';
import { registerServer } from '../factories/mcp';
import { startTestApp, TestApp } from '../utils/app';
import { startMcpRemote } from '../utils/mcp-remote';

// The adversarial review of the MCP tool-list bounds, the fail-closed budgets and the review10
// fixes: each test reproduces what the reviewer broke, and passes since it was fixed.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const ws = (a: Account) => ({ 'X-Workspace-ID': a.workspace.id });

/** A remote MCP server (plain HTTP, stateless JSON) whose tools/list holds these tool names. */
async function startLister(names: string[]) {
  const http = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const message = JSON.parse(text) as { id?: number; method: string; params?: { protocolVersion?: string } };
      if (message.id === undefined) return void res.writeHead(202).end();
      const result =
        message.method === 'initialize'
          ? { protocolVersion: message.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'lister', version: '1' } }
          : { tools: names.map((name) => ({ name, description: name, inputSchema: { type: 'object' } })) };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

describe('Review 12, finding 1: a cached tool list belongs to the URL and headers it was asked with, not to a millisecond', () => {
  it('a url change in the same millisecond as the change before it lists the new server’s tools, not the old one’s [GET /mcp/servers/{id}/tools]', async () => {
    const [first, second] = await Promise.all([startMcpRemote(), startLister(['second_only'])]);
    try {
      const a = await registerAccount(t);
      const server = await registerServer(t, a, { name: 'moving', url: first.url });
      const db = t.app.get(DataSource);
      const [{ at }] = await db.query(`SELECT updated_at AS at FROM mcp_servers WHERE id = $1`, [server.id]);
      const listed = await t.http().get(`/api/v1/mcp/servers/${server.id}/tools`).set(a.auth).set(ws(a));
      expect(listed.body.data.map((tool: { name: string }) => tool.name)).toContain('echo');

      const moved = await t.http().patch(`/api/v1/mcp/servers/${server.id}`).set(a.auth).set(ws(a)).send({ url: second.url });
      expect(moved.status).toBe(200);
      // The PATCH stamped in the same millisecond as the registration (two requests, or two API
      // processes, within 1 ms: updated_at is the API's clock, in milliseconds).
      await db.query(`UPDATE mcp_servers SET updated_at = $2 WHERE id = $1`, [server.id, at]);

      const relisted = await t.http().get(`/api/v1/mcp/servers/${server.id}/tools`).set(a.auth).set(ws(a));
      expect(relisted.status).toBe(200);
      expect(relisted.body.data.map((tool: { name: string }) => tool.name)).toEqual(['second_only']);
      const shown = await t.http().get(`/api/v1/mcp/servers/${server.id}`).set(a.auth).set(ws(a));
      expect(shown.body.data.tools).toEqual(['second_only']);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe('Review 12, finding 3: a url change racing a change of headers', () => {
  it('a member’s move to another origin that an owner’s new headers overtook is 409, and the credential stays with the real server [PATCH /mcp/servers/{id}]', async () => {
    const real = await startMcpRemote();
    const evil = await startMcpRemote();
    const repo = t.app.get(McpServersRepository);
    const write = repo.update;
    try {
      const owner = await registerAccount(t);
      const member = await addMember(t, owner, owner.workspace.id, 'member');
      const server = await registerServer(t, owner, { name: 'real', url: real.url });
      // The owner's PATCH of headers lands between the member's read (no headers yet, so moving
      // the url needs none) and the member's write.
      repo.update = async function (this: McpServersRepository, ...args: Parameters<McpServersRepository['update']>) {
        repo.update = write;
        const headers = await t.http().patch(`/api/v1/mcp/servers/${server.id}`).set(owner.auth).set(ws(owner)).send({ headers: { Authorization: 'Bearer owner-secret' } });
        expect(headers.status).toBe(200);
        return write.apply(this, args);
      };
      const moved = await t.http().patch(`/api/v1/mcp/servers/${server.id}`).set(member.auth).set(ws(owner)).send({ url: evil.url });
      expect(moved.status).toBe(409);
      expect(moved.body).toMatchObject({ success: false, code: 'CONFLICT' });
      const now = await t.http().get(`/api/v1/mcp/servers/${server.id}`).set(owner.auth).set(ws(owner));
      expect(now.body.data).toMatchObject({ url: real.url, header_names: ['Authorization'] });
      const call = await t.http().post('/api/v1/mcp/tools/call').set(member.auth).set(ws(owner)).send({ server: 'real', tool: 'echo', arguments: { message: 'x' } });
      expect(call.status).toBe(200);
      expect(evil.requests).toHaveLength(0);
    } finally {
      repo.update = write;
      await real.close();
      await evil.close();
    }
  });
});
