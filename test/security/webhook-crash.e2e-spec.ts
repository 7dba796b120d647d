import { Queue } from 'bullmq';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, registerAccount, sleep } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';
import { isolatedStack, IsolatedStack } from '../utils/isolated-stack';
import { Receiver, startReceiver } from '../utils/receiver';
import { spawnWorker, WorkerProcess } from '../utils/worker-process';

/** The shortest lock the configuration allows with a 3 s timeout: a killed worker's jobs come back after it. */
const SETTINGS = { WEBHOOKS_TIMEOUT_MS: '3000', WEBHOOKS_LOCK_MS: '18000', WEBHOOKS_RETRY_SCHEDULE: '0.5,0.5,0.5' };
const EVENTS = 1_000;

let stack: IsolatedStack;
let t: TestApp;
let receiver: Receiver;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  stack = await isolatedStack();
  t = await startTestApp({ ...stack.env, ...SETTINGS });
  receiver = await startReceiver(() => ({ status: 200, delayMs: 40 }));
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill9()));
  await receiver?.close();
  await t?.close();
  await stack?.drop();
});

describe('Webhook workers: kill -9 and restart', () => {
  it('delivers every one of 1,000 events at least once, and none twice while the first worker lived', { timeout: 90_000 }, async () => {
    const a = await registerAccount(t);
    const created = await t.http().post('/api/v1/webhooks').set(a.auth).set({ 'X-Workspace-ID': a.workspace.id }).send({ url: receiver.url, events: ['post.*'], max_in_flight: 20 });
    expect(created.status).toBe(201);

    const first = spawnWorker({ ...stack.env, ...SETTINGS });
    workers.push(first);
    await first.ready;

    const db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    const ids: string[] = [];
    try {
      const rows = await db.query(
        `INSERT INTO events (id, workspace_id, type, data)
         SELECT 'evt_crash' || lpad(n::text, 6, '0'), $1, 'post.created', jsonb_build_object('n', n) FROM generate_series(1, $2) n RETURNING id`,
        [a.workspace.id, EVENTS],
      );
      ids.push(...rows.rows.map((r: { id: string }) => r.id));
    } finally {
      await db.end();
    }

    // Kill it mid-stream, once every delivery is queued (the sweep, not this test, covers a death between commit and enqueue).
    const queue = new Queue('webhooks', { connection: { url: stack.env.REDIS_URL }, prefix: 'tessera' });
    try {
      expect(await eventually(async () => {
        const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'prioritized');
        return Object.values(c).reduce((x, y) => x + y, 0) >= EVENTS;
      }, 20_000)).toBe(true);
    } finally {
      await queue.close();
    }
    expect(await eventually(async () => receiver.received.length >= 200, 20_000)).toBe(true);
    await first.kill9();
    const beforeKill = receiver.received.slice();
    expect(beforeKill.length).toBeLessThan(EVENTS);

    const counts = (list: typeof beforeKill) => {
      const m = new Map<string, number>();
      for (const r of list) m.set(String(r.headers['webhook-id']), (m.get(String(r.headers['webhook-id'])) ?? 0) + 1);
      return m;
    };
    // None twice while it lived: a repeat is only allowed where the first request was recorded as a
    // failed attempt (an answer that missed the timeout on a starved machine), never a double run.
    const repeated = [...counts(beforeKill).entries()].filter(([, n]) => n > 1).map(([id]) => id);
    if (repeated.length) {
      const check = new Client({ connectionString: stack.env.DATABASE_URL });
      await check.connect();
      try {
        const failed = await check.query(
          `SELECT d.event_id FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
            WHERE d.event_id = ANY($1::text[]) AND (a.error IS NOT NULL OR a.status_code NOT BETWEEN 200 AND 299) GROUP BY d.event_id`,
          [repeated],
        );
        expect(failed.rows.map((r: { event_id: string }) => r.event_id).sort()).toEqual(repeated.sort());
      } finally {
        await check.end();
      }
    }

    const second = spawnWorker({ ...stack.env, ...SETTINGS });
    workers.push(second);
    await second.ready;
    expect(await eventually(async () => counts(receiver.received).size === EVENTS, 60_000)).toBe(true);
    const all = counts(receiver.received);
    expect(ids.every((id) => all.has(id))).toBe(true);
    // Repeats: the requests in flight at the kill (at most max_in_flight, 20) and any answer that
    // missed the timeout; a design that re-sent what was already delivered would repeat hundreds.
    const repeats = [...all.values()].filter((n) => n > 1).length;
    expect(repeats).toBeLessThanOrEqual(50);
    await sleep(200);
    const stopped = Date.now();
    expect(await second.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(Date.now() - stopped).toBeLessThan(15_000);
  });
});
