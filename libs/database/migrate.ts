import { DataSource } from 'typeorm';
import { DEFAULT_POOL, dataSourceOptions } from './data-source';

/** Runs pending migrations inside one transaction, under an advisory lock so two runners never race. */
export async function runMigrations(url: string): Promise<string[]> {
  // A migration may take long and wait for locks: no statement or lock timeout here.
  const ds = new DataSource(dataSourceOptions(url, { ...DEFAULT_POOL, max: 1, statementTimeoutMs: 0, lockTimeoutMs: 0 }));
  await ds.initialize();
  try {
    await ds.query('SELECT pg_advisory_lock(727274)');
    const ran = await ds.runMigrations({ transaction: 'all' });
    return ran.map((m) => m.name);
  } finally {
    await ds.query('SELECT pg_advisory_unlock(727274)').catch(() => undefined);
    await ds.destroy();
  }
}

if (require.main === module) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('DATABASE_URL is not set: it names the PostgreSQL database to migrate.\n');
    process.exit(1);
  }
  runMigrations(url).then(
    (ran) => process.stdout.write(ran.length ? `migrations applied: ${ran.join(', ')}\n` : 'database schema is up to date\n'),
    (err: unknown) => {
      process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
