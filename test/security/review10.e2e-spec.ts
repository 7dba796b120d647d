import { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, addMember, registerAccount } from '../factories/accounts';
import { registerServer } from '../factories/mcp';
import { startTestApp, startTestWorker, TestApp } from '../utils/app';
import { startMcpRemote } from '../utils/mcp-remote';

// The adversarial review of issue 10 (SEO reports, pixel tracking, the MCP server and gateway):
// each test reproduces what the reviewer broke, and passes since it was fixed.

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

describe('Review 10, finding 1: a registered MCP server’s sealed headers go only to the origin they were set for', () => {
  it('a member who moves the server to their own URL without giving headers is 422, and the owner’s credential never reaches it [PATCH /mcp/servers/{id}]', async () => {
    const [real, attacker] = await Promise.all([startMcpRemote(), startMcpRemote()]);
    try {
      const owner = await registerAccount(t);
      const server = await registerServer(t, owner, { name: 'crm', url: real.url, headers: { Authorization: 'Bearer owner-secret' } });
      // Members hold mcp:write (API.md): they may use and change servers, not read their credentials.
      const member = await addMember(t, owner, owner.workspace.id, 'member');
      const patch = (body: Record<string, unknown>) => t.http().patch(`/api/v1/mcp/servers/${server.id}`).set(member.auth).set(ws(owner)).send(body);

      const moved = await patch({ url: attacker.url });
      expect(moved.status).toBe(422);
      expect(moved.body.meta.errors.headers).toEqual([expect.stringMatching(/another origin/)]);
      const call = await t.http().post('/api/v1/mcp/tools/call').set(member.auth).set(ws(owner)).send({ server: 'crm', tool: 'echo', arguments: { message: 'hi' } });
      expect(call.status).toBe(200);
      expect(attacker.requests).toEqual([]);
      expect(real.requests.map((r) => r.headers.authorization)).toContain('Bearer owner-secret');

      // Moved with headers of its own (none, here), the server goes to the new origin with those only.
      const rehomed = await patch({ url: attacker.url, headers: {} });
      expect(rehomed.status).toBe(200);
      expect(rehomed.body.data.header_names).toEqual([]);
      expect((await t.http().post('/api/v1/mcp/tools/call').set(member.auth).set(ws(owner)).send({ server: 'crm', tool: 'echo', arguments: { message: 'hi' } })).status).toBe(200);
      expect(attacker.requests.length).toBeGreaterThan(0);
      expect(attacker.requests.map((r) => r.headers.authorization)).toEqual(attacker.requests.map(() => undefined));

      // Another path on the same origin keeps the headers (the same server's operator).
      const other = await registerServer(t, owner, { name: 'crm2', url: real.url, headers: { Authorization: 'Bearer owner-secret' } });
      const samePlace = await t.http().patch(`/api/v1/mcp/servers/${other.id}`).set(owner.auth).set(ws(owner)).send({ url: real.url.replace(/\/mcp$/, '/mcp/') });
      expect(samePlace.status).toBe(200);
      expect(samePlace.body.data.header_names).toEqual(['Authorization']);
    } finally {
      await Promise.all([real.close(), attacker.close()]);
    }
  });
});
