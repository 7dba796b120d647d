import { createHmac, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { unseal } from '@tessera/common';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Account, addMember, createApiKey, eventually, registerAccount, sleep } from '../factories/accounts';
import { startTestApp, startTestWorker, TestApp, testConfig } from '../utils/app';
import { isolatedStack, IsolatedStack } from '../utils/isolated-stack';
import { Receiver, startReceiver } from '../utils/receiver';

/**
 * Inbound webhooks: sources (/webhooks/inbound-sources) and the route providers post their signed
 * callbacks to (/inbound/{source_id}), for both schemes: Standard Webhooks (signed here with the
 * standardwebhooks package) and Stripe (signed with node:crypto as Stripe documents it).
 */
let t: TestApp;
/** The same database and Redis, with rate limits on and one trusted proxy: each test speaks from its own address. */
let limited: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  limited = await startTestApp({ RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'true' });
});
afterAll(async () => {
  await Promise.all([t?.close(), limited?.close()]);
});

type Scheme = 'standard-webhooks' | 'stripe';
interface Source {
  id: string;
  name: string;
  scheme: Scheme;
  secret: string;
  workspaceId: string;
}

const ws = (a: Account) => ({ 'X-Workspace-ID': a.workspace.id });
const now = () => Math.floor(Date.now() / 1000);
const db = () => t.app.get(DataSource);
const uniqueName = (tag = 'src') => `${tag}-${randomBytes(4).toString('hex')}`;
const stripeSecret = () => `whsec_${randomBytes(24).toString('hex')}`;
const REFUSED = /^The callback is not accepted/;

