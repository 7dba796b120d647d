import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { inject } from 'vitest';
import { runMigrations } from '../../libs/database';

export interface IsolatedStack {
  /** DATABASE_URL and REDIS_URL for startTestApp/startTestWorker (and child processes). */
  env: { DATABASE_URL: string; REDIS_URL: string };
  drop(): Promise<void>;
}

const CLAIM = (db: number) => `tessera:test:redis-db-claim:${db}`;

/**
 * A database and a Redis logical database of the suite's servers for this spec alone. Webhook
 * delivery specs need it: every worker started by any spec relays the shared outbox and takes
 * jobs from the shared queue, each with its own settings (retry schedule, timeouts), so a spec
 * that times deliveries must not share them.
 */
export async function isolatedStack(): Promise<IsolatedStack> {
  const baseDb = inject('databaseUrl');
  const baseRedis = inject('redisUrl');
  const name = `tessera_iso_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: baseDb });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const dbUrl = new URL(baseDb);
  dbUrl.pathname = `/${name}`;
  await runMigrations(dbUrl.toString());

  // Logical databases 1-15 are free for specs: claim one on db 0 so two specs never share it.
  const root = new Redis(baseRedis, { lazyConnect: false, maxRetriesPerRequest: 2 });
  let db = 0;
  for (let tries = 0; tries < 200 && db === 0; tries++) {
    for (let n = 15; n >= 1 && db === 0; n--) if ((await root.set(CLAIM(n), name, 'EX', 1800, 'NX')) === 'OK') db = n;
    if (db === 0) await new Promise((r) => setTimeout(r, 500));
  }
  if (db === 0) throw new Error('no free Redis logical database for an isolated spec');
  const redisUrl = `${baseRedis.replace(/\/\d*$/, '')}/${db}`;
  const own = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  await own.flushdb();
  await own.quit();

  return {
    env: { DATABASE_URL: dbUrl.toString(), REDIS_URL: redisUrl },
    async drop() {
      const r = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
      await r.flushdb().catch(() => undefined);
      await r.quit().catch(() => undefined);
      if ((await root.get(CLAIM(db))) === name) await root.del(CLAIM(db));
      await root.quit().catch(() => undefined);
      const c = new Client({ connectionString: baseDb });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
