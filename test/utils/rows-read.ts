import { Client } from 'pg';
import { sleep } from '../factories/accounts';

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