async function createSource(a: Account, scheme: Scheme, body: Record<string, unknown> = {}): Promise<Source> {
  const res = await t
    .http()
    .post('/api/v1/webhooks/inbound-sources')
    .set(a.auth)
    .set(ws(a))
    .send({ name: uniqueName(), scheme, ...(scheme === 'stripe' ? { secret: stripeSecret() } : {}), ...body });
  if (res.status !== 201) throw new Error(`source create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.data.id, name: res.body.data.name, scheme, secret: res.body.data.secret, workspaceId: a.workspace.id };
}

/** The headers a provider of `source`'s scheme sends with `body`, signed at `at` (unix seconds). */
function signed(source: Pick<Source, 'scheme' | 'secret'>, messageId: string, body: string | Buffer, at = now()): Record<string, string> {
  if (source.scheme === 'stripe') {
    const v1 = createHmac('sha256', source.secret).update(`${at}.`).update(body).digest('hex');
    return { 'Stripe-Signature': `t=${at},v1=${v1}` };
  }
  return { 'webhook-id': messageId, 'webhook-timestamp': String(at), 'webhook-signature': new Webhook(source.secret).sign(messageId, new Date(at * 1000), body) };
}

/** A JSON body of the scheme: Stripe's carries the event id, which is its message id. */
function eventBody(source: Pick<Source, 'scheme'>, messageId: string): string {
  return JSON.stringify(source.scheme === 'stripe' ? { id: messageId, object: 'event', type: 'invoice.paid', data: { object: { id: 'in_1' } } } : { type: 'user.created', data: { id: 42, name: 'Ada' } });
}

function send(app: TestApp, sourceId: string, headers: Record<string, string>, body: string | Buffer, contentType = 'application/json') {
  return app.http().post(`/api/v1/inbound/${sourceId}`).set('Content-Type', contentType).set(headers).send(body);
}

async function events(workspaceId: string): Promise<Array<{ id: string; type: string; data: Record<string, unknown> }>> {
  return db().query(`SELECT id, type, data FROM events WHERE workspace_id = $1 AND type LIKE 'inbound.%' ORDER BY created_at, id`, [workspaceId]);
}

function expectRefused(res: { status: number; body: Record<string, unknown> }, what: string): void {
  expect(res.status, what).toBe(401);
  expect(res.body, what).toMatchObject({ success: false, status: 401, code: 'UNAUTHORIZED', data: null });
  expect(res.body.message, what).toMatch(REFUSED);
}

const msgId = (scheme: Scheme) => (scheme === 'stripe' ? `evt_${randomBytes(8).toString('hex')}` : `msg_${randomBytes(8).toString('hex')}`);

describe.each(['standard-webhooks', 'stripe'] as const)('Receive [POST /inbound/{source_id}] (%s)', (scheme) => {
  it('accepts a good signature: 200 and one outbox event inbound.<name>.received with the payload', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, scheme);
    const id = msgId(scheme);
    const body = eventBody(source, id);
    const res = await send(t, source.id, signed(source, id, body), body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, status: 200, code: 'OK', data: { event_type: `inbound.${source.name}.received`, duplicate: false } });
    expect(res.body.data.id).toMatch(/^inb_/);
    const rows = await events(a.workspace.id);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(res.body.data.event_id);
    expect(rows[0].type).toBe(`inbound.${source.name}.received`);
    expect(rows[0].data).toEqual({ source_id: source.id, source_name: source.name, message_id: id, payload: JSON.parse(body) });
    const [message] = await db().query(`SELECT * FROM inbound_messages WHERE source_id = $1`, [source.id]);
    expect(message).toMatchObject({ id: res.body.data.id, workspace_id: a.workspace.id, message_id: id, event_id: rows[0].id });
  });

  it('refuses a bad signature, a changed body and a missing signature with 401, and emits nothing', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, scheme);
    const id = msgId(scheme);
    const body = eventBody(source, id);
    const other = scheme === 'stripe' ? { scheme, secret: stripeSecret() } : { scheme, secret: `whsec_${randomBytes(24).toString('base64')}` };
    expectRefused(await send(t, source.id, signed(other, id, body), body), 'another secret');
    expectRefused(await send(t, source.id, signed(source, id, body), `${body} `), 'changed body');
    expectRefused(await send(t, source.id, {}, body), 'no signature');
    expectRefused(await send(t, source.id, scheme === 'stripe' ? signed({ scheme: 'standard-webhooks', secret: `whsec_${randomBytes(24).toString('base64')}` }, id, body) : signed({ scheme: 'stripe', secret: source.secret }, id, body), body), 'the other scheme');
    expect(await events(a.workspace.id)).toEqual([]);
  });

  it('refuses a timestamp more than 5 minutes in the past or in the future (401)', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, scheme);
    for (const at of [now() - 6 * 60, now() + 6 * 60, 0]) {
      const id = msgId(scheme);
      const body = eventBody(source, id);
      expectRefused(await send(t, source.id, signed(source, id, body, at), body), `t=${at}`);
    }
    // Within the tolerance either way is accepted.
    for (const at of [now() - 4 * 60, now() + 4 * 60]) {
      const id = msgId(scheme);
      const body = eventBody(source, id);
      expect((await send(t, source.id, signed(source, id, body, at), body)).status, `t=${at}`).toBe(200);
    }
    expect(await events(a.workspace.id)).toHaveLength(2);
  });

  it('answers a replayed message id 200 with duplicate: true and emits no second event', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, scheme);
    const id = msgId(scheme);
    const body = eventBody(source, id);
    const first = await send(t, source.id, signed(source, id, body), body);
    expect(first.status).toBe(200);
    // The same request again, and the provider's retry later with a fresh timestamp and signature.
    const again = await send(t, source.id, signed(source, id, body), body);
    const retried = await send(t, source.id, signed(source, id, body, now() - 30), body);
    for (const res of [again, retried]) {
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ ...first.body.data, duplicate: true });
    }
    expect(await events(a.workspace.id)).toHaveLength(1);
  });

  it('makes exactly one event of 20 concurrent sends of the same message id', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, scheme);
    const id = msgId(scheme);
    const body = eventBody(source, id);
    const answers = await Promise.all(Array.from({ length: 20 }, () => send(t, source.id, signed(source, id, body), body)));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((r) => r.body.data.duplicate === false)).toHaveLength(1);
    expect(new Set(answers.map((r) => r.body.data.event_id)).size).toBe(1);
    expect(await events(a.workspace.id)).toHaveLength(1);
    expect((await db().query(`SELECT count(*)::int AS n FROM inbound_messages WHERE source_id = $1`, [source.id]))[0].n).toBe(1);
  });

  it('refuses a body over 256 KB with 413 in the envelope (with Content-Length, and chunked)', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, scheme);
    const id = msgId(scheme);
    const big = JSON.stringify({ id, pad: 'x'.repeat(256 * 1024) });
    const res = await send(t, source.id, signed(source, id, big), big);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ success: false, status: 413, code: 'PAYLOAD_TOO_LARGE', data: null });
    expect(res.body.message).toMatch(/256 KB/);

    // Chunked (no Content-Length): the cap holds while the body streams in, whatever its type.
    for (const type of ['application/json', 'application/octet-stream']) {
      const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const { hostname, port } = new URL(t.url);
        const req = httpRequest({ hostname, port, method: 'POST', path: `/api/v1/inbound/${source.id}`, headers: { 'Content-Type': type, ...signed(source, id, big) } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        for (let i = 0; i < big.length; i += 16 * 1024) req.write(big.slice(i, i + 16 * 1024));
        req.end();
      });
      expect(chunked.status, type).toBe(413);
      expect(JSON.parse(chunked.body), type).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/256 KB/) });
    }

    // Just under the limit is accepted.
    const fits = JSON.stringify({ id, pad: 'x'.repeat(255 * 1024) });
    expect((await send(t, source.id, signed(source, id, fits), fits)).status).toBe(200);
    expect(await events(a.workspace.id)).toHaveLength(1);
  });

  it('refuses an unknown source, a malformed id, an inactive, a deleted and another workspace’s source with the same 401', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const source = await createSource(a, scheme);
    const foreign = await createSource(b, scheme);
    const id = msgId(scheme);
    const body = eventBody(source, id);
    const answers = [
      ['unknown id', await send(t, 'src_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', signed(source, id, body), body)],
      ['malformed id', await send(t, 'not-an-id', signed(source, id, body), body)],
      ['a webhook endpoint id', await send(t, 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', signed(source, id, body), body)],
      // Signed with a's secret, posted to b's source; and signed with b's, posted to a's.
      ['another workspace’s source', await send(t, foreign.id, signed(source, id, body), body)],
      ['signed with another workspace’s secret', await send(t, source.id, signed(foreign, id, body), body)],
    ] as const;
    await t.http().patch(`/api/v1/webhooks/inbound-sources/${source.id}`).set(a.auth).set(ws(a)).send({ is_active: false });
    const inactive = await send(t, source.id, signed(source, id, body), body);
    await t.http().delete(`/api/v1/webhooks/inbound-sources/${source.id}`).set(a.auth).set(ws(a));
    const deleted = await send(t, source.id, signed(source, id, body), body);
    const all = [...answers, ['inactive', inactive], ['deleted', deleted]] as const;
    for (const [what, res] of all) expectRefused(res, what);
    expect(new Set(all.map(([, res]) => res.body.message)).size).toBe(1);
    expect(await events(a.workspace.id)).toEqual([]);
    expect(await events(b.workspace.id)).toEqual([]);
  });
});

describe('Receive [POST /inbound/{source_id}]: a source deleted meanwhile', () => {
  it('answers 401, not 500, when the source is deleted between its check and the insert', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, 'standard-webhooks');
    const deleter = new Client({ connectionString: inject('databaseUrl') });
    // Another session watches: inside the deleter's transaction pg_stat_activity would be a snapshot.
    const watcher = new Client({ connectionString: inject('databaseUrl') });
    await Promise.all([deleter.connect(), watcher.connect()]);
    try {
      await deleter.query('BEGIN');
      await deleter.query('DELETE FROM inbound_sources WHERE id = $1', [source.id]);
      const body = eventBody(source, 'm');
      const pending = send(t, source.id, signed(source, 'msg_race', body), body).then((r) => r);
      // The callback found the source (the delete is not committed) and now waits on its row lock.
      const waiting = async () => (await watcher.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO inbound_messages%'`)).rowCount! > 0;
      expect(await eventually(waiting, 15_000)).toBe(true);
      await deleter.query('COMMIT');
      expectRefused(await pending, 'deleted meanwhile');
    } finally {
      await Promise.all([deleter.end(), watcher.end()]);
    }
    expect(await events(a.workspace.id)).toEqual([]);
  });
});

