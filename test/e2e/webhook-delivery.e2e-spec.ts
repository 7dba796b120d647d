import { createPublicKey, verify } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { seal } from '@tessera/common';
import { Jobs, Queues } from '@tessera/queue';
import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryProcessor } from '../../src/modules/webhooks/delivery.processor';
import { OutboxRelay } from '../../src/modules/webhooks/outbox-relay';
import { ed25519PublicKey, newEd25519Pair } from '../../src/modules/webhooks/signing';
import { Account, eventually, registerAccount, sleep } from '../factories/accounts';
import { startTestApp, startTestWorker, TestApp, testConfig } from '../utils/app';
import { isolatedStack, IsolatedStack } from '../utils/isolated-stack';
import { payloads, Receiver, Reply, startReceiver } from '../utils/receiver';

/** Short schedule: 4 attempts in all, 0.2 s apart (±20 %); a timeout that a loaded machine still meets. */
const SETTINGS = { WEBHOOKS_RETRY_SCHEDULE: '0.2,0.2,0.2', WEBHOOKS_TIMEOUT_MS: '5000', WEBHOOKS_LOCK_MS: '20000' };

let stack: IsolatedStack;
let t: TestApp;
let worker: INestApplicationContext;
let db: DataSource;
const receivers: Receiver[] = [];

beforeAll(async () => {
  stack = await isolatedStack();
  t = await startTestApp({ ...stack.env, ...SETTINGS });
  worker = await startTestWorker({ ...stack.env, ...SETTINGS });
  db = t.app.get(DataSource);
});
afterAll(async () => {
  await worker?.close().catch(() => undefined); // the last test closes it itself
  await t?.close();
  await Promise.all(receivers.map((r) => r.close()));
  await stack?.drop();
});

const ws = (a: Account) => ({ 'X-Workspace-ID': a.workspace.id });

async function receiver(reply?: (n: number) => Reply): Promise<Receiver> {
  const r = await startReceiver(reply);
  receivers.push(r);
  return r;
}

