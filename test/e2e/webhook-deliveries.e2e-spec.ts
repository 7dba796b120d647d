import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unseal } from '@tessera/common';
import { Queues, redisOptions, startLocalRedis } from '@tessera/queue';
import { ConnectionOptions, Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, addMember, createApiKey, registerAccount } from '../factories/accounts';
import { createEndpoint, insertAttempt, insertDelivery, insertFailedDeliveries, Receiver, startReceiver, wsHeader as ws } from '../factories/webhooks';
import { startTestApp, TestApp, testConfig } from '../utils/app';
import { isolatedStack, IsolatedStack } from '../utils/isolated-stack';
import { restartablePort } from '../utils/ports';

let t: TestApp;
let receiver: Receiver;
let queue: Queue;
let stack: IsolatedStack;
// Its own database and Redis: a worker that another spec runs would otherwise take these jobs.
beforeAll(async () => {
  stack = await isolatedStack();
  t = await startTestApp(stack.env);
  receiver = await startReceiver();
  queue = new Queue(Queues.webhooks, { connection: redisOptions(stack.env.REDIS_URL) as ConnectionOptions, prefix: 'tessera' });
});
afterAll(async () => {
  await Promise.all([t?.close(), receiver?.close(), queue?.close()]);
  await stack?.drop();
});

const api = (a: Account) => ({
  get: (path: string) => t.http().get(`/api/v1${path}`).set(a.auth).set(ws(a)),
  post: (path: string, body: Record<string, unknown> = {}) => t.http().post(`/api/v1${path}`).set(a.auth).set(ws(a)).send(body),
});

/** The state of the BullMQ job that would deliver `deliveryId` (null when none exists). */
async function jobOf(deliveryId: string): Promise<{ state: string; data: unknown } | null> {
  const job = await queue.getJob(deliveryId);
  return job ? { state: await job.getState(), data: job.data } : null;
}

function ed25519Verifies(publicKey: string, content: string, signature: string): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey.slice(5), 'base64').toString('base64url') }, format: 'jwk' });
  return verify(null, Buffer.from(content), key, Buffer.from(signature.slice(4), 'base64'));
}