describe('Receive [POST /inbound/{source_id}]: bodies', () => {
  it('accepts a body that is not JSON as text, whatever its content type, and verifies the bytes as sent', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, 'standard-webhooks');
    const cases: Array<[string, string | Buffer, unknown]> = [
      ['text/plain', 'hello=1&world', 'hello=1&world'],
      ['application/json', '{"not json', '{"not json'],
      ['application/x-www-form-urlencoded', 'a=1&b=%20', 'a=1&b=%20'],
      ['application/octet-stream', Buffer.from('caf\u00e9 \u2603'), 'caf\u00e9 \u2603'],
      // JSON with insignificant whitespace: verified over the bytes, stored parsed.
      ['application/json; charset=utf-8', '{ "a" :  [1, 2] }\n', { a: [1, 2] }],
      ['text/plain', '{"b":true}', { b: true }],
    ];
    const expected: unknown[] = [];
    for (const [type, body, payload] of cases) {
      const id = msgId('standard-webhooks');
      const res = await send(t, source.id, signed(source, id, body), body, type);
      expect(res.status, type).toBe(200);
      expected.push(payload);
    }
    expect((await events(a.workspace.id)).map((e) => e.data.payload)).toEqual(expected);
  });

  it('accepts a callback with no content type and no body', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, 'standard-webhooks');
    const res = await t.http().post(`/api/v1/inbound/${source.id}`).set(signed(source, 'msg_empty', ''));
    expect(res.status).toBe(200);
    expect((await events(a.workspace.id))[0].data.payload).toBe('');
  });

  it('keeps JSON holding \\u0000 as its text, and refuses a NUL byte in a text body with 400', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, 'standard-webhooks');
    const json = '{"a":"x\\u0000y"}';
    expect((await send(t, source.id, signed(source, 'msg_nul_json', json), json)).status).toBe(200);
    const text = 'a\u0000b';
    const refused = await send(t, source.id, signed(source, 'msg_nul_text', text), text, 'text/plain');
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ success: false, code: 'BAD_REQUEST', data: null });
    expect((await events(a.workspace.id)).map((e) => e.data.payload)).toEqual([json]);
  });

  it('refuses a signed Stripe callback whose body is not an event with an id (400), and emits nothing', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, 'stripe');
    for (const body of ['{"object":"event"}', 'not json', '{"id":42}']) {
      const res = await send(t, source.id, signed(source, '', body), body);
      expect(res.status, body).toBe(400);
    }
    expect(await events(a.workspace.id)).toEqual([]);
  });
});

