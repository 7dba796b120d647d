import { INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Account, addMember, eventually, registerAccount } from '../factories/accounts';
import { registerServer } from '../factories/mcp';
import { PixelIngest } from '../../src/modules/pixel/pixel-ingest';
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

/** A workspace with its pixel on a fresh domain; returns its key. */
async function pixelKey(a: Account): Promise<string> {
  const res = await t.http().patch('/api/v1/pixel/settings').set(a.auth).set(ws(a)).send({ domains: [`r10-${randomBytes(5).toString('hex')}.example`] });
  expect(res.status).toBe(200);
  return res.body.data.key;
}

/** The `n` property of every stored event of these workspaces. */
async function storedMarks(workspaceIds: string[]): Promise<string[]> {
  const rows: Array<{ n: string }> = await t.app.get(DataSource).query(`SELECT properties->>'n' AS n FROM pixel_events WHERE workspace_id = ANY($1) ORDER BY 1`, [workspaceIds]);
  return rows.map((r) => r.n);
}

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

describe('Review 10, finding 2: text PostgreSQL cannot store is refused at the door (an unpaired surrogate, like NUL)', () => {
  // JSON may escape half of a surrogate pair ("\ud800"): JSON.parse makes it a string that
  // JSON.stringify writes back as the same escape, which jsonb refuses.
  const loneSurrogate = '\\ud800';

  it('a pixel event whose properties hold one is 422, and every event answered {tracked: true} is stored, its batch’s other workspaces’ included [POST /pixel/track]', async () => {
    const [victim, attacker] = await Promise.all([registerAccount(t), registerAccount(t)]);
    const [victimKey, attackerKey] = await Promise.all([pixelKey(victim), pixelKey(attacker)]);
    const send = (key: string, n: string) => t.http().post('/api/v1/pixel/track').send({ key, event: 'pageview', url: 'https://r10.example/', properties: { n } });
    // Both pixels' settings cached first, so that the events below go through at the same pace.
    expect((await Promise.all([send(victimKey, 'warm'), send(attackerKey, 'warm')])).map((r) => r.body.data.tracked)).toEqual([true, true]);
    // Sent together, as a busy page's visitors would: the API may queue events of both workspaces in one job.
    const hostile = `{"key":"${attackerKey}","event":"pageview","url":"https://r10.example/","properties":{"n":"hostile ${loneSurrogate}"}}`;
    const marks = Array.from({ length: 60 }, (_, i) => (i % 20 === 10 ? 'hostile' : `v${String(i).padStart(2, '0')}`));
    const answers = await Promise.all(
      marks.map((mark) => (mark === 'hostile' ? t.http().post('/api/v1/pixel/track').set('Content-Type', 'application/json').send(hostile) : send(victimKey, mark))),
    );
    const accepted = marks.filter((_, i) => answers[i].status === 200 && answers[i].body.data.tracked === true);
    // Accepted = stored: whatever was answered {tracked: true} is in PostgreSQL moments later.
    const stored = async () => (await storedMarks([victim.workspace.id, attacker.workspace.id])).filter((m) => m !== 'warm').map((m) => (m.startsWith('hostile') ? 'hostile' : m));
    await eventually(async () => (await stored()).length >= accepted.length, 8_000);
    expect(await stored()).toEqual(accepted.sort());
    expect(answers.filter((_, i) => marks[i] === 'hostile').map((r) => [r.status, r.body.meta?.errors])).toEqual(
      Array(3).fill([422, { 'properties.n': [expect.stringMatching(/unpaired surrogate/)] }]),
    );
    expect(accepted).toHaveLength(57);
  });

  it('an SEO report whose url holds one is 422, not 500 [POST /seo/report]', async () => {
    const a = await registerAccount(t);
    const body = `{"url":"https://example.com/${loneSurrogate}","scores":{"performance":1,"accessibility":1,"best_practices":1,"seo":1},"issues":[{"type":"x","severity":"info"}]}`;
    const res = await t.http().post('/api/v1/seo/report').set(a.auth).set(ws(a)).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(422);
    expect(res.body.meta.errors).toEqual({ url: [expect.stringMatching(/unpaired surrogate/)] });
    // A pair (an emoji) is text like any other.
    const pair = body.replace(loneSurrogate, '\\ud83d\\ude00');
    expect((await t.http().post('/api/v1/seo/report').set(a.auth).set(ws(a)).set('Content-Type', 'application/json').send(pair)).status).toBe(201);
  });
});

