// Shared by the benchmarks: a throwaway embedded PostgreSQL and redis-server (or DATABASE_URL /
// REDIS_URL), migrated, and the API built from dist/ on the chosen HTTP platform.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from './node-flags.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startEmbeddedPostgres, runMigrations } = await import(join(root, 'dist/libs/database/index.js'));
const { startLocalRedis } = await import(join(root, 'dist/libs/queue/index.js'));
const { createApp } = await import(join(root, 'dist/src/bootstrap.js'));
const { loadConfig } = await import(join(root, 'dist/src/config/config.js'));

export async function startServices() {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  chmodSync(dir, 0o755);
  const stops = [];
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dir: join(dir, 'pg'), port: 55000 + Math.floor(Math.random() * 1000), database: 'bench', persistent: false });
    stops.push(pg.stop);
    databaseUrl = pg.url;
  }
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const redis = await startLocalRedis({ dir: join(dir, 'redis'), port: 56000 + Math.floor(Math.random() * 1000), persistent: false });
    stops.push(redis.stop);
    redisUrl = redis.url;
  }
  await runMigrations(databaseUrl);
  return {
    databaseUrl,
    redisUrl,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The environment of an API process under benchmark. */
export function benchEnv(services, adapter = 'express') {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    HTTP_ADAPTER: adapter,
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-123456',
    // Production refuses to boot without one; a throwaway key per run is enough for a benchmark.
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // The benchmark's workspace moves itself to the enterprise tier (its rate limit is not what is measured).
    SELF_SERVE_TIERS: 'all',
  };
}

export async function startApi(services, adapter = 'express', extraEnv = {}) {
  const config = loadConfig({ ...benchEnv(services, adapter), ...extraEnv });
  const app = await createApp(config);
  // A free port unless told (the OAuth provider's issuer names the port it will listen on).
  await app.listen(extraEnv.PORT ? config.port : 0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  return { app, base: `http://127.0.0.1:${port}` };
}

export async function api(base, method, path, body, headers = {}) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

/** Runs `fn` repeatedly for `ms` milliseconds (after a warm-up) and returns operations per second. */
export async function opsPerSecond(fn, ms = 2000, concurrency = 1) {
  const warmEnd = Date.now() + 300;
  while (Date.now() < warmEnd) await fn();
  let count = 0;
  const end = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await fn();
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

/** Stops a child process: SIGTERM, then SIGKILL if it has not exited within 10 s. */
export function stopChild(child) {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

/** Whether taskset can pin processes to a core (util-linux). */
export const pin = spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0;

/** The command and arguments that run `args` on `core` (null: anywhere). */
export const pinned = (core, args) => (pin && core !== null ? ['taskset', ['-c', String(core), ...args]] : [args[0], args.slice(1)]);

/**
 * Moves the embedded PostgreSQL (its postmaster, so the backends it forks later too) and
 * redis-server to `core`: the API's core is then its own, and runs do not swing with where the
 * scheduler happened to put a database backend. Services from DATABASE_URL / REDIS_URL are left alone.
 */
export function pinServices(core) {
  if (!pin || process.env.DATABASE_URL || process.env.REDIS_URL) return;
  spawnSync('sh', ['-c', `for p in $(pgrep -f 'postgres|redis-server'); do taskset -a -p -c ${core} $p >/dev/null; done`], { stdio: 'ignore' });
}

/** A server from dist/ on `port`, pinned to `core` (null: unpinned), with the flags `npm start` gives Tessera's processes. */
export function startServer(entry, env, port, { core = 0, nodeArgs = [] } = {}) {
  const [cmd, args] = pinned(core, [process.execPath, ...NODE_FLAGS, ...nodeArgs, join(root, entry)]);
  // The IPC channel lets bench:api's memory run ask the server to collect garbage (src/main.ts).
  return spawn(cmd, args, { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

/** Resolves once `url` answers 2xx (30 s at most). */
export async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** A port nothing listens on now (another benchmark may be running beside this one). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