describe('Deliveries [GET /webhooks/{id}/deliveries]', () => {
  it('lists an endpoint’s deliveries newest first, filtered by status and event_type, in page, cursor and offset modes', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    const other = await createEndpoint(t, a);
    const base = Date.now() - 60_000;
    const made = [];
    for (let i = 0; i < 7; i++) {
      made.push(await insertDelivery(t, a, endpoint.id, { status: i % 2 ? 'success' : 'failed', eventType: i < 5 ? 'post.created' : 'member.added', createdAt: new Date(base + i * 1000) }));
    }
    await insertDelivery(t, a, other.id, { status: 'failed' });
    const newestFirst = made.map((d) => d.id).reverse();

    const page = await api(a).get(`/webhooks/${endpoint.id}/deliveries?per_page=3&page=2`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((d: { id: string }) => d.id)).toEqual(newestFirst.slice(3, 6));
    expect(page.body.meta.pagination).toMatchObject({ current_page: 2, per_page: 3, total: 7, last_page: 3, from: 4, to: 6 });
    expect(page.body.links.next).toContain('page=3');
    expect(Object.keys(page.body.data[0]).sort()).toEqual(
      ['attempt', 'attempts', 'completed_at', 'created_at', 'delivered_at', 'event_id', 'event_type', 'id', 'last_error', 'last_status_code', 'next_retry_at', 'response_code', 'status', 'updated_at'].sort(),
    );
    expect(page.body.data[0]).toMatchObject({ event_id: expect.stringMatching(/^evt_/), attempts: 1 });

    const seen: string[] = [];
    let next = `/webhooks/${endpoint.id}/deliveries?limit=3`;
    for (let i = 0; i < 5; i++) {
      const res = await api(a).get(next);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((d: { id: string }) => d.id));
      if (!res.body.meta.pagination.has_more) break;
      next = `/webhooks/${endpoint.id}/deliveries?limit=3&cursor=${res.body.meta.pagination.next_cursor}`;
    }
    expect(seen).toEqual(newestFirst);

    const offset = await api(a).get(`/webhooks/${endpoint.id}/deliveries?limit=2&offset=5`);
    expect(offset.body.data.map((d: { id: string }) => d.id)).toEqual(newestFirst.slice(5));
    expect(offset.body.meta.pagination).toEqual({ limit: 2, offset: 5, total: 7 });

    const failed = await api(a).get(`/webhooks/${endpoint.id}/deliveries?status=failed&per_page=100`);
    expect(failed.body.data.map((d: { status: string }) => d.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    const members = await api(a).get(`/webhooks/${endpoint.id}/deliveries?event_type=member.added&sort=created_at`);
    expect(members.body.data.map((d: { id: string }) => d.id)).toEqual([made[5].id, made[6].id]);
    const sparse = await api(a).get(`/webhooks/${endpoint.id}/deliveries?fields=status&limit=1`);
    expect(Object.keys(sparse.body.data[0]).sort()).toEqual(['id', 'status']);

    for (const bad of ['status=lost', 'sort=url', 'cursor=nope', 'nope=1', 'per_page=1000', 'event_type=']) {
      const res = await api(a).get(`/webhooks/${endpoint.id}/deliveries?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.code).toBe('BAD_REQUEST');
    }
  });

  it('Delivery [GET …/deliveries/{delivery_id}]: every attempt, oldest first, and the event it carries', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    const d = await insertDelivery(t, a, endpoint.id, { status: 'retrying', attempts: 2, data: { id: 'pst_1', title: 'Carried' }, lastStatusCode: 503 });
    await insertAttempt(t, d.id, 2, { statusCode: 503, body: 'busy', durationMs: 40 });
    await insertAttempt(t, d.id, 1, { statusCode: null, error: 'timed out after 15000 ms', durationMs: 15000 });
    const res = await api(a).get(`/webhooks/${endpoint.id}/deliveries/${d.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: d.id, event_id: d.eventId, status: 'retrying', attempts: 2, last_status_code: 503 });
    expect(res.body.data.attempt_log).toEqual([
      { attempt: 1, status_code: null, response_body: null, duration_ms: 15000, error: 'timed out after 15000 ms', created_at: expect.any(String) },
      { attempt: 2, status_code: 503, response_body: 'busy', duration_ms: 40, error: null, created_at: expect.any(String) },
    ]);
    expect(res.body.data.event).toEqual({ id: d.eventId, type: 'post.created', created_at: expect.any(String), workspace_id: a.workspace.id, data: { id: 'pst_1', title: 'Carried' } });
  });
});

describe('Retry [POST /webhooks/{id}/deliveries/{delivery_id}/retry]', () => {
  it('sets a failed delivery back to pending and queues its job (jobId = delivery id)', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    const d = await insertDelivery(t, a, endpoint.id, { status: 'failed', attempts: 8 });
    expect(await jobOf(d.id)).toBeNull();
    const res = await api(a).post(`/webhooks/${endpoint.id}/deliveries/${d.id}/retry`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: d.id, status: 'pending', attempts: 8, completed_at: null });
    expect(new Date(res.body.data.next_retry_at).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    const job = await jobOf(d.id);
    expect(job?.data).toEqual({ deliveryId: d.id });
    expect(['waiting', 'prioritized', 'active', 'delayed', 'completed']).toContain(job?.state);
    // Retrying again while it waits is harmless: still one job.
    expect((await api(a).post(`/webhooks/${endpoint.id}/deliveries/${d.id}/retry`)).status).toBe(200);
    expect((await jobOf(d.id))?.data).toEqual({ deliveryId: d.id });
  });

  it('refuses a delivery that succeeded (400 CANNOT_RETRY) and leaves it as it was', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    const d = await insertDelivery(t, a, endpoint.id, { status: 'success' });
    const res = await api(a).post(`/webhooks/${endpoint.id}/deliveries/${d.id}/retry`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'CANNOT_RETRY', data: null });
    expect((await api(a).get(`/webhooks/${endpoint.id}/deliveries/${d.id}`)).body.data.status).toBe('success');
    expect(await jobOf(d.id)).toBeNull();
  });

  it('refuses retry and replay while the endpoint is disabled (409 CONFLICT), and accepts them once it is re-enabled', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a, { is_active: false });
    const d = await insertDelivery(t, a, endpoint.id, { status: 'failed' });
    const retry = await api(a).post(`/webhooks/${endpoint.id}/deliveries/${d.id}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body).toMatchObject({ code: 'CONFLICT', meta: { errors: { is_active: expect.any(Array) } } });
    expect(retry.body.message).toMatch(/re-enable/);
    const replay = await api(a).post(`/webhooks/${endpoint.id}/replay`, { since: new Date(Date.now() - 3_600_000).toISOString() });
    expect(replay.status).toBe(409);
    expect(await jobOf(d.id)).toBeNull();
    // An endpoint the worker disabled (410, or days of failures) likewise, until PATCH is_active: true.
    await t.app.get(DataSource).query(`UPDATE webhook_endpoints SET is_active = true, disabled_at = now(), disabled_reason = 'gone' WHERE id = $1`, [endpoint.id]);
    expect((await api(a).post(`/webhooks/${endpoint.id}/deliveries/${d.id}/retry`)).status).toBe(409);
    const enabled = await t.http().patch(`/api/v1/webhooks/${endpoint.id}`).set(a.auth).set(ws(a)).send({ is_active: true });
    expect(enabled.body.data).toMatchObject({ is_active: true, disabled_reason: null });
    expect((await api(a).post(`/webhooks/${endpoint.id}/deliveries/${d.id}/retry`)).status).toBe(200);
    expect(await jobOf(d.id)).not.toBeNull();
  });
});

describe('Replay [POST /webhooks/{id}/replay]', () => {
  it('queues the failed deliveries of the window only, and says how many', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    const other = await createEndpoint(t, a);
    const hour = 3_600_000;
    const now = Date.now();
    const inWindow = [await insertDelivery(t, a, endpoint.id, { status: 'failed', createdAt: new Date(now - 2 * hour) }), await insertDelivery(t, a, endpoint.id, { status: 'failed', createdAt: new Date(now - hour) })];
    const before = await insertDelivery(t, a, endpoint.id, { status: 'failed', createdAt: new Date(now - 5 * hour) });
    const succeeded = await insertDelivery(t, a, endpoint.id, { status: 'success', createdAt: new Date(now - hour) });
    const otherEndpoint = await insertDelivery(t, a, other.id, { status: 'failed', createdAt: new Date(now - hour) });

    const res = await api(a).post(`/webhooks/${endpoint.id}/replay`, { since: new Date(now - 3 * hour).toISOString() });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ queued: 2, limit: 10_000, has_more: false });
    for (const d of inWindow) expect((await jobOf(d.id))?.data, d.id).toEqual({ deliveryId: d.id });
    for (const d of [before, succeeded, otherEndpoint]) expect(await jobOf(d.id), d.id).toBeNull();
    const statuses = await api(a).get(`/webhooks/${endpoint.id}/deliveries?status=pending`);
    expect(statuses.body.data.map((d: { id: string }) => d.id).sort()).toEqual(inWindow.map((d) => d.id).sort());

    // Again: nothing failed is left in the window.
    expect((await api(a).post(`/webhooks/${endpoint.id}/replay`, { since: new Date(now - 3 * hour).toISOString() })).body.data.queued).toBe(0);
    // status=success sends acknowledged deliveries again; until bounds the window.
    const again = await api(a).post(`/webhooks/${endpoint.id}/replay`, { since: new Date(now - 6 * hour).toISOString(), until: new Date(now - 30 * 60_000).toISOString(), status: 'success' });
    expect(again.body.data.queued).toBe(1);
    expect((await jobOf(succeeded.id))?.data).toEqual({ deliveryId: succeeded.id });
  });

  it('two concurrent replays of one window queue each delivery once between them', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    const ids = await insertFailedDeliveries(t, a, endpoint.id, 40, new Date(Date.now() - 60_000));
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const [one, two] = await Promise.all([api(a).post(`/webhooks/${endpoint.id}/replay`, { since }), api(a).post(`/webhooks/${endpoint.id}/replay`, { since })]);
    expect([one.status, two.status]).toEqual([200, 200]);
    expect(one.body.data.queued + two.body.data.queued).toBe(40);
    for (const id of ids) expect((await jobOf(id))?.data, id).toEqual({ deliveryId: id });
  });

  it('queues at most 10,000 per call and says more are left; the next call queues the rest', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    const ids = await insertFailedDeliveries(t, a, endpoint.id, 10_005, new Date(Date.now() - 60_000));
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const first = await api(a).post(`/webhooks/${endpoint.id}/replay`, { since });
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ queued: 10_000, limit: 10_000, has_more: true });
    const second = await api(a).post(`/webhooks/${endpoint.id}/replay`, { since });
    expect(second.body.data).toEqual({ queued: 5, limit: 10_000, has_more: false });
    const pending = await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'`, [endpoint.id]);
    expect(pending[0].n).toBe(10_005);
    for (const id of [ids[0], ids[5000], ids[10_004]]) expect((await jobOf(id))?.data).toEqual({ deliveryId: id });
    // Leave the shared queue as it was: these jobs are this test's only.
    await Promise.all(ids.map((id) => queue.remove(id)));
  }, 120_000);

  it('refuses a bad window or status (422)', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    const now = new Date().toISOString();
    for (const body of [
      {},
      { since: 'yesterday' },
      { since: now, until: new Date(Date.now() - 1000).toISOString() },
      { since: new Date(Date.now() + 3_600_000).toISOString() },
      { since: now, status: 'pending' },
      { since: 12345 },
      { since: now, extra: 1 },
      { since: `${now}\u0000` },
    ]) {
      const res = await api(a).post(`/webhooks/${endpoint.id}/replay`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.code).toBe('VALIDATION_ERROR');
    }
  });
});

