import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

// The adversarial review of the webhooks (issue 8) and hot path (issue 9) change: each test
// reproduces what the reviewer broke, and passes since it was fixed.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

/** Sends one raw HTTP/1.1 request (so the request target may be in absolute form) and returns the status and body. */
function raw(target: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, text: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    const lines = [`GET ${target} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''];
    socket.write(lines.join('\r\n'));
  });
}

describe('Review finding 1: the queues dashboard gate judged the raw request target, so an absolute-form target reached bull-board unauthenticated', () => {
  it('an absolute-form or otherwise odd request target to /admin/queues is 404 without a credential, never the dashboard [GET /admin/queues]', async () => {
    const owner = await registerAccount(t);
    const { host } = new URL(t.url);
    const targets = [
      `http://${host}/admin/queues/api/queues`,
      `http://${host}/admin/queues`,
      `HTTP://${host}//Admin/Queues/api/queues`,
      `http://${host}/admin/queues/api/redis/stats`,
      `/admin/queues/api/queues`,
      `/admin/queues/./api/queues`,
      `/x/../admin/queues/api/queues`,
      `http:/admin/queues/api/queues`,
      `http:\\\\${host}/admin/queues/api/queues`,
      `http:${host}/admin/queues/api/queues`,
      `foo://${host}/admin/queues/api/queues`,
      `HtTp://user@${host}/admin/queues/api/queues`,
    ];
    for (const target of targets) {
      for (const headers of [{}, owner.auth]) {
        const res = await raw(target, headers);
        expect(res.status, `${target} ${JSON.stringify(headers).slice(0, 20)}`).not.toBe(200);
        expect(res.text, target).not.toMatch(/maintenance|metering|redisStats|"queues"/i);
      }
    }
  });
});

describe('Review finding 2: the hand-written posts list bound cursor values unchecked, so a forged cursor was a 500', () => {
  it('a cursor whose values are not of the sort keys’ types is 400 in the envelope, never 500 [GET /posts]', async () => {
    const owner = await registerAccount(t);
    const ws = { 'X-Workspace-ID': owner.workspace.id };
    for (let i = 0; i < 2; i++) await t.http().post('/api/v1/posts').set(owner.auth).set(ws).send({ title: `p${i}`, body: 'b' });
    const cursor = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
    const cases: Array<[string, unknown[]]> = [
      ['created_at', ['not a date', 'pst_x']],
      ['-created_at', [12, 'pst_x']],
      ['updated_at', ['2026-13-45T99:00:00Z', 'pst_x']],
      ['title', ['a\u0000b', 'pst_x']],
      ['created_at,title', ['2026-01-01T00:00:00.000Z', 'x', 'pst_\u0000']],
      ['-created_at,title', ['99999-01-01', 'x', 'pst_x']],
    ];
    for (const [sort, values] of cases) {
      const res = await t.http().get('/api/v1/posts').query({ sort, cursor: cursor(values) }).set(owner.auth).set(ws);
      expect(res.status, `${sort} ${JSON.stringify(values)}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body).toMatchObject({ success: false, status: 400 });
    }
    // A cursor the list issued still pages.
    const first = await t.http().get('/api/v1/posts').query({ sort: '-created_at', limit: 1 }).set(owner.auth).set(ws);
    const next = await t.http().get('/api/v1/posts').query({ sort: '-created_at', limit: 1, cursor: first.body.pagination?.next_cursor ?? first.body.meta?.pagination?.next_cursor }).set(owner.auth).set(ws);
    expect(next.status).toBe(200);
  });
});

describe('Review finding 3: the per-account limit on wrong current passwords was checked before and counted after the hash, so a concurrent burst got every guess checked', () => {
  it('of 30 concurrent current-password checks (half of them right), at most 10 are made; the rest are 429 [PATCH /me]', async () => {
    const victim = await registerAccount(t);
    const limited = await startTestApp({ RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'true' });
    try {
      const guesses = Array.from({ length: 30 }, (_, i) =>
        limited
          .http()
          .patch('/api/v1/me')
          .set(victim.auth)
          .set('X-Forwarded-For', `198.51.100.${1 + i}`)
          .send({ email: `thief-${randomBytes(4).toString('hex')}@example.test`, current_password: i % 2 ? victim.password : `guess number ${i}` }),
      );
      const statuses = (await Promise.all(guesses)).map((r) => r.status);
      const checked = statuses.filter((s) => s === 422 || s === 200).length;
      expect(statuses.every((s) => [200, 422, 429].includes(s)), statuses.join(',')).toBe(true);
      expect(checked, statuses.join(',')).toBeLessThanOrEqual(10);
    } finally {
      await limited.close();
    }
  });
});

describe('Review finding 4: inbound refusals were counted per client address alone, so one tenant could get every tenant’s callbacks from a shared provider address refused', () => {
  it('past 30 refused callbacks from a provider address (to an unknown source and to the attacker’s own), another tenant’s signed callback from that address is still accepted [POST /inbound/{source_id}]', async () => {
    const attacker = await registerAccount(t);
    const victim = await registerAccount(t);
    const create = async (a: typeof attacker) => {
      const res = await t.http().post('/api/v1/webhooks/inbound-sources').set(a.auth).set('X-Workspace-ID', a.workspace.id).send({ name: `src-${randomBytes(4).toString('hex')}`, scheme: 'standard-webhooks' });
      expect(res.status).toBe(201);
      return { id: res.body.data.id as string, secret: res.body.data.secret as string };
    };
    const own = await create(attacker);
    const target = await create(victim);
    const limited = await startTestApp({ RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'true' });
    try {
      // The provider's shared egress address, as both tenants' callbacks come from it.
      const provider = { 'X-Forwarded-For': `192.0.2.${1 + Math.floor(Math.random() * 250)}` };
      const at = Math.floor(Date.now() / 1000);
      const forged = (i: number) => ({ ...provider, 'content-type': 'application/json', 'webhook-id': `bad_${i}`, 'webhook-timestamp': String(at), 'webhook-signature': 'v1,Zm9yZ2Vk' });
      const refused: number[] = [];
      for (let i = 0; i < 70; i++) {
        refused.push((await limited.http().post(`/api/v1/inbound/${i % 2 ? own.id : 'src_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8'}`).set(forged(i)).send('{}')).status);
      }
      expect(refused).toContain(429); // the attacker's own refusals are limited
      const body = '{"ok":true}';
      const msg = `msg_${randomBytes(6).toString('hex')}`;
      const signature = new Webhook(target.secret).sign(msg, new Date(at * 1000), body);
      const res = await limited
        .http()
        .post(`/api/v1/inbound/${target.id}`)
        .set({ ...provider, 'content-type': 'application/json', 'webhook-id': msg, 'webhook-timestamp': String(at), 'webhook-signature': signature })
        .send(body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
