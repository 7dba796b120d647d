// `npm start`: the whole system on one machine with no configuration.
// Without DATABASE_URL it runs an embedded PostgreSQL, without REDIS_URL a local redis-server
// (installed from Debian's packages when missing), both keeping their data under .data/.
// Then it migrates, starts the API and the worker, creates a demo account on the first run,
// and on Ctrl-C / SIGTERM stops everything in order.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from './node-flags.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, '.data');
const log = (line) => process.stdout.write(`[tessera] ${line}\n`);

const { startEmbeddedPostgres, runMigrations } = await import(join(root, 'dist/libs/database/index.js'));
const { startLocalRedis } = await import(join(root, 'dist/libs/queue/index.js'));

mkdirSync(dataDir, { recursive: true });
const stops = [];
const children = [];
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  await Promise.all(
    children.filter((c) => c.exitCode === null).map((c) => new Promise((done) => {
      c.once('exit', done);
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
    })),
  );
  for (const stop of stops.reverse()) await stop().catch((err) => log(`stop failed: ${err.message}`));
  log('stopped');
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

/**
 * Secrets generated on the first run and kept in .data/secrets.json (mode 600); one missing from
 * an older file (ENCRYPTION_KEY came later) is added. The API runs with NODE_ENV=production only
 * when asked, and then refuses to boot without ENCRYPTION_KEY: this file provides it.
 */
function secrets() {
  const file = join(dataDir, 'secrets.json');
  const kept = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const wanted = {
    JWT_SECRET: () => randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: () => randomBytes(32).toString('base64'),
  };
  const missing = Object.keys(wanted).filter((name) => !kept[name]);
  if (!missing.length) return kept;
  const generated = { ...kept, ...Object.fromEntries(missing.map((name) => [name, wanted[name]()])) };
  writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  return generated;
}

try {
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
    log(`starting embedded PostgreSQL on port ${port} (data in .data/postgres)`);
    const pg = await startEmbeddedPostgres({ dir: join(dataDir, 'postgres'), port, database: 'tessera', persistent: true });
    stops.push(pg.stop);
    databaseUrl = pg.url;
  }
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const port = Number(process.env.LOCAL_REDIS_PORT ?? 63799);
    const maxmemory = process.env.LOCAL_REDIS_MAXMEMORY || '256mb';
    log(`starting redis-server on port ${port} (AOF in .data/redis, maxmemory ${maxmemory})`);
    const redis = await startLocalRedis({ dir: join(dataDir, 'redis'), port, persistent: true, maxmemory, log });
    stops.push(redis.stop);
    redisUrl = redis.url;
  }

  const applied = await runMigrations(databaseUrl);
  log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'database schema is up to date');

  const env = { ...secrets(), ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl };
  const port = Number(env.PORT ?? 3000);
  // `npm run start:dev`: nest build --watch recompiles into dist/, and Node restarts the API and
  // the worker whenever dist/ changes.
  const watch = process.argv.includes('--watch');
  if (watch) {
    const compiler = spawn(process.execPath, [join(root, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', '--watch', '--preserveWatchOutput'], { cwd: root, stdio: 'inherit' });
    children.push(compiler);
  }
  for (const [name, entry] of [['api', 'dist/src/main.js'], ['worker', 'dist/src/worker.js']]) {
    const args = [...NODE_FLAGS, ...(watch ? ['--watch-path', join(root, 'dist'), join(root, entry)] : [join(root, entry)])];
    const child = spawn(process.execPath, args, { env, stdio: 'inherit' });
    child.once('exit', (code, signal) => {
      if (!stopping) {
        log(`${name} exited (${signal ?? code}); stopping the rest`);
        shutdown(code || 1);
      }
    });
    children.push(child);
  }

  const base = `http://127.0.0.1:${port}`;
  await waitForReady(`${base}/api/v1/health/ready`);
  log(`API ready at ${base}/api/v1 (adapter: ${env.HTTP_ADAPTER ?? 'express'}), Swagger UI at ${base}/docs`);
  await seedDemo(base);
} catch (err) {
  log(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}

async function waitForReady(url) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the API did not become ready at ${url}`);
}

/** On the first run: a demo account owning a demo workspace, its password printed this once. */
async function seedDemo(base) {
  const marker = join(dataDir, 'demo-account.json');
  if (existsSync(marker)) return;
  const email = 'demo@tessera.local';
  const password = randomBytes(12).toString('base64url');
  const res = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Demo Owner', email, password, workspace_name: 'Demo Workspace' }),
  });
  if (res.status === 409) return; // the database already has it (data kept, marker lost)
  if (!res.ok) throw new Error(`could not create the demo account: ${res.status}`);
  writeFileSync(marker, JSON.stringify({ email, created_at: new Date().toISOString() }, null, 2));
  log('demo account created (the password is shown only now):');
  log(`  e-mail:   ${email}`);
  log(`  password: ${password}`);
  log(`  try it:   ${base}/docs  →  POST /api/v1/auth/login`);
}
