import type { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveriesRepository } from '../../src/modules/webhooks/deliveries.repository';
import { DeliveryProcessor } from '../../src/modules/webhooks/delivery.processor';
import { Account, registerAccount, sleep } from '../factories/accounts';
import type { TestApp } from '../utils/app';
import { settledRowsRead, StatementLab, statementLab } from '../utils/rows-read';

// The worker's periodic statements and an attempt's lookups must cost what they return, not what
// the tables hold; a tenant's delivery log must cost that tenant's deliveries, not another's
// backlog. Each case builds the state in which PostgreSQL chose otherwise (statistics older than
// a burst, or ones that count a backlog of retries as overdue work) and counts the rows PostgreSQL
// itself says it read (pg_stat_user_tables), as webhook-success-batch.e2e-spec.ts does (test/utils/rows-read.ts). Before the fixes:
// the recovery sweep read the whole table every 30 s, each lookup of one open delivery read every
// open delivery, a delivery log filtered on pending read every workspace's backlog, and retention
// read whole tables for each batch of 5,000 rows it deleted.

let lab: StatementLab;
let t: TestApp;
let worker: INestApplicationContext;
let observer: Client;
let query: StatementLab['query'];

beforeAll(async () => {
  lab = await statementLab();
  ({ t, worker, observer, query } = lab);
  // Statistics change only when a case says so (ANALYZE): autovacuum, which would otherwise catch
  // up with a burst within a minute or so, stays out of this database, as it does for as long as a
  // burst stays under a tenth of a large table.
  await query(`ALTER TABLE webhook_deliveries SET (autovacuum_enabled = false); ALTER TABLE webhook_attempts SET (autovacuum_enabled = false); ALTER TABLE events SET (autovacuum_enabled = false)`);
});
afterAll(async () => {
  await lab?.close();
});

const TABLES = ['webhook_deliveries', 'webhook_attempts', 'events', 'inbound_messages'] as const;
type Table = (typeof TABLES)[number];

/** Runs `work` and answers what it returned and the rows it read, per table. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; read: Record<Table, number> }> {
  // What this connection read setting the case up is published now, not during the work.
  await observer.query('SELECT pg_stat_force_next_flush()');
  const before = await settledRowsRead(observer, TABLES);
  const result = await work();
  // A backend that published less than a second ago holds back what it reads next for up to 10 s
  // (PostgreSQL's PGSTAT_IDLE_INTERVAL): ten lookups in a row published the first one's rows only.
  await sleep(10_500);
  const after = await settledRowsRead(observer, TABLES);
  return { result, read: Object.fromEntries(TABLES.map((name) => [name, after[name] - before[name]])) as Record<Table, number> };
}

async function endpointOf(a: Account): Promise<string> {
  const res = await t.http().post('/api/v1/webhooks').set(a.auth).set({ 'X-Workspace-ID': a.workspace.id }).send({ url: 'https://hooks.example.com/in', events: ['post.*'] });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.id;
}

/**
 * `n` deliveries of already relayed events to `endpoint` (the relay and the queue never see
 * them), ids `whd_<tag><i>` for i from `from`, created and last changed `age` ago. An ended one
 * has its one attempt when `withAttempts`.
 */
async function deliveries(
  ws: string,
  endpoint: string,
  tag: string,
  from: number,
  n: number,
  status: 'pending' | 'retrying' | 'success' | 'failed',
  options: { age?: string; nextRetryIn?: string; withAttempts?: boolean } = {},
): Promise<void> {
  const ended = status === 'success' || status === 'failed';
  await query(
    `WITH e AS (
       INSERT INTO events (id, workspace_id, type, data, created_at, published_at)
       SELECT 'evt_' || $3 || g, $1, 'post.created', '{}', now() - $6::interval, now() - $6::interval FROM generate_series($4::int, $4::int + $5::int - 1) g
       RETURNING id, created_at
     ), d AS (
       INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, event_type, status, attempts, next_retry_at, created_at, updated_at, completed_at)
       SELECT 'whd_' || substr(e.id, 5), $1, $2, e.id, 'post.created', $7, $8, now() + $9::interval, e.created_at, e.created_at, CASE WHEN $10 THEN e.created_at END FROM e
       RETURNING id, created_at
     )
     INSERT INTO webhook_attempts (id, delivery_id, attempt, status_code, duration_ms, created_at)
     SELECT 'att_' || substr(d.id, 5), d.id, 1, 200, 3, d.created_at FROM d WHERE $11`,
    [ws, endpoint, tag, from, n, options.age ?? '0 s', status, ended ? 1 : 0, options.nextRetryIn ?? null, ended, ended && (options.withAttempts ?? false)],
  );
}