async function endpoint(a: Account, url: string, body: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await t.http().post('/api/v1/webhooks').set(a.auth).set(ws(a)).send({ url, events: ['post.*'], ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.data.id, secret: res.body.data.secret };
}

async function createPost(a: Account, title = 'Hello'): Promise<string> {
  const res = await t.http().post('/api/v1/posts').set(a.auth).set(ws(a)).send({ title, body: 'First words' });
  expect(res.status).toBe(201);
  return res.body.data.id;
}

const deliveriesOf = (endpointId: string) =>
  db.query(`SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at, id`, [endpointId]) as Promise<Array<Record<string, any>>>;
const attemptsOf = (deliveryId: string) => db.query(`SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`, [deliveryId]) as Promise<Array<Record<string, any>>>;
const endpointRow = async (id: string) =>
  (await db.query(`SELECT * FROM webhook_endpoints w JOIN webhook_endpoint_stats s ON s.endpoint_id = w.id WHERE w.id = $1`, [id]))[0] as Record<string, any>;
const headersOf = (r: Receiver, i: number) => r.received[i].headers as Record<string, string>;

describe('Webhook delivery (worker)', () => {
  it('delivers a created post, signed: the receiver verifies it with the standardwebhooks package', async () => {
    const a = await registerAccount(t);
    const r = await receiver();
    const ep = await endpoint(a, r.url, { headers: { 'X-Team': 'payments' } });
    const postId = await createPost(a);
    expect(await eventually(async () => r.received.length === 1, 10_000)).toBe(true);

    const [event] = await db.query(`SELECT * FROM events WHERE workspace_id = $1 AND type = 'post.created'`, [a.workspace.id]);
    const h = headersOf(r, 0);
    const verified = new Webhook(ep.secret).verify(r.received[0].body, h) as Record<string, any>;
    expect(verified).toMatchObject({ id: event.id, type: 'post.created', workspace_id: a.workspace.id, data: { id: postId, title: 'Hello' } });
    expect(Object.keys(JSON.parse(r.received[0].body))).toEqual(['id', 'type', 'created_at', 'workspace_id', 'data']);
    expect(verified.created_at).toBe(new Date(event.created_at).toISOString());
    expect(h['webhook-id']).toBe(event.id);
    expect(h['user-agent']).toBe('Tessera-Webhooks/1');
    expect(h['x-team']).toBe('payments');
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(r.received[0].body, h)).toThrow();

    expect(await eventually(async () => (await deliveriesOf(ep.id))[0]?.status === 'success', 5_000)).toBe(true);
    const [delivery] = await deliveriesOf(ep.id);
    expect(delivery).toMatchObject({ event_id: event.id, event_type: 'post.created', attempts: 1, last_status_code: 200, next_retry_at: null });
    expect(delivery.id).toMatch(/^dlv_/);
    expect(await attemptsOf(delivery.id)).toMatchObject([{ attempt: 1, status_code: 200, response_body: 'ok', error: null }]);
    expect(await endpointRow(ep.id)).toMatchObject({ success_count: '1', failure_count: '0', consecutive_failures: 0, failing_since: null });
    expect((await endpointRow(ep.id)).last_delivery_at).not.toBeNull();
  });

  it('retries on the schedule: 3 failures then 200 → 4 attempts and success, the same webhook-id each time', async () => {
    const a = await registerAccount(t);
    const r = await receiver((n) => (n < 3 ? { status: n === 1 ? 302 : 500, body: `nope ${n}` } : { status: 204 }));
    const ep = await endpoint(a, r.url);
    await createPost(a);
    expect(await eventually(async () => (await deliveriesOf(ep.id))[0]?.status === 'success', 15_000)).toBe(true);
    const [delivery] = await deliveriesOf(ep.id);
    expect(delivery.attempts).toBe(4);
    const attempts = await attemptsOf(delivery.id);
    expect(attempts.map((x) => [x.attempt, x.status_code, x.response_body])).toEqual([[1, 500, 'nope 0'], [2, 302, 'nope 1'], [3, 500, 'nope 2'], [4, 204, '']]);
    expect(new Set(r.received.map((x) => x.headers['webhook-id'])).size).toBe(1);
    for (let i = 1; i < 4; i++) expect(r.received[i].at - r.received[i - 1].at).toBeGreaterThanOrEqual(150);
    expect(await endpointRow(ep.id)).toMatchObject({ success_count: '1', failure_count: '3', consecutive_failures: 0 });
  });

  it('gives up after the schedule: failed, with webhook.delivery.failing and .exhausted delivered to another endpoint, never to the failing one', async () => {
    const a = await registerAccount(t);
    const bad = await receiver(() => ({ status: 500 }));
    const watcher = await receiver();
    const failing = await endpoint(a, bad.url, { events: ['*'] });
    const ops = await endpoint(a, watcher.url, { events: ['webhook.delivery.*'] });
    await createPost(a);
    expect(await eventually(async () => (await deliveriesOf(failing.id))[0]?.status === 'failed', 15_000)).toBe(true);
    const [delivery] = await deliveriesOf(failing.id);
    expect(delivery).toMatchObject({ attempts: 4, last_status_code: 500, last_error: 'HTTP 500', next_retry_at: null });
    expect(delivery.completed_at).not.toBeNull();
    expect(await attemptsOf(delivery.id)).toHaveLength(4);

    expect(await eventually(async () => watcher.received.length >= 2, 10_000)).toBe(true);
    const got = payloads(watcher);
    expect(got.map((p) => p.type).sort()).toEqual(['webhook.delivery.exhausted', 'webhook.delivery.failing']);
    expect(got.find((p) => p.type === 'webhook.delivery.failing')?.data).toMatchObject({ endpoint_id: failing.id, url: bad.url, consecutive_failures: 4 });
    expect(got.find((p) => p.type === 'webhook.delivery.exhausted')?.data).toMatchObject({ endpoint_id: failing.id, delivery_id: delivery.id, event_type: 'post.created', attempts: 4 });
    for (let i = 0; i < watcher.received.length; i++) new Webhook(ops.secret).verify(watcher.received[i].body, headersOf(watcher, i));

    // The failing endpoint subscribes to * but never receives events about itself.
    await sleep(500);
    expect(new Set(payloads(bad).map((p) => p.type))).toEqual(new Set(['post.created']));
    expect(bad.received).toHaveLength(4);
    expect(await endpointRow(failing.id)).toMatchObject({ failure_count: '4', consecutive_failures: 4, is_active: true });
    expect((await endpointRow(failing.id)).failing_since).not.toBeNull();
    const audit = await db.query(`SELECT action, actor_type, target_id FROM audit_logs WHERE workspace_id = $1 AND actor_type = 'system' ORDER BY action`, [a.workspace.id]);
    expect(audit).toEqual([
      { action: 'webhook.delivery.exhausted', actor_type: 'system', target_id: failing.id },
      { action: 'webhook.delivery.failing', actor_type: 'system', target_id: failing.id },
    ]);
  });

  it('410 Gone disables the endpoint at once (event and audit), and it gets nothing more', async () => {
    const a = await registerAccount(t);
    const gone = await receiver(() => ({ status: 410 }));
    const watcher = await receiver();
    const ep = await endpoint(a, gone.url);
    await endpoint(a, watcher.url, { events: ['webhook.endpoint.*'] });
    await createPost(a);
    expect(await eventually(async () => watcher.received.length === 1, 10_000)).toBe(true);
    expect(payloads(watcher)[0]).toMatchObject({ type: 'webhook.endpoint.disabled', data: { endpoint_id: ep.id, reason: 'gone' } });
    expect(await endpointRow(ep.id)).toMatchObject({ is_active: false, disabled_reason: 'the endpoint answered 410 Gone' });
    expect((await endpointRow(ep.id)).disabled_at).not.toBeNull();
    const [delivery] = await deliveriesOf(ep.id);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 410 });
    const got = await t.http().get(`/api/v1/webhooks/${ep.id}`).set(a.auth).set(ws(a));
    expect(got.body.data).toMatchObject({ is_active: false, disabled_reason: 'the endpoint answered 410 Gone', failure_count: 1 });
    const audit = await db.query(`SELECT action FROM audit_logs WHERE workspace_id = $1 AND actor_type = 'system'`, [a.workspace.id]);
    expect(audit).toEqual([{ action: 'webhook.endpoint.disabled' }]);

    await createPost(a, 'After');
    await sleep(1_500);
    expect(gone.received).toHaveLength(1);
    expect(await deliveriesOf(ep.id)).toHaveLength(1);
  });

  it('disables an endpoint failing with no success for WEBHOOKS_DISABLE_AFTER_HOURS (event and audit)', async () => {
    const a = await registerAccount(t);
    const bad = await receiver(() => ({ status: 503 }));
    const watcher = await receiver();
    const ep = await endpoint(a, bad.url);
    await endpoint(a, watcher.url, { events: ['webhook.endpoint.disabled'] });
    // Failing for 121 hours already (the default limit is 120).
    await db.query(`UPDATE webhook_endpoint_stats SET consecutive_failures = 30, failure_count = 30, failing_since = now() - interval '121 hours' WHERE endpoint_id = $1`, [ep.id]);
    await createPost(a);
    expect(await eventually(async () => watcher.received.length === 1, 10_000)).toBe(true);
    expect(payloads(watcher)[0]).toMatchObject({ type: 'webhook.endpoint.disabled', data: { endpoint_id: ep.id, reason: 'consecutive_failures' } });
    expect(await endpointRow(ep.id)).toMatchObject({ is_active: false, disabled_reason: 'failing with no success for 120 hours', consecutive_failures: 31 });
    expect(await eventually(async () => (await deliveriesOf(ep.id))[0]?.status === 'failed', 5_000)).toBe(true);
    expect(bad.received).toHaveLength(1);
    expect((await deliveriesOf(ep.id))[0].last_error).toMatch(/^not attempted: endpoint disabled/);
    const audit = await db.query(`SELECT action, actor_type, metadata FROM audit_logs WHERE workspace_id = $1 AND actor_type = 'system'`, [a.workspace.id]);
    expect(audit).toMatchObject([{ action: 'webhook.endpoint.disabled', metadata: { reason: 'consecutive_failures', endpoint_id: ep.id } }]);
  });

  it('announces webhook.endpoint.recovered on the first success after a failing streak', async () => {
    const a = await registerAccount(t);
    const r = await receiver();
    const watcher = await receiver();
    const ep = await endpoint(a, r.url);
    await endpoint(a, watcher.url, { events: ['webhook.endpoint.recovered'] });
    await db.query(`UPDATE webhook_endpoint_stats SET consecutive_failures = 6, failure_count = 6, failing_since = now() - interval '1 hour' WHERE endpoint_id = $1`, [ep.id]);
    await createPost(a);
    expect(await eventually(async () => watcher.received.length === 1, 10_000)).toBe(true);
    expect(payloads(watcher)[0]).toMatchObject({ type: 'webhook.endpoint.recovered', data: { endpoint_id: ep.id, failures_before: 6 } });
    expect(await endpointRow(ep.id)).toMatchObject({ consecutive_failures: 0, failing_since: null, success_count: '1', is_active: true });
    await createPost(a, 'Again');
    expect(await eventually(async () => r.received.length === 2, 10_000)).toBe(true);
    await sleep(300);
    expect(watcher.received).toHaveLength(1);
  });

  it('honours Retry-After on 429 over the shorter schedule', async () => {
    const a = await registerAccount(t);
    const r = await receiver((n) => (n === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const ep = await endpoint(a, r.url);
    await createPost(a);
    expect(await eventually(async () => (await deliveriesOf(ep.id))[0]?.status === 'success', 15_000)).toBe(true);
    expect(r.received).toHaveLength(2);
    expect(r.received[1].at - r.received[0].at).toBeGreaterThanOrEqual(1_900);
  });

  it('signs with both secrets during a rotation grace, and with the new one only after it', async () => {
    const a = await registerAccount(t);
    const r = await receiver();
    const ep = await endpoint(a, r.url);
    const previous = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    const key = testConfig().encryptionKey;
    await db.query(`UPDATE webhook_endpoints SET previous_secret_sealed = $2, previous_secret_expires_at = now() + interval '1 hour' WHERE id = $1`, [ep.id, seal(key, previous, ep.id)]);
    await createPost(a);
    expect(await eventually(async () => r.received.length === 1, 10_000)).toBe(true);
    const h = headersOf(r, 0);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(h['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    new Webhook(ep.secret).verify(r.received[0].body, h);
    new Webhook(previous).verify(r.received[0].body, h);

    await db.query(`UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [ep.id]);
    await createPost(a, 'Later');
    expect(await eventually(async () => r.received.length === 2, 10_000)).toBe(true);
    const later = headersOf(r, 1);
    expect(later['webhook-signature'].split(' ')).toHaveLength(1);
    new Webhook(ep.secret).verify(r.received[1].body, later);
    expect(() => new Webhook(previous).verify(r.received[1].body, later)).toThrow();
  });

  it('signs an ed25519 endpoint with v1a, verifiable with node:crypto and its whpk_ public key', async () => {
    const a = await registerAccount(t);
    const r = await receiver();
    const ep = await endpoint(a, r.url);
    const pair = newEd25519Pair();
    expect(ed25519PublicKey(pair.secretKey)).toBe(pair.publicKey);
    await db.query(`UPDATE webhook_endpoints SET signature_scheme = 'ed25519', secret_sealed = $2, public_key = $3 WHERE id = $1`, [ep.id, seal(testConfig().encryptionKey, pair.secretKey, ep.id), pair.publicKey]);
    await createPost(a);
    expect(await eventually(async () => r.received.length === 1, 10_000)).toBe(true);
    const h = headersOf(r, 0);
    expect(h['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]+=*$/);
    const raw = Buffer.from(pair.publicKey.slice(5), 'base64');
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    const content = Buffer.from(`${h['webhook-id']}.${h['webhook-timestamp']}.${r.received[0].body}`);
    expect(verify(null, content, publicKey, Buffer.from(h['webhook-signature'].slice(4), 'base64'))).toBe(true);
    expect(verify(null, Buffer.from(`${h['webhook-id']}.${h['webhook-timestamp']}.{}`), publicKey, Buffer.from(h['webhook-signature'].slice(4), 'base64'))).toBe(false);
  });

  it('a relay run twice never sends twice; a delivery whose job was lost is recovered by the sweep', async () => {
    const a = await registerAccount(t);
    const r = await receiver();
    const ep = await endpoint(a, r.url);
    await createPost(a);
    expect(await eventually(async () => (await deliveriesOf(ep.id))[0]?.status === 'success', 10_000)).toBe(true);
    const relay = worker.get(OutboxRelay);
    // The same events handed to the relay again (as if it had crashed before marking them): nothing new.
    await db.query(`UPDATE events SET published_at = NULL WHERE workspace_id = $1`, [a.workspace.id]);
    await relay.drain();
    await relay.sweep(0);
    await sleep(1_000);
    expect(r.received).toHaveLength(1);
    expect(await deliveriesOf(ep.id)).toHaveLength(1);
    expect((await db.query(`SELECT count(*)::int AS n FROM events WHERE workspace_id = $1 AND published_at IS NULL`, [a.workspace.id]))[0].n).toBe(0);

    // Committed but never queued (the worker or Redis died in between): the sweep queues it.
    const [event] = await db.query(`INSERT INTO events (id, workspace_id, type, data, published_at) VALUES ('evt_01JD2V6ZQ8W3M9Q7R4T5Y6U7V9', $1, 'post.updated', '{"id":"pst_x"}', now()) RETURNING id`, [a.workspace.id]);
    await db.query(
      `INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, event_type, updated_at) VALUES ('dlv_01JD2V6ZQ8W3M9Q7R4T5Y6U7V9', $1, $2, $3, 'post.updated', now() - interval '5 minutes')`,
      [a.workspace.id, ep.id, event.id],
    );
    await sleep(300);
    expect(r.received).toHaveLength(1);
    expect(await relay.sweep(60)).toBeGreaterThanOrEqual(1);
    expect(await eventually(async () => r.received.length === 2, 10_000)).toBe(true);
    expect(payloads(r)[1]).toMatchObject({ id: event.id, type: 'post.updated' });
  });

  it('does not attempt deliveries of a disabled endpoint: they end failed with the reason, ready for a replay', async () => {
    const a = await registerAccount(t);
    const r = await receiver();
    const ep = await endpoint(a, r.url);
    await createPost(a);
    expect(await eventually(async () => r.received.length === 1, 10_000)).toBe(true);
    await db.query(`UPDATE webhook_endpoints SET is_active = false, disabled_reason = 'paused by a test' WHERE id = $1`, [ep.id]);
    const [first] = await deliveriesOf(ep.id);
    await db.query(`UPDATE webhook_deliveries SET status = 'retrying', completed_at = NULL, next_retry_at = now() - interval '2 minutes' WHERE id = $1`, [first.id]);
    await worker.get(OutboxRelay).sweep(60);
    expect(await eventually(async () => (await deliveriesOf(ep.id))[0].status === 'failed', 10_000)).toBe(true);
    expect((await deliveriesOf(ep.id))[0].last_error).toBe('not attempted: endpoint disabled: paused by a test');
    expect(r.received).toHaveLength(1);
  });

  it('keeps each endpoint within max_in_flight and rate_limit_per_second', async () => {
    const a = await registerAccount(t);
    const slow = await receiver(() => ({ status: 200, delayMs: 300 }));
    const paced = await receiver();
    const capped = await endpoint(a, slow.url, { max_in_flight: 2 });
    const limited = await endpoint(a, paced.url, { rate_limit_per_second: 5 });
    for (let i = 0; i < 10; i++) await createPost(a, `Post ${i}`);
    expect(await eventually(async () => slow.received.length === 10 && paced.received.length === 10, 20_000)).toBe(true);
    expect(slow.maxInFlight).toBe(2);
    const times = paced.received.map((x) => x.at).sort((x, y) => x - y);
    // 5 a second, evenly spaced: 10 deliveries span at least 9 intervals of 200 ms.
    expect(times[9] - times[0]).toBeGreaterThanOrEqual(1_600);
    // 6 consecutive arrivals span 5 intervals (1 s), less the network's jitter; unlimited, all 10 would come within ~50 ms.
    for (let i = 0; i + 5 < times.length; i++) expect(times[i + 5] - times[i]).toBeGreaterThanOrEqual(800);
    // The last answers' bookkeeping commits just after the receiver replied.
    for (const id of [capped.id, limited.id]) expect(await eventually(async () => (await deliveriesOf(id)).every((d) => d.status === 'success' && d.attempts === 1), 5_000)).toBe(true);
  });

  it('holds max_in_flight as the endpoint has it now, not as the relay saw it when it queued the jobs', async () => {
    const a = await registerAccount(t);
    const slow = await receiver(() => ({ status: 200, delayMs: 300 }));
    const ep = await endpoint(a, slow.url, { max_in_flight: 1 });
    // Jobs queued while the endpoint still allowed 50 in flight (its limit was lowered since).
    const ids = Array.from({ length: 6 }, (_, i) => `${a.workspace.id.slice(-8)}${i}`);
    await db.query(
      `INSERT INTO events (id, workspace_id, type, data, published_at) SELECT 'evt_stale' || x, $1, 'post.created', '{}', now() FROM unnest($2::text[]) x`,
      [a.workspace.id, ids],
    );
    await db.query(
      `INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, event_type) SELECT 'dlv_stale' || x, $1, $2, 'evt_stale' || x, 'post.created' FROM unnest($3::text[]) x`,
      [a.workspace.id, ep.id, ids],
    );
    const queue = new Queue(Queues.webhooks, { connection: { url: stack.env.REDIS_URL }, prefix: 'tessera' });
    try {
      await queue.addBulk(ids.map((x) => ({ name: Jobs.deliverWebhook, data: { deliveryId: `dlv_stale${x}`, endpoint: { id: ep.id, maxInFlight: 50, rateLimitPerSecond: null } }, opts: { jobId: `dlv_stale${x}` } })));
    } finally {
      await queue.close();
    }
    expect(await eventually(async () => (await deliveriesOf(ep.id)).filter((d) => d.status === 'success').length === 6, 15_000)).toBe(true);
    expect(slow.received).toHaveLength(6);
    expect(slow.maxInFlight).toBe(1);
  });

  it('two workers on one Redis share the deliveries and send none twice', async () => {
    const second = await startTestWorker({ ...stack.env, ...SETTINGS });
    try {
      const a = await registerAccount(t);
      const r = await receiver(() => ({ status: 200, delayMs: 20 }));
      const ep = await endpoint(a, r.url, { max_in_flight: 20 });
      await db.query(
        `INSERT INTO events (id, workspace_id, type, data) SELECT 'evt_pair' || lpad(n::text, 6, '0') || $2, $1, 'post.created', '{}' FROM generate_series(1, 200) n`,
        [a.workspace.id, a.workspace.id.slice(-6)],
      );
      expect(await eventually(async () => r.received.length >= 200, 20_000)).toBe(true);
      expect(await eventually(async () => (await deliveriesOf(ep.id)).filter((d) => d.status === 'success').length === 200, 10_000)).toBe(true);
      // Every request the receiver saw is one recorded attempt: no delivery ran twice at once. (On a
      // starved machine an answer can miss the timeout; that attempt is then a recorded failure and
      // its retry a legitimate second request.)
      const seen = new Map<string, number>();
      for (const x of r.received) seen.set(String(x.headers['webhook-id']), (seen.get(String(x.headers['webhook-id'])) ?? 0) + 1);
      expect(seen.size).toBe(200);
      const attempts = await db.query(`SELECT d.event_id, count(*)::int AS n FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1 GROUP BY d.event_id`, [ep.id]);
      expect(Object.fromEntries(attempts.map((x: { event_id: string; n: number }) => [x.event_id, x.n]))).toEqual(Object.fromEntries(seen));
      expect(r.maxInFlight).toBeLessThanOrEqual(20);
      // Successes are recorded in batches: the endpoint's counter still moves once per delivery.
      expect((await endpointRow(ep.id)).success_count).toBe('200');
    } finally {
      await second.close();
    }
  });

  it('purges attempts, deliveries and relayed events past the retention period', async () => {
    const a = await registerAccount(t);
    const r = await receiver();
    const ep = await endpoint(a, r.url);
    await createPost(a, 'Old');
    await createPost(a, 'New');
    expect(await eventually(async () => (await deliveriesOf(ep.id)).filter((d) => d.status === 'success').length === 2, 10_000)).toBe(true);
    const [old, open] = await deliveriesOf(ep.id);
    await db.query(`UPDATE webhook_attempts SET created_at = now() - interval '40 days' WHERE delivery_id = $1`, [old.id]);
    // An old delivery that is open again (a replay reopened it) keeps itself and its attempts.
    await db.query(`UPDATE webhook_deliveries SET status = 'retrying', next_retry_at = now() + interval '1 hour', created_at = now() - interval '40 days' WHERE id = $1`, [open.id]);
    await db.query(`UPDATE webhook_attempts SET created_at = now() - interval '40 days' WHERE delivery_id = $1`, [open.id]);
    await db.query(`UPDATE webhook_deliveries SET created_at = now() - interval '40 days' WHERE id = $1`, [old.id]);
    await db.query(`UPDATE events SET published_at = now() - interval '40 days' WHERE id = $1`, [old.event_id]);
    const purged = await worker.get(DeliveryProcessor).purge();
    expect(purged.attempts).toBeGreaterThanOrEqual(1);
    expect(purged.deliveries).toBeGreaterThanOrEqual(1);
    expect(purged.events).toBeGreaterThanOrEqual(1);
    const left = await deliveriesOf(ep.id);
    expect(left).toHaveLength(1);
    expect(left[0].id).toBe(open.id);
    expect(await db.query(`SELECT id FROM events WHERE id = $1`, [old.event_id])).toEqual([]);
    expect(await attemptsOf(left[0].id)).toHaveLength(1);

    // The worker runs it on its own: an hourly BullMQ job scheduler.
    const queue = new Queue(Queues.webhooks, { connection: { url: stack.env.REDIS_URL }, prefix: 'tessera' });
    try {
      expect(await queue.getJobScheduler(Jobs.purgeWebhooks)).toMatchObject({ every: 3_600_000 });
    } finally {
      await queue.close();
    }
  });

  // Last: it closes the worker.
  it('closes gracefully: an attempt in flight when the worker shuts down completes and is recorded', async () => {
    const a = await registerAccount(t);
    const r = await receiver(() => ({ status: 200, delayMs: 1_000 }));
    const ep = await endpoint(a, r.url);
    await createPost(a);
    expect(await eventually(async () => r.inFlight === 1, 10_000)).toBe(true);
    await worker.close();
    const [delivery] = await deliveriesOf(ep.id);
    expect(delivery).toMatchObject({ status: 'success', attempts: 1, last_status_code: 200 });
    expect(await attemptsOf(delivery.id)).toMatchObject([{ status_code: 200, error: null }]);
  });
});
