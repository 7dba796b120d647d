import type { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveriesRepository } from '../../src/modules/webhooks/deliveries.repository';
import { eventually, registerAccount } from '../factories/accounts';
import type { TestApp } from '../utils/app';
import { rowsRead, settledRowsRead, StatementLab, statementLab } from '../utils/rows-read';

// The worker records each batch of successful deliveries in one statement (DeliveriesRepository.
// recordSuccesses), called here directly, with no HTTP in between.
//
// What that statement
// costs must follow the batch, not the backlog. It did not: PostgreSQL planned it from statistics
// older than the burst (a quiet table, analyzed; then 20,000 deliveries queued at once) and read
// every open delivery through the partial index of open deliveries, for every batch of twenty. On
// a fresh database it was worse: the worker's generic plan, made while the table was empty, read
// the whole table per batch until autovacuum ran (bench:webhooks' first round at a sixth of the
// others). PostgreSQL's own counters of rows read (pg_stat_user_tables) tell the two apart.

let lab: StatementLab;
let t: TestApp;
let worker: INestApplicationContext;
let observer: Client;
let query: StatementLab['query'];

beforeAll(async () => {
  lab = await statementLab();
  ({ t, worker, observer, query } = lab);
});
afterAll(async () => {
  await lab?.close();
});

const DELIVERIES = ['webhook_deliveries'] as const;
/** Rows of webhook_deliveries read so far, by sequential and index scans, as PostgreSQL last published it. */
const deliveriesRead = async () => (await rowsRead(observer, DELIVERIES)).webhook_deliveries;
const settledDeliveriesRead = async () => (await settledRowsRead(observer, DELIVERIES)).webhook_deliveries;