describe('Receive [POST /inbound/{source_id}]: throttling (rate limits on)', () => {
  it('answers 429 to an address past 30 refused callbacks to a source, even with a good signature, while other addresses pass', async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, 'standard-webhooks');
    const attacker = { 'X-Forwarded-For': `198.51.100.${1 + Math.floor(Math.random() * 250)}` };
    const forged = (i: number) => ({ ...attacker, 'webhook-id': `g${i}`, 'webhook-timestamp': String(now()), 'webhook-signature': 'v1,Zm9yZ2Vk' });
    /** Forged callbacks to the source until the address is refused with 429 (refusals count per address and source: review finding 4). */
    const spend = async (from: number) => {
      const statuses: number[] = [];
      for (let i = from; statuses.at(-1) !== 429 && i < from + 60; i++) {
        statuses.push((await send(limited, source.id, forged(i), '{}')).status);
      }
      return statuses;
    };
    const first = await spend(0);
    expect(first.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(first.at(-1)).toBe(429);
    expect(first.every((s) => s === 401 || s === 429)).toBe(true);
    // A refill (one every 2 s) may land between two requests on a slow machine: three tries.
    const body = eventBody(source, 'm');
    let blocked: { status: number; body: Record<string, unknown>; headers: Record<string, string> } | undefined;
    for (let attempt = 0; attempt < 3 && blocked?.status !== 429; attempt++) {
      if (attempt > 0) await spend(100 * attempt);
      blocked = await send(limited, source.id, { ...attacker, ...signed(source, `msg_blocked_${attempt}`, body) }, body);
    }
    expect(blocked!.status).toBe(429);
    expect(blocked!.body).toMatchObject({ code: 'RATE_LIMITED', meta: { limit: 30 } });
    expect(Number(blocked!.headers['retry-after'])).toBeGreaterThan(0);
    const provider = { 'X-Forwarded-For': '203.0.113.9' };
    expect((await send(limited, source.id, { ...provider, ...signed(source, 'msg_ok', body) }, body)).status).toBe(200);
    expect((await events(a.workspace.id)).map((e) => e.data.message_id)).toContain('msg_ok');
  });

  it("limits a source's accepted callbacks to its workspace tier per minute, whatever the address", async () => {
    const a = await registerAccount(t);
    const source = await createSource(a, 'standard-webhooks');
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const body = `{"n":${i}}`;
        return send(limited, source.id, { 'X-Forwarded-For': `203.0.113.${i + 100}`, ...signed(source, `burst_${i}`, body) }, body);
      }),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // free: 60 a minute and no burst; one more each second while the 100 arrive.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(answers.find((r) => r.status === 429)!.body).toMatchObject({ code: 'RATE_LIMITED', meta: { limit: 60 } });
    expect(await events(a.workspace.id)).toHaveLength(statuses.filter((s) => s === 200).length);
  });
});