describe('Review 10, finding 3: one event PostgreSQL refuses no longer fails the other events of its batch', () => {
  it('a job holding events of two workspaces and one event jsonb refuses stores every other event, and completes [worker: store-pixel-events]', async () => {
    const [victim, other] = await Promise.all([registerAccount(t), registerAccount(t)]);
    const ingest = t.app.get(PixelIngest);
    const event = (workspaceId: string, n: string, properties: Record<string, unknown> = { n }) => ({
      workspaceId, event: 'pageview', url: 'https://r10.example/', referrer: null, referrerHost: null, userAgent: null, sessionId: null, properties, occurredAt: new Date().toISOString(),
    });
    // Accepted in one turn of the event loop, as a busy API process accepts them: one job. The odd
    // one stands for whatever the request path lets through that PostgreSQL then refuses (finding
    // 2 was one such thing).
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => ingest.accept(event(victim.workspace.id, `v${i}`))),
      ingest.accept(event(other.workspace.id, 'odd', { n: 'odd', text: 'half a pair: \ud800' })),
      ...Array.from({ length: 10 }, (_, i) => ingest.accept(event(other.workspace.id, `o${i}`))),
    ]);
    const expected = [...Array.from({ length: 10 }, (_, i) => `o${i}`), ...Array.from({ length: 10 }, (_, i) => `v${i}`)];
    await eventually(async () => (await storedMarks([victim.workspace.id, other.workspace.id])).length >= 20, 8_000);
    expect(await storedMarks([victim.workspace.id, other.workspace.id])).toEqual(expected);
    // Its job completed: nothing of it waits for a retry or lies failed in Redis.
    const queue = new Queue('pixel', { connection: { url: inject('redisUrl') }, prefix: 'tessera' });
    try {
      const left = [...(await queue.getDelayed()), ...(await queue.getFailed()), ...(await queue.getWaiting())];
      expect(left.filter((j) => JSON.stringify(j.data).includes(other.workspace.id))).toEqual([]);
    } finally {
      await queue.close();
    }
  });
});

/**
 * A remote MCP server (plain HTTP, stateless JSON) listing `pages` pages (endless when null) of
 * `perPage` tools whose descriptions are `descriptionBytes` long; counts the tools/list calls.
 */
async function startToolsServer(opts: { perPage: number; descriptionBytes: number; pages: number | null }) {
  const description = 'x'.repeat(opts.descriptionBytes);
  let lists = 0;
  const http = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const message = JSON.parse(text) as { id?: number; method: string; params?: { protocolVersion?: string; cursor?: string } };
      if (message.id === undefined) return void res.writeHead(202).end();
      const page = Number(message.params?.cursor ?? 0);
      if (message.method === 'tools/list' && page === 0) lists++;
      const last = opts.pages !== null && page + 1 >= opts.pages;
      const result =
        message.method === 'initialize'
          ? { protocolVersion: message.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'lister', version: '1' } }
          : {
              tools: Array.from({ length: opts.perPage }, (_, i) => ({ name: `tool_${page * opts.perPage + i}`, description, inputSchema: { type: 'object' } })),
              ...(last ? {} : { nextCursor: String(page + 1) }),
            };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    lists: () => lists,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

describe('Review 10, finding 4: a remote server’s tool list is bounded, in the answer and in Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis.disconnect());
  const listTools = (a: Account, id: string) => t.http().get(`/api/v1/mcp/servers/${id}/tools?limit=100`).set(a.auth).set(ws(a));
  const cachedKeys = (id: string) => redis.keys(`tessera:mcp:tools:${id}*`);

  it('an endless list of 300 KB pages stops at 1 MiB of tools, and a list that large is not kept in Redis [GET /mcp/servers/{id}/tools]', async () => {
    const remote = await startToolsServer({ perPage: 3, descriptionBytes: 100_000, pages: null });
    try {
      const a = await registerAccount(t);
      const server = await registerServer(t, a, { name: 'endless', url: remote.url });
      const res = await listTools(a, server.id);
      expect(res.status).toBe(200);
      // Ten tools of ~100 KB fit in 1 MiB, the eleventh does not: the list stops there (page 4 of ∞).
      expect(res.body.data.map((tool: { name: string }) => tool.name)).toEqual(Array.from({ length: 10 }, (_, i) => `tool_${i}`));
      expect(await cachedKeys(server.id)).toEqual([]);
      expect((await listTools(a, server.id)).status).toBe(200);
      expect(remote.lists()).toBe(2);
    } finally {
      await remote.close();
    }
  });

  it('Redis holds one list per server however often it changes, and a change asks the server afresh [GET /mcp/servers/{id}/tools]', async () => {
    const remote = await startToolsServer({ perPage: 3, descriptionBytes: 100, pages: 1 });
    try {
      const a = await registerAccount(t);
      const server = await registerServer(t, a, { name: 'small', url: remote.url });
      for (let round = 0; round < 3; round++) {
        const res = await listTools(a, server.id);
        expect(res.status).toBe(200);
        expect(res.body.data).toHaveLength(3);
        expect(await cachedKeys(server.id)).toHaveLength(1);
        // Kept: a second listing does not ask the server.
        expect((await listTools(a, server.id)).status).toBe(200);
        expect(remote.lists()).toBe(round + 1);
        const patched = await t.http().patch(`/api/v1/mcp/servers/${server.id}`).set(a.auth).set(ws(a)).send({ description: `round ${round}` });
        expect(patched.status).toBe(200);
      }
    } finally {
      await remote.close();
    }
  });
});