describe('Recording a batch of successes reads the batch, not the backlog', () => {
  let endpointId: string;
  let ws: string;
  /** `n` deliveries of already relayed events (the relay and the queue never see them), numbered from `from`. */
  const deliveries = (from: number, n: number, status: string) =>
    query(
      `WITH e AS (INSERT INTO events (id, workspace_id, type, data, published_at) SELECT 'evt_plan' || g, $1, 'post.created', '{}', now() FROM generate_series($3::int, $3::int + $4::int - 1) g RETURNING id)
       INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, event_type, status) SELECT 'whd_plan' || substr(e.id, 9), $1, $2, e.id, 'post.created', $5 FROM e`,
      [ws, endpointId, from, n, status],
    );
  const record = (ids: string[]) =>
    worker.get(DeliveriesRepository).recordSuccesses(ids.map((deliveryId) => ({ deliveryId, endpointId, statusCode: 200, responseBody: 'ok', durationMs: 3, error: null, attempt: 1 })));

  /** Records five batches of 20 open deliveries numbered from `from`; answers the delivery rows read meanwhile. */
  async function fiveBatchesFrom(from: number): Promise<number> {
    const before = await settledDeliveriesRead();
    const batches = Array.from({ length: 5 }, (_, b) => Array.from({ length: 20 }, (_, i) => `whd_plan${from + b * 20 + i}`));
    for (const batch of batches) expect((await record(batch)).filter((o) => o !== null)).toHaveLength(20);
    // Every delivery of the five batches ended as a success, with its one attempt.
    const [ended] = await query(
      `SELECT count(*)::int AS n FROM webhook_deliveries d WHERE d.id = ANY($1) AND d.status = 'success' AND d.attempts = 1 AND EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = d.id)`,
      [batches.flat()],
    );
    expect(ended.n).toBe(100);
    // The rows read arrive once the worker's connection publishes them.
    expect(await eventually(async () => (await deliveriesRead()) - before >= 100, 20_000)).toBe(true);
    return (await settledDeliveriesRead()) - before;
  }

  beforeAll(async () => {
    const a = await registerAccount(t);
    const res = await t.http().post('/api/v1/webhooks').set(a.auth).set({ 'X-Workspace-ID': a.workspace.id }).send({ url: 'https://hooks.example.com/in', events: ['post.*'] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    endpointId = res.body.data.id;
    ws = a.workspace.id;
  });

  it('on a fresh database: the statement first ran on a near-empty table, which then grew by 20,000 open deliveries', async () => {
    // Often enough for PostgreSQL to weigh a generic plan (after five executions), on the
    // worker's own connection.
    await deliveries(1, 10, 'pending');
    for (let i = 1; i <= 8; i++) expect(await record([`whd_plan${i}`])).toEqual([{ previousFailures: 0 }]);
    await deliveries(100_000, 20_000, 'pending');
    // 100 deliveries, each reached by its primary key twice: a few hundred rows at most.
    expect(await fiveBatchesFrom(100_000)).toBeLessThan(2_000);
  }, 120_000);

  it('after a quiet table was analyzed: a burst of 20,000 more open deliveries', async () => {
    await deliveries(200_000, 5_000, 'success');
    await query('ANALYZE webhook_deliveries');
    await deliveries(300_000, 20_000, 'pending');
    // Through the index of open deliveries, the five batches read the whole backlog (20,210 rows).
    expect(await fiveBatchesFrom(300_000)).toBeLessThan(2_000);
  }, 120_000);
});

describe('A success that ends an announced failing streak', () => {
  it('is announced (webhook.endpoint.recovered) by the statement that records it, in the same commit, once per endpoint', async () => {
    const a = await registerAccount(t);
    const res = await t.http().post('/api/v1/webhooks').set(a.auth).set({ 'X-Workspace-ID': a.workspace.id }).send({ url: 'https://hooks.example.com/streak', events: ['post.*'] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const endpointId: string = res.body.data.id;
    await query(
      `WITH e AS (INSERT INTO events (id, workspace_id, type, data, published_at) SELECT 'evt_strk' || g || $2, $1, 'post.created', '{}', now() FROM generate_series(1, 3) g RETURNING id)
       INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, event_type, status) SELECT 'whd_' || substr(e.id, 5), $1, $3, e.id, 'post.created', 'retrying' FROM e`,
      [a.workspace.id, endpointId.slice(-8), endpointId],
    );
    // Six failures in a row were announced (webhook.delivery.failing at the fourth).
    await query(`UPDATE webhook_endpoint_stats SET consecutive_failures = 6, failing_since = now() - interval '1 hour' WHERE endpoint_id = $1`, [endpointId]);
    const ids = [1, 2, 3].map((g) => `whd_strk${g}${endpointId.slice(-8)}`);
    const out = await worker.get(DeliveriesRepository).recordSuccesses(ids.map((deliveryId) => ({ deliveryId, endpointId, statusCode: 200, responseBody: 'ok', durationMs: 3, error: null, attempt: 1 })));
    // Said to the caller once (for its audit row), with the streak it ended.
    expect(out).toEqual([{ previousFailures: 6 }, { previousFailures: 0 }, { previousFailures: 0 }]);
    // Already in the outbox when the call returns: no second write that a dying worker could skip.
    const events = await query(`SELECT workspace_id, data FROM events WHERE type = 'webhook.endpoint.recovered' AND data->>'endpoint_id' = $1`, [endpointId]);
    expect(events).toEqual([{ workspace_id: a.workspace.id, data: { endpoint_id: endpointId, url: 'https://hooks.example.com/streak', failures_before: 6 } }]);
    const [stats] = await query(`SELECT consecutive_failures, failing_since FROM webhook_endpoint_stats WHERE endpoint_id = $1`, [endpointId]);
    expect(stats).toEqual({ consecutive_failures: 0, failing_since: null });

    // The next success has no streak to end: nothing more is announced.
    await query(`UPDATE webhook_deliveries SET status = 'retrying' WHERE id = $1`, [ids[0]]);
    expect(await worker.get(DeliveriesRepository).recordSuccesses([{ deliveryId: ids[0], endpointId, statusCode: 200, responseBody: 'ok', durationMs: 3, error: null, attempt: 2 }])).toEqual([{ previousFailures: 0 }]);
    expect(await query(`SELECT 1 FROM events WHERE type = 'webhook.endpoint.recovered' AND data->>'endpoint_id' = $1`, [endpointId])).toHaveLength(1);
  });
});

describe('Recording a batch of successes wakes the relay only for an event it wrote', () => {
  it('a batch that ends no failing streak notifies nobody; one that ends a streak notifies once, for its event', async () => {
    const a = await registerAccount(t);
    const res = await t.http().post('/api/v1/webhooks').set(a.auth).set({ 'X-Workspace-ID': a.workspace.id }).send({ url: 'https://hooks.example.com/quiet', events: ['post.*'] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const endpointId: string = res.body.data.id;
    const tag = endpointId.slice(-8);
    await query(
      `WITH e AS (INSERT INTO events (id, workspace_id, type, data, published_at) SELECT 'evt_qt' || g || $2, $1, 'post.created', '{}', now() FROM generate_series(1, 2) g RETURNING id)
       INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, event_type, status) SELECT 'whd_' || substr(e.id, 5), $1, $3, e.id, 'post.created', 'pending' FROM e`,
      [a.workspace.id, tag, endpointId],
    );
    const recordOne = (g: number) => worker.get(DeliveriesRepository).recordSuccesses([{ deliveryId: `whd_qt${g}${tag}`, endpointId, statusCode: 200, responseBody: 'ok', durationMs: 3, error: null, attempt: 1 }]);

    // What the relay's listener hears (this spec's database is its own), read up to a marker
    // notified afterwards: PostgreSQL delivers notifications in commit order.
    const listener = new Client({ connectionString: lab.databaseUrl });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    const upTo = async (marker: string): Promise<string[]> => {
      await query(`SELECT pg_notify('tessera_events', $1)`, [marker]);
      expect(await eventually(async () => heard.includes(marker), 10_000)).toBe(true);
      return heard.splice(0).slice(0, -1);
    };
    try {
      await listener.query('LISTEN tessera_events');
      await upTo('start');
      // The common case, on every batch of a delivery burst: no event, so no relay run.
      expect(await recordOne(1)).toEqual([{ previousFailures: 0 }]);
      expect(await upTo('quiet')).toEqual([]);
      // The end of an announced streak: its event, and the relay woken for it.
      await query(`UPDATE webhook_endpoint_stats SET consecutive_failures = 5, failing_since = now() WHERE endpoint_id = $1`, [endpointId]);
      expect(await recordOne(2)).toEqual([{ previousFailures: 5 }]);
      expect(await upTo('recovered')).toEqual(['']);
    } finally {
      await listener.end();
    }
  });
});