const ids = (tag: string, from: number, n: number) => Array.from({ length: n }, (_, i) => `whd_${tag}${from + i}`);

describe('After a burst no ANALYZE has seen: one delivery costs one row, and a delivery log its own workspace', () => {
  let a: Account;
  let b: Account;
  let busy: string;
  let quiet: string;

  beforeAll(async () => {
    a = await registerAccount(t);
    b = await registerAccount(t);
    busy = await endpointOf(a);
    quiet = await endpointOf(b);
    // A quiet table, analyzed: every delivery ended.
    await deliveries(a.workspace.id, busy, 'bsy', 100_000, 20_000, 'success');
    await deliveries(b.workspace.id, quiet, 'qui', 100_000, 2_000, 'success');
    await query('VACUUM ANALYZE webhook_deliveries');
    // Then workspace A's events queue 20,000 deliveries at once, and workspace B's three.
    await deliveries(a.workspace.id, busy, 'bsy', 300_000, 20_000, 'pending');
    await deliveries(b.workspace.id, quiet, 'qui', 200_000, 3, 'pending');
  }, 60_000);

  it('locking an open delivery for its attempt reads that delivery', async () => {
    const repo = worker.get(DeliveriesRepository);
    const { result, read } = await measured(async () => {
      const out = [];
      for (const id of ids('bsy', 300_000, 10)) out.push(await repo.transaction(() => repo.lockOpen(id, busy)));
      return out;
    });
    // Through the index of open deliveries, each lookup read all 20,003 of them (200,030 rows).
    expect(read.webhook_deliveries).toBeLessThan(500);
    expect(result).toEqual(Array.from({ length: 10 }, () => ({ attempts: 0 })));
  }, 60_000);

  it('ending an open delivery of a disabled endpoint reads that delivery', async () => {
    const repo = worker.get(DeliveriesRepository);
    const { result, read } = await measured(async () => {
      const out = [];
      for (const id of ids('bsy', 300_100, 10)) out.push(await repo.endWithoutAttempt(id, busy, 'not attempted: endpoint disabled'));
      return out;
    });
    // By id alone, through the index of open deliveries: 199,985 rows.
    expect(read.webhook_deliveries).toBeLessThan(500);
    expect(result).toEqual(Array.from({ length: 10 }, () => true));
    const [ended] = await query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE id = ANY($1) AND status = 'failed' AND completed_at IS NOT NULL`, [ids('bsy', 300_100, 10)]);
    expect(ended.n).toBe(10);
  }, 60_000);

  it('GET /webhooks/{id}/deliveries?status=pending reads the deliveries of that endpoint, not another workspace\'s backlog', async () => {
    const { result: res, read } = await measured(() =>
      t.http().get(`/api/v1/webhooks/${quiet}/deliveries?status=pending`).set(b.auth).set({ 'X-Workspace-ID': b.workspace.id }),
    );
    // Through the index of open deliveries, the page and its count each read workspace A's 20,000 (39,986 rows).
    expect(read.webhook_deliveries).toBeLessThan(500);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.map((d: { id: string }) => d.id).sort()).toEqual(ids('qui', 200_000, 3).sort());
    expect(res.body.meta.pagination.total).toBe(3);
  }, 60_000);

  afterAll(async () => {
    await query(`DELETE FROM events WHERE workspace_id = ANY($1)`, [[a.workspace.id, b.workspace.id]]);
  });
});

describe('The recovery sweep reads the open deliveries, never the ended ones', () => {
  let ws: string;
  let endpoint: string;
  const overdue = (limit: number, after?: Parameters<DeliveriesRepository['overdue']>[2]) => worker.get(DeliveriesRepository).overdue(60, limit, after);

  beforeAll(async () => {
    const a = await registerAccount(t);
    ws = a.workspace.id;
    endpoint = await endpointOf(a);
    // 60,000 delivered, a backlog of 20,000 retries due in an hour (a receiver that was down), and
    // three open deliveries whose job was lost: untouched for ten minutes.
    await deliveries(ws, endpoint, 'swp', 100_000, 60_000, 'success');
    await deliveries(ws, endpoint, 'swp', 200_000, 20_000, 'retrying', { nextRetryIn: '1 hour' });
    await deliveries(ws, endpoint, 'swp', 300_000, 3, 'pending', { age: '10 minutes' });
  }, 60_000);

  it('with statistics that know the backlog of retries: a sweep reads the open ones', async () => {
    await query('ANALYZE webhook_deliveries');
    const { result, read } = await measured(() => overdue(1_000));
    // Through the primary key, the sweep read all 80,003 deliveries to find three.
    expect(read.webhook_deliveries).toBeLessThan(30_000);
    expect(result.map((o) => o.id).sort()).toEqual(ids('swp', 300_000, 3).sort());
  }, 60_000);

  it('with statistics from a burst that has been delivered since: a sweep still reads the open ones', async () => {
    await deliveries(ws, endpoint, 'swp', 400_000, 20_000, 'pending');
    await query('ANALYZE webhook_deliveries');
    await query(`UPDATE webhook_deliveries SET status = 'success', attempts = 1, completed_at = now() WHERE id LIKE 'whd_swp4%'`);
    const { result, read } = await measured(() => overdue(1_000));
    // Through the primary key again: 100,004 rows.
    expect(read.webhook_deliveries).toBeLessThan(30_000);
    expect(result.map((o) => o.id).sort()).toEqual(ids('swp', 300_000, 3).sort());
  }, 60_000);

  it('pages through every overdue delivery, each once', async () => {
    const seen: string[] = [];
    let after: Parameters<DeliveriesRepository['overdue']>[2];
    for (let page = 0; page < 5; page++) {
      const got = await overdue(2, after);
      seen.push(...got.map((o) => o.id));
      if (got.length < 2) break;
      after = got[got.length - 1];
    }
    expect(seen.sort()).toEqual(ids('swp', 300_000, 3).sort());
    // What these sweeps read is published by the worker's connection up to 10 s later: wait it
    // out, or it lands in the next case's count (the purge's, with a pool of one: 50,003 rows).
    await sleep(10_500);
  }, 30_000);

  afterAll(async () => {
    await query(`DELETE FROM events WHERE workspace_id = $1`, [ws]);
  });
});

describe('Retention reads what it deletes', () => {
  let ws: string;
  let endpoint: string;

  beforeAll(async () => {
    const a = await registerAccount(t);
    ws = a.workspace.id;
    endpoint = await endpointOf(a);
    // 90,000 delivered within the retention (30 days), and 10,000 past it: two batches of 5,000.
    await deliveries(ws, endpoint, 'ret', 100_000, 90_000, 'success', { age: '1 day', withAttempts: true });
    await deliveries(ws, endpoint, 'ret', 200_000, 10_000, 'success', { age: '40 days', withAttempts: true });
    // The same for the message ids of an inbound source.
    await query(`INSERT INTO inbound_sources (id, workspace_id, name, scheme, secret_sealed) VALUES ('src_ret', $1, 'retention', 'stripe', 'unused')`, [ws]);
    await query(
      `INSERT INTO inbound_messages (id, source_id, workspace_id, message_id, received_at)
       SELECT 'inm_ret' || g, 'src_ret', $1, 'msg_' || g, now() - CASE WHEN g < 10000 THEN interval '40 days' ELSE interval '1 day' END FROM generate_series(0, 99_999) g`,
      [ws],
    );
    await query('VACUUM ANALYZE webhook_deliveries, webhook_attempts, events, inbound_messages');
  }, 120_000);

  it('an hourly purge of 10,000 deliveries and messages reads about as many rows of each table, not the tables', async () => {
    const { result, read } = await measured(() => worker.get(DeliveryProcessor).purge());
    // Each batch read the whole attempts and inbound messages tables (hash semi-joins), and the
    // whole deliveries table twice (a hash join for the attempts, an anti-join for the events):
    // 210,013 attempts, 205,002 messages and 490,003 deliveries read (now 20,000, 20,000, 30,000).
    expect(read.webhook_attempts, JSON.stringify(read)).toBeLessThan(30_000);
    expect(read.webhook_deliveries, JSON.stringify(read)).toBeLessThan(40_000);
    expect(read.events, JSON.stringify(read)).toBeLessThan(30_000);
    expect(read.inbound_messages, JSON.stringify(read)).toBeLessThan(30_000);
    expect(result).toEqual({ attempts: 10_000, deliveries: 10_000, events: 10_000, inboundMessages: 10_000 });
    const [left] = await query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1`, [endpoint]);
    expect(left.n).toBe(90_000);
  }, 120_000);
});
