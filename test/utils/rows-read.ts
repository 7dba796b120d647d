import type { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { OutboxRelay } from '../../src/modules/webhooks/outbox-relay';
import { sleep } from '../factories/accounts';
import { startTestApp, startTestWorker, TestApp } from './app';
import { isolatedStack } from './isolated-stack';

/** Where a spec counts what the worker's statements read: see statementLab. */
export interface StatementLab {
  t: TestApp;
  worker: INestApplicationContext;
  /** The spec's own connection (the app's pool may be one connection). */
  observer: Client;
  /** The rows of `sql` on the observer connection. */
  query(sql: string, params?: unknown[]): Promise<any[]>;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * A database of its own, the API and a worker on it, and the spec's own connection. The worker's
 * relay and recovery sweep are stopped: the sweep reads every open delivery every 30 s, which would
 * count in the rows a case measures; a spec calls the worker's repository (or the sweep) itself.
 */
export async function statementLab(): Promise<StatementLab> {
  const stack = await isolatedStack();
  const t = await startTestApp(stack.env);
  const worker = await startTestWorker(stack.env);
  await worker.get(OutboxRelay).beforeApplicationShutdown();
  const observer = new Client({ connectionString: stack.env.DATABASE_URL });
  await observer.connect();
  return {
    t,
    worker,
    observer,
    query: async (sql, params) => (await observer.query(sql, params)).rows,
    databaseUrl: stack.env.DATABASE_URL,
    async close() {
      await observer.end();
      await worker.close();
      await t.close();
      await stack.drop();
    },
  };
}

/**
 * Rows PostgreSQL says it read from each table so far (pg_stat_user_tables: sequential plus index
 * fetches), as last published. Specs that check a statement reads the batch it was given, not the
 * table, count with these: what a user notices as throughput falling with table size, untimed.
 */
export async function rowsRead<T extends string>(observer: Client, tables: readonly T[]): Promise<Record<T, number>> {
  await observer.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await observer.query(`SELECT relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS n FROM pg_stat_user_tables WHERE relname = ANY($1)`, [tables]);
  return Object.fromEntries(tables.map((name) => [name, Number(rows.find((r) => r.relname === name)?.n ?? 0)])) as Record<T, number>;
}

/** Waits until the counters stop moving (backends publish theirs about once a second when idle). */
export async function settledRowsRead<T extends string>(observer: Client, tables: readonly T[]): Promise<Record<T, number>> {
  let last = await rowsRead(observer, tables);
  for (let i = 0; i < 20; i++) {
    await sleep(1200);
    const now = await rowsRead(observer, tables);
    if (tables.every((name) => now[name] === last[name])) return now;
    last = now;
  }
  return last;
}