describe('Inbound sources [/webhooks/inbound-sources]', () => {
  const path = '/api/v1/webhooks/inbound-sources';

  it('CRUD: the secret is shown only on create and stored sealed; the url and event type are given', async () => {
    const a = await registerAccount(t);
    const created = await t.http().post(path).set(a.auth).set(ws(a)).send({ name: 'billing', description: 'Our billing provider' });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    expect(id).toMatch(/^src_/);
    expect(created.body.data).toMatchObject({
      name: 'billing',
      scheme: 'standard-webhooks',
      description: 'Our billing provider',
      is_active: true,
      url: `${t.url}/api/v1/inbound/${id}`,
      event_type: 'inbound.billing.received',
    });
    const secret: string = created.body.data.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const [row] = await db().query(`SELECT * FROM inbound_sources WHERE id = $1`, [id]);
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
    expect(unseal(testConfig().encryptionKey, row.secret_sealed, id).toString()).toBe(secret);

    const got = await t.http().get(`${path}/${id}`).set(a.auth).set(ws(a));
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual((({ secret: _, ...rest }) => rest)(created.body.data));
    const list = await t.http().get(path).set(a.auth).set(ws(a));
    expect(list.status).toBe(200);
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([id]);
    expect(list.body.data[0].secret).toBeUndefined();

    const patched = await t.http().patch(`${path}/${id}`).set(a.auth).set(ws(a)).send({ name: 'billing-v2', is_active: false });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({ name: 'billing-v2', is_active: false, event_type: 'inbound.billing-v2.received' });
    expect(patched.body.data.secret).toBeUndefined();
    expect((await t.http().get(`${path}?is_active=false&scheme=standard-webhooks`).set(a.auth).set(ws(a))).body.data).toHaveLength(1);
    expect((await t.http().get(`${path}?scheme=stripe`).set(a.auth).set(ws(a))).body.data).toHaveLength(0);

    expect((await t.http().delete(`${path}/${id}`).set(a.auth).set(ws(a))).status).toBe(204);
    expect((await t.http().get(`${path}/${id}`).set(a.auth).set(ws(a))).status).toBe(404);
    // Audit rows are written without holding up the answer: the last one may land just after it.
    const actions = async () => ((await t.http().get('/api/v1/audit-logs?per_page=100').set(a.auth).set(ws(a))).body.data as Array<{ action: string }>).map((e) => e.action);
    expect(await eventually(async () => (await actions()).includes('inbound_source.deleted'))).toBe(true);
    expect(await actions()).toEqual(expect.arrayContaining(['inbound_source.created', 'inbound_source.updated', 'inbound_source.deleted']));
  });

  it('keeps a Standard Webhooks secret the caller chose, and a Stripe one exactly as given (required)', async () => {
    const a = await registerAccount(t);
    const chosen = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
    const standard = await t.http().post(path).set(a.auth).set(ws(a)).send({ name: 'svix', secret: chosen });
    expect(standard.status).toBe(201);
    expect(standard.body.data.secret).toBe(chosen);
    const stripe = 'whsec_4eC39HqLyjWDarjtT1zdp7dc';
    const created = await t.http().post(path).set(a.auth).set(ws(a)).send({ name: 'stripe', scheme: 'stripe', secret: stripe });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ scheme: 'stripe', secret: stripe, event_type: 'inbound.stripe.received' });
    const missing = await t.http().post(path).set(a.auth).set(ws(a)).send({ name: 'stripe-2', scheme: 'stripe' });
    expect(missing.status).toBe(422);
    expect(missing.body.meta.errors.secret).toBeDefined();
  });

  it('refuses hostile names, schemes and secrets with 422 in the envelope, and a taken name with 409', async () => {
    const a = await registerAccount(t);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'Stripe' }, 'name'],
      [{ name: 'has space' }, 'name'],
      [{ name: 'dots.in.name' }, 'name'],
      [{ name: '-leading' }, 'name'],
      [{ name: 'a'.repeat(41) }, 'name'],
      [{ name: 'nul\u0000' }, 'name'],
      [{ name: 42 }, 'name'],
      [{ name: ['x'] }, 'name'],
      [{ name: 'ok', scheme: 'github' }, 'scheme'],
      [{ name: 'ok', secret: 'whsec_short' }, 'secret'],
      [{ name: 'ok', secret: 'not-a-secret' }, 'secret'],
      [{ name: 'ok', secret: 42 }, 'secret'],
      [{ name: 'ok', scheme: 'stripe', secret: 'sk_live_nope' }, 'secret'],
      [{ name: 'ok', scheme: 'stripe', secret: `whsec_${'x'.repeat(300)}` }, 'secret'],
      [{ name: 'ok', scheme: 'stripe', secret: 'whsec_has space inside' }, 'secret'],
      [{ name: 'ok', scheme: 'stripe', secret: 'whsec_nul\u0000byte' }, 'secret'],
      [{ name: 'ok', description: 'x'.repeat(501) }, 'description'],
      [{ name: 'ok', workspace_id: 'ws_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }, 'workspace_id'],
    ];
    for (const [body, field] of cases) {
      const res = await t.http().post(path).set(a.auth).set(ws(a)).send(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR', data: null });
      expect(Object.keys(res.body.meta.errors), JSON.stringify(body).slice(0, 80)).toContain(field);
    }
    expect((await t.http().get(path).set(a.auth).set(ws(a))).body.data).toEqual([]);
    expect((await t.http().post(path).set(a.auth).set(ws(a)).send({ name: 'dup' })).status).toBe(201);
    const taken = await t.http().post(path).set(a.auth).set(ws(a)).send({ name: 'dup' });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'CONFLICT', meta: { errors: { name: ['has already been taken'] } } });
    const other = (await t.http().post(path).set(a.auth).set(ws(a)).send({ name: 'other' })).body.data.id;
    expect((await t.http().patch(`${path}/${other}`).set(a.auth).set(ws(a)).send({ name: 'dup' })).status).toBe(409);
    expect((await t.http().patch(`${path}/${other}`).set(a.auth).set(ws(a)).send({ name: 'BAD' })).status).toBe(422);
    expect((await t.http().patch(`${path}/${other}`).set(a.auth).set(ws(a)).send({ scheme: 'stripe' })).status).toBe(422);
  });

  it("another workspace's source, a malformed id and a stranger's call are 404", async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const { id } = await createSource(a, 'standard-webhooks');
    for (const method of ['get', 'patch', 'delete'] as const) {
      const own = await t.http()[method](`${path}/${id}`).set(b.auth).set(ws(b)).send({ description: 'taken' });
      expect(own.status, `${method} as b in b`).toBe(404);
      const stranger = await t.http()[method](`${path}/${id}`).set(b.auth).set(ws(a)).send({ description: 'taken' });
      expect(stranger.status, `${method} as b in a`).toBe(404);
    }
    for (const bad of ['src_nope', 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', '%27%20OR%201%3D1']) {
      expect((await t.http().get(`${path}/${bad}`).set(a.auth).set(ws(a))).status, bad).toBe(404);
    }
    expect((await t.http().get(`${path}/${id}`).set(a.auth).set(ws(a))).body.data.description).toBe('');
    expect((await t.http().get(path).set(b.auth).set(ws(b))).body.data).toEqual([]);
  });

  it('needs webhooks:write to change and webhooks:read to read (403)', async () => {
    const a = await registerAccount(t);
    const { id } = await createSource(a, 'standard-webhooks');
    const reader = await createApiKey(t, a, { scopes: ['webhooks:read'] });
    const refused = await t.http().post(path).set(reader.auth).send({ name: 'nope' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN', meta: { required_scopes: ['webhooks:write'] } });
    expect((await t.http().patch(`${path}/${id}`).set(reader.auth).send({ description: 'x' })).status).toBe(403);
    expect((await t.http().delete(`${path}/${id}`).set(reader.auth)).status).toBe(403);
    expect((await t.http().get(`${path}/${id}`).set(reader.auth)).status).toBe(200);
    const postsOnly = await createApiKey(t, a, { scopes: ['posts:read'] });
    expect((await t.http().get(path).set(postsOnly.auth)).status).toBe(403);
    const viewer = await addMember(t, a, a.workspace.id, 'viewer');
    expect((await t.http().get(path).set(viewer.auth).set(ws(a))).status).toBe(200);
    expect((await t.http().post(path).set(viewer.auth).set(ws(a)).send({ name: 'viewer-made' })).status).toBe(403);
  });

  it('answers a burst of 40 concurrent creates with no 5xx: 20 created (the cap), 20 refused with 409', async () => {
    const a = await registerAccount(t);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => t.http().post(path).set(a.auth).set(ws(a)).send({ name: `burst-${i}` }).timeout(30_000)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.filter((s) => s === 409)).toHaveLength(20);
    expect(answers.find((r) => r.status === 409)!.body).toMatchObject({ code: 'CONFLICT', meta: { limit: 20, current_usage: 20 } });
    expect((await t.http().get(`${path}?per_page=100`).set(a.auth).set(ws(a))).body.meta.pagination.total).toBe(20);
    // The same name 10 times at once: one wins, the others are 409, never 500.
    const b = await registerAccount(t);
    const same = await Promise.all(Array.from({ length: 10 }, () => t.http().post(path).set(b.auth).set(ws(b)).send({ name: 'same' })));
    expect(same.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
  });
});