describe('Test send [POST /webhooks/{id}/test]', () => {
  it('sends a signed webhook.test now, verified by the standardwebhooks library, with the endpoint’s headers', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a, { url: receiver.url, headers: { 'X-Team': 'payments' } });
    receiver.respond(200, 'thanks');
    const from = receiver.received.length;
    const res = await api(a).post(`/webhooks/${endpoint.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ success: true, status_code: 200, response_body: 'thanks', event_id: expect.stringMatching(/^evt_/) });
    expect(res.body.data.response_time_ms).toBeGreaterThanOrEqual(0);
    const got = receiver.received.slice(from);
    expect(got).toHaveLength(1);
    const [req] = got;
    expect(req.headers['user-agent']).toBe('Tessera-Webhooks/1');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-team']).toBe('payments');
    expect(req.headers['webhook-id']).toBe(res.body.data.event_id);
    const payload = new Webhook(endpoint.secret).verify(req.body, req.headers as Record<string, string>) as Record<string, unknown>;
    expect(payload).toEqual({
      id: res.body.data.event_id,
      type: 'webhook.test',
      created_at: expect.any(String),
      workspace_id: a.workspace.id,
      data: { endpoint_id: endpoint.id, url: receiver.url, message: expect.any(String) },
    });
    expect(Object.keys(payload)).toEqual(['id', 'type', 'created_at', 'workspace_id', 'data']);
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(req.body, req.headers as Record<string, string>)).toThrow();
    // Nothing is written to the outbox or the delivery log.
    const db = t.app.get(DataSource);
    expect(await db.query(`SELECT id FROM events WHERE id = $1`, [res.body.data.event_id])).toEqual([]);
    expect((await api(a).get(`/webhooks/${endpoint.id}/deliveries`)).body.data).toEqual([]);
  });

  it('reports a receiver that fails or cannot be reached as success: false with its status and error', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a, { url: receiver.url });
    receiver.respond(500, 'boom');
    const failed = await api(a).post(`/webhooks/${endpoint.id}/test`);
    expect(failed.status).toBe(200);
    expect(failed.body.data).toMatchObject({ success: false, status_code: 500, error: expect.stringContaining('500'), response_body: 'boom' });
    receiver.respond(200, 'ok');
    const dead = await createEndpoint(t, a, { url: 'http://127.0.0.1:9/hook' });
    const unreachable = await api(a).post(`/webhooks/${dead.id}/test`);
    expect(unreachable.status).toBe(200);
    expect(unreachable.body.data).toMatchObject({ success: false, status_code: null, error: expect.stringMatching(/connection/) });
    expect(unreachable.body.data.response_body).toBeUndefined();
  });

  it(`allows at most 10 test sends per endpoint per minute (429 RATE_LIMITED after)`, async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a, { url: receiver.url });
    receiver.respond(204);
    // Sequential sends until the first refusal: at least 10 pass, and at most 20 (a minute that turns mid-way opens one more budget).
    let passed = 0;
    let refused = await api(a).post(`/webhooks/${endpoint.id}/test`);
    while (refused.status === 200 && passed < 25) {
      passed++;
      refused = await api(a).post(`/webhooks/${endpoint.id}/test`);
    }
    expect(passed).toBeGreaterThanOrEqual(10);
    expect(passed).toBeLessThanOrEqual(20);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', meta: { retry_after: expect.any(Number), limit: 10 } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    receiver.respond(200, 'ok');
  });
});

describe('Signature schemes and rotation', () => {
  it('ed25519 [POST /webhooks signature_scheme]: a whsk_ key shown once, the whpk_ key on every answer, v1a signatures that verify with it', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a, { url: receiver.url, signature_scheme: 'ed25519' });
    expect(endpoint).toMatchObject({ signature_scheme: 'ed25519', public_key: expect.stringMatching(/^whpk_[A-Za-z0-9+/]{43}=$/), secret: expect.stringMatching(/^whsk_/) });
    const got = await api(a).get(`/webhooks/${endpoint.id}`);
    expect(got.body.data).toMatchObject({ signature_scheme: 'ed25519', public_key: endpoint.public_key });
    expect(got.body.data.secret).toBeUndefined();
    expect((await api(a).get('/webhooks')).body.data[0].public_key).toBe(endpoint.public_key);
    const [row] = await t.app.get(DataSource).query(`SELECT secret_sealed FROM webhook_endpoints WHERE id = $1`, [endpoint.id]);
    expect(unseal(testConfig().encryptionKey, row.secret_sealed, endpoint.id).toString()).toBe(endpoint.secret);

    const from = receiver.received.length;
    expect((await api(a).post(`/webhooks/${endpoint.id}/test`)).body.data.success).toBe(true);
    const req = receiver.received[from];
    const sigs = String(req.headers['webhook-signature']).split(' ');
    expect(sigs).toHaveLength(1);
    expect(sigs[0]).toMatch(/^v1a,/);
    const content = `${req.headers['webhook-id']}.${req.headers['webhook-timestamp']}.${req.body}`;
    expect(ed25519Verifies(endpoint.public_key!, content, sigs[0])).toBe(true);
    expect(ed25519Verifies(endpoint.public_key!, `${content} `, sigs[0])).toBe(false);

    // A hmac endpoint has no public key; an ed25519 one takes no secret of the caller's.
    expect((await createEndpoint(t, a)).public_key).toBeNull();
    const refused = await api(a).post('/webhooks', { url: receiver.url, events: ['post.*'], signature_scheme: 'ed25519', secret: `whsec_${Buffer.alloc(24, 3).toString('base64')}` });
    expect(refused.status).toBe(422);
    expect(refused.body.meta.errors.secret).toBeDefined();
    expect((await api(a).post('/webhooks', { url: receiver.url, events: ['post.*'], signature_scheme: 'rsa' })).status).toBe(422);
  });

  it('Rotate [POST /webhooks/{id}/rotate-secret]: a new secret shown once; during the grace a send carries both signatures, each verifies', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a, { url: receiver.url });
    const rotated = await api(a).post(`/webhooks/${endpoint.id}/rotate-secret`, { grace_period_hours: 24 });
    expect(rotated.status).toBe(200);
    const secret: string = rotated.body.data.secret;
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(endpoint.secret);
    const expires = new Date(rotated.body.data.previous_secret_expires_at).getTime();
    expect(Math.abs(expires - (Date.now() + 24 * 3_600_000))).toBeLessThan(60_000);
    expect((await api(a).get(`/webhooks/${endpoint.id}`)).body.data.secret).toBeUndefined();

    const [row] = await t.app.get(DataSource).query(`SELECT secret_sealed, previous_secret_sealed FROM webhook_endpoints WHERE id = $1`, [endpoint.id]);
    const key = testConfig().encryptionKey;
    expect(unseal(key, row.secret_sealed, endpoint.id).toString()).toBe(secret);
    expect(unseal(key, row.previous_secret_sealed, endpoint.id).toString()).toBe(endpoint.secret);

    const from = receiver.received.length;
    expect((await api(a).post(`/webhooks/${endpoint.id}/test`)).body.data.success).toBe(true);
    const req = receiver.received[from];
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const headers = req.headers as Record<string, string>;
    expect(new Webhook(secret).verify(req.body, headers)).toMatchObject({ type: 'webhook.test' });
    expect(new Webhook(endpoint.secret).verify(req.body, headers)).toMatchObject({ type: 'webhook.test' });

    // grace 0, with a secret of the caller's: the old one stops signing at once.
    const chosen = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
    const now = await api(a).post(`/webhooks/${endpoint.id}/rotate-secret`, { grace_period_hours: 0, secret: chosen });
    expect(now.body.data).toMatchObject({ secret: chosen, previous_secret_expires_at: null });
    const at = receiver.received.length;
    await api(a).post(`/webhooks/${endpoint.id}/test`);
    const single = receiver.received[at];
    expect(String(single.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(new Webhook(chosen).verify(single.body, single.headers as Record<string, string>)).toBeTruthy();
    expect(() => new Webhook(secret).verify(single.body, single.headers as Record<string, string>)).toThrow();
  });

  it('rotates an ed25519 key pair: a new whpk_ key, and both keys sign during the grace', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a, { url: receiver.url, signature_scheme: 'ed25519' });
    const res = await api(a).post(`/webhooks/${endpoint.id}/rotate-secret`, {});
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ signature_scheme: 'ed25519', secret: expect.stringMatching(/^whsk_/), public_key: expect.stringMatching(/^whpk_/) });
    expect(res.body.data.public_key).not.toBe(endpoint.public_key);
    expect((await api(a).get(`/webhooks/${endpoint.id}`)).body.data.public_key).toBe(res.body.data.public_key);
    const from = receiver.received.length;
    await api(a).post(`/webhooks/${endpoint.id}/test`);
    const req = receiver.received[from];
    const sigs = String(req.headers['webhook-signature']).split(' ');
    const content = `${req.headers['webhook-id']}.${req.headers['webhook-timestamp']}.${req.body}`;
    expect(sigs).toHaveLength(2);
    expect(sigs.some((s) => ed25519Verifies(res.body.data.public_key, content, s))).toBe(true);
    expect(sigs.some((s) => ed25519Verifies(endpoint.public_key!, content, s))).toBe(true);
    expect((await api(a).post(`/webhooks/${endpoint.id}/rotate-secret`, { secret: `whsec_${Buffer.alloc(24, 3).toString('base64')}` })).status).toBe(422);
  });

  it('refuses a bad grace period or secret (422)', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    for (const body of [{ grace_period_hours: -1 }, { grace_period_hours: 169 }, { grace_period_hours: 1.5 }, { grace_period_hours: '24' }, { secret: 'whsec_short' }, { secret: 'x\u0000' }, { other: true }]) {
      const res = await api(a).post(`/webhooks/${endpoint.id}/rotate-secret`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    const [row] = await t.app.get(DataSource).query(`SELECT previous_secret_sealed FROM webhook_endpoints WHERE id = $1`, [endpoint.id]);
    expect(row.previous_secret_sealed).toBeNull();
  });
});

describe('Attackers', () => {
  it("another workspace's member gets 404 on every route, including a delivery id of another workspace's endpoint", async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const endpoint = await createEndpoint(t, a, { url: receiver.url });
    const d = await insertDelivery(t, a, endpoint.id, { status: 'failed' });
    const bEndpoint = await createEndpoint(t, b);
    const since = { since: new Date(Date.now() - 3_600_000).toISOString() };
    const from = receiver.received.length;
    const routes: Array<[string, 'get' | 'post', Record<string, unknown>?]> = [
      [`/webhooks/${endpoint.id}/deliveries`, 'get'],
      [`/webhooks/${endpoint.id}/deliveries/${d.id}`, 'get'],
      [`/webhooks/${endpoint.id}/deliveries/${d.id}/retry`, 'post'],
      [`/webhooks/${endpoint.id}/replay`, 'post', since],
      [`/webhooks/${endpoint.id}/test`, 'post'],
      [`/webhooks/${endpoint.id}/rotate-secret`, 'post', {}],
      // b's own endpoint with a's delivery id.
      [`/webhooks/${bEndpoint.id}/deliveries/${d.id}`, 'get'],
      [`/webhooks/${bEndpoint.id}/deliveries/${d.id}/retry`, 'post'],
    ];
    for (const [path, method, body] of routes) {
      const inOwn = await t.http()[method](`/api/v1${path}`).set(b.auth).set(ws(b)).send(body ?? {});
      expect(inOwn.status, `${method} ${path} in b`).toBe(404);
      expect(inOwn.body).toMatchObject({ code: 'NOT_FOUND', data: null });
      const inTheirs = await t.http()[method](`/api/v1${path}`).set(b.auth).set(ws(a)).send(body ?? {});
      expect(inTheirs.status, `${method} ${path} in a`).toBe(404);
    }
    // a's own delivery under a's other endpoint is not found either.
    const aOther = await createEndpoint(t, a);
    expect((await api(a).get(`/webhooks/${aOther.id}/deliveries/${d.id}`)).status).toBe(404);
    expect(receiver.received.length).toBe(from);
    expect(await jobOf(d.id)).toBeNull();
    const [row] = await t.app.get(DataSource).query(`SELECT status, previous_secret_sealed FROM webhook_endpoints e JOIN webhook_deliveries d ON d.endpoint_id = e.id WHERE d.id = $1`, [d.id]);
    expect(row).toEqual({ status: 'failed', previous_secret_sealed: null });
  });

  it('a webhooks:read key reads the log but cannot retry, replay, test or rotate (403); a viewer likewise', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a, { url: receiver.url });
    const d = await insertDelivery(t, a, endpoint.id, { status: 'failed' });
    const reader = await createApiKey(t, a, { scopes: ['webhooks:read'] });
    const viewer = await addMember(t, a, a.workspace.id, 'viewer');
    const from = receiver.received.length;
    for (const auth of [reader.auth, viewer.auth]) {
      expect((await t.http().get(`/api/v1/webhooks/${endpoint.id}/deliveries`).set(auth).set(ws(a))).status).toBe(200);
      expect((await t.http().get(`/api/v1/webhooks/${endpoint.id}/deliveries/${d.id}`).set(auth).set(ws(a))).status).toBe(200);
      for (const [path, body] of [
        [`/webhooks/${endpoint.id}/deliveries/${d.id}/retry`, {}],
        [`/webhooks/${endpoint.id}/replay`, { since: new Date(Date.now() - 3_600_000).toISOString() }],
        [`/webhooks/${endpoint.id}/test`, {}],
        [`/webhooks/${endpoint.id}/rotate-secret`, {}],
      ] as const) {
        const res = await t.http().post(`/api/v1${path}`).set(auth).set(ws(a)).send(body);
        expect(res.status, path).toBe(403);
        expect(res.body).toMatchObject({ code: 'FORBIDDEN', meta: { required_scopes: ['webhooks:write'] } });
      }
    }
    const postsOnly = await createApiKey(t, a, { scopes: ['posts:read'] });
    expect((await t.http().get(`/api/v1/webhooks/${endpoint.id}/deliveries`).set(postsOnly.auth)).status).toBe(403);
    expect(receiver.received.length).toBe(from);
    expect(await jobOf(d.id)).toBeNull();
  });

  it('hostile ids and bodies are 4xx in the envelope, never 500', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a);
    const d = await insertDelivery(t, a, endpoint.id, { status: 'failed' });
    const ids = ['whk_nope', 'dlv_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', '%27%20OR%201%3D1--', 'x'.repeat(3000), '%00', encodeURIComponent('whk_\u0000')];
    for (const bad of ids) {
      for (const [method, path] of [
        ['get', `/webhooks/${bad}/deliveries`],
        ['get', `/webhooks/${endpoint.id}/deliveries/${bad}`],
        ['post', `/webhooks/${endpoint.id}/deliveries/${bad}/retry`],
        ['post', `/webhooks/${bad}/deliveries/${d.id}/retry`],
        ['post', `/webhooks/${bad}/test`],
        ['post', `/webhooks/${bad}/rotate-secret`],
        ['post', `/webhooks/${bad}/replay`],
      ] as const) {
        const res = await t.http()[method](`/api/v1${path}`).set(a.auth).set(ws(a)).send({ since: new Date(Date.now() - 1000).toISOString() });
        expect(res.status, `${method} ${path.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${method} ${path.slice(0, 80)}`).toBeLessThan(500);
        expect(res.body.success, `${res.status} ${method} ${path.slice(0, 80)}`).toBe(false);
      }
    }
    for (const body of ['{"since": ', '[]', 'null']) {
      const res = await t.http().post(`/api/v1/webhooks/${endpoint.id}/replay`).set(a.auth).set(ws(a)).set('Content-Type', 'application/json').send(body);
      expect(res.status, body).toBeGreaterThanOrEqual(400);
      expect(res.status, body).toBeLessThan(500);
    }
    for (const q of ['status=%00', 'event_type=%00', 'created_after=not-a-date', 'limit=-1', 'status=failed&status=success']) {
      const res = await api(a).get(`/webhooks/${endpoint.id}/deliveries?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.code, q).toBe('BAD_REQUEST');
    }
    // A long event type matches nothing; it is not an error.
    const long = await api(a).get(`/webhooks/${endpoint.id}/deliveries?event_type=${'a'.repeat(5000)}`);
    expect(long.status).toBe(200);
    expect(long.body.data).toEqual([]);
  });

  it('a burst of 50 concurrent retries and 50 concurrent test sends all answer, none 5xx', async () => {
    const a = await registerAccount(t);
    const endpoint = await createEndpoint(t, a, { url: receiver.url });
    const deliveries = await Promise.all(Array.from({ length: 10 }, () => insertDelivery(t, a, endpoint.id, { status: 'failed' })));
    receiver.respond(200, 'ok', 50);
    const answers = await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => api(a).post(`/webhooks/${endpoint.id}/deliveries/${deliveries[i % 10].id}/retry`)),
      ...Array.from({ length: 50 }, () => api(a).post(`/webhooks/${endpoint.id}/test`)),
    ]);
    receiver.respond(200, 'ok');
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.slice(0, 50).every((s) => s === 200)).toBe(true);
    const tests = statuses.slice(50);
    expect(tests.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(tests.every((s) => s === 200 || s === 429)).toBe(true);
    for (const d of deliveries) expect((await jobOf(d.id))?.data).toEqual({ deliveryId: d.id });
  });
});

describe('Without Redis', () => {
  it('a retry answers 503 SERVICE_UNAVAILABLE in the envelope at once, and the delivery stays pending', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
    const port = await restartablePort();
    const redis = await startLocalRedis({ dir, port, persistent: false });
    const app = await startTestApp({ REDIS_URL: redis.url });
    try {
      const a = await registerAccount(app);
      const endpoint = await createEndpoint(app, a);
      const d = await insertDelivery(app, a, endpoint.id, { status: 'failed' });
      await redis.stop();
      const started = Date.now();
      const res = await app.http().post(`/api/v1/webhooks/${endpoint.id}/deliveries/${d.id}/retry`).set(a.auth).set(ws(a));
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE', data: null, meta: { retry_after: 5 } });
      expect(res.headers['retry-after']).toBe('5');
      expect(Date.now() - started).toBeLessThan(15_000);
      const [row] = await app.app.get(DataSource).query(`SELECT status, next_retry_at FROM webhook_deliveries WHERE id = $1`, [d.id]);
      expect(row.status).toBe('pending');
      expect(row.next_retry_at).not.toBeNull();
    } finally {
      await app.close().catch(() => undefined);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