describe('Subscribing to inbound events [/webhooks]', () => {
  it('accepts inbound.*, inbound.<name>.* and inbound.<name>.received, refuses malformed inbound types, and lists the pattern in the catalog', async () => {
    const a = await registerAccount(t);
    const ok = await t.http().post('/api/v1/webhooks').set(a.auth).set(ws(a)).send({ url: 'https://hooks.example.com/x', events: ['inbound.*', 'inbound.stripe.received', 'inbound.github.*'] });
    expect(ok.status).toBe(201);
    expect(ok.body.data.events).toEqual(['inbound.*', 'inbound.stripe.received', 'inbound.github.*']);
    for (const bad of ['inbound.Stripe.received', 'inbound.stripe', 'inbound.a.b.received', 'inbound.*.received']) {
      const res = await t.http().post('/api/v1/webhooks').set(a.auth).set(ws(a)).send({ url: 'https://hooks.example.com/x', events: [bad] });
      expect(res.status, bad).toBe(422);
    }
    const catalog = await t.http().get('/api/v1/webhooks/event-types?per_page=100').set(a.auth).set(ws(a));
    const inbound = (catalog.body.data as Array<{ type: string; description: string; example: Record<string, unknown> }>).find((e) => e.type === 'inbound.{source_name}.received');
    expect(inbound?.description).toMatch(/inbound\.\*/);
    expect(inbound?.example).toMatchObject({ source_id: expect.stringMatching(/^src_/), source_name: expect.any(String), message_id: expect.any(String), payload: expect.any(Object) });
  });

  it('documents every inbound route in OpenAPI', async () => {
    const doc = (await t.http().get('/docs/openapi.json')).body;
    for (const [method, p] of [['get', '/api/v1/webhooks/inbound-sources'], ['post', '/api/v1/webhooks/inbound-sources'], ['get', '/api/v1/webhooks/inbound-sources/{id}'], ['patch', '/api/v1/webhooks/inbound-sources/{id}'], ['delete', '/api/v1/webhooks/inbound-sources/{id}'], ['post', '/api/v1/inbound/{source_id}']]) {
      expect(doc.paths[p]?.[method], `${method} ${p}`).toBeDefined();
    }
    const receive = doc.paths['/api/v1/inbound/{source_id}'].post;
    expect(Object.keys(receive.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '413', '429']));
    expect(receive.security).toBeUndefined();
    expect(doc.paths['/api/v1/webhooks/inbound-sources'].post['x-required-scopes']).toEqual(['webhooks:write']);
  });
});

describe('One engine, in and out: an accepted callback is delivered to the endpoints subscribed to it', () => {
  // Its own database and Redis, so that its worker relays only the events of this test.
  let stack: IsolatedStack;
  let app: TestApp;
  let worker: INestApplicationContext;
  let r: Receiver;
  beforeAll(async () => {
    stack = await isolatedStack();
    app = await startTestApp(stack.env);
    worker = await startTestWorker(stack.env);
    r = await startReceiver();
  });
  afterAll(async () => {
    await worker?.close();
    await app?.close();
    await r?.close();
    await stack?.drop();
  });

  it('delivers inbound.<name>.received, signed, to an endpoint subscribed to inbound.*, and not to one subscribed to post.*', async () => {
    const a = await registerAccount(app);
    const created = await app.http().post('/api/v1/webhooks/inbound-sources').set(a.auth).set(ws(a)).send({ name: 'payments', scheme: 'stripe', secret: stripeSecret() });
    const source: Source = { id: created.body.data.id, name: 'payments', scheme: 'stripe', secret: created.body.data.secret, workspaceId: a.workspace.id };
    const out = await app.http().post('/api/v1/webhooks').set(a.auth).set(ws(a)).send({ url: r.url, events: ['inbound.*'] });
    const other = await app.http().post('/api/v1/webhooks').set(a.auth).set(ws(a)).send({ url: `${r.url}/posts-only`, events: ['post.*'] });
    expect([out.status, other.status]).toEqual([201, 201]);
    const id = msgId('stripe');
    const body = eventBody(source, id);
    expect((await send(app, source.id, signed(source, id, body), body)).status).toBe(200);

    expect(await eventually(async () => r.received.length >= 1, 15_000)).toBe(true);
    const delivered = new Webhook(out.body.data.secret).verify(r.received[0].body, r.received[0].headers as Record<string, string>) as Record<string, any>;
    expect(delivered).toMatchObject({ type: 'inbound.payments.received', workspace_id: a.workspace.id, data: { source_id: source.id, source_name: 'payments', message_id: id, payload: JSON.parse(body) } });
    await sleep(500);
    expect(r.received).toHaveLength(1);
  });
});
