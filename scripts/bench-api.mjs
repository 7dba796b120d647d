// npm run bench:api — autocannon on loopback, server pinned to core 0 and load generator to core 1,
// for each HTTP platform: (a) a bare NestJS route returning constant JSON, (b) GET /api/v1/posts
// ?per_page=25 with an enterprise-tier API key through the whole stack (auth, rate limit,
// metering, envelope, query). Prints req/s, p50 and p99 of each and the ratio b/a.
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, benchEnv, startServices } from './bench-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const pin = spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0;
const pinned = (core, args) => (pin ? ['taskset', ['-c', String(core), ...args]] : [args[0], args.slice(1)]);

function startServer(entry, env, port) {
  const [cmd, args] = pinned(0, [process.execPath, join(root, entry)]);
  const child = spawn(cmd, args, { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

async function waitFor(url, headers = {}) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url, { headers })).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

function stop(child) {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

function load(url, headers = {}) {
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const [cmd, args] = pinned(1, [process.execPath, join(root, 'node_modules/autocannon/autocannon.js'), '-c', String(CONNECTIONS), '-d', String(DURATION), '-j', ...headerArgs, url]);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const out = JSON.parse(r.stdout);
  const non2xx = out.non2xx ?? 0;
  return { rps: out.requests.average, p50: out.latency.p50, p99: out.latency.p99, non2xx, errors: out.errors };
}

const services = await startServices();
const rows = [];
try {
  for (const adapter of ['express', 'fastify']) {
    const bare = startServer('dist/scripts/bench-bare.js', { HTTP_ADAPTER: adapter }, 3101);
    await waitFor('http://127.0.0.1:3101/bare');
    load('http://127.0.0.1:3101/bare'); // warm-up run, discarded
    const a = load('http://127.0.0.1:3101/bare');
    await stop(bare);

    const full = startServer('dist/src/main.js', benchEnv(services, adapter), 3102);
    const base = 'http://127.0.0.1:3102';
    await waitFor(`${base}/api/v1/health`);
    const reg = await api(base, 'POST', '/auth/register', { name: 'Bench', email: `bench-${adapter}-${Date.now()}@example.test`, password: 'bench password' });
    const auth = { authorization: `Bearer ${reg.access_token}`, 'x-workspace-id': reg.workspace.id };
    await api(base, 'PATCH', `/workspaces/${reg.workspace.id}`, { tier: 'enterprise' }, { authorization: auth.authorization });
    const key = (await api(base, 'POST', '/api-keys', { name: 'bench', scopes: ['posts:read'] }, auth)).key;
    for (let i = 0; i < 100; i++) {
      await api(base, 'POST', '/posts', { title: `Post ${i}`, body: 'Lorem ipsum dolor sit amet, '.repeat(8), status: 'published', tags: ['bench'] }, auth);
    }
    // For the note: the same process on a public route (no credential, no query): what the shared
    // plumbing costs before auth and data access.
    load(`${base}/api/v1/health`);
    const floor = load(`${base}/api/v1/health`);
    const url = `${base}/api/v1/posts?per_page=25`;
    const keyHeader = { authorization: `Bearer ${key}` };
    load(url, keyHeader); // warm-up
    const b = load(url, keyHeader);
    await stop(full);
    rows.push({ adapter, a, b, floor });
  }
} finally {
  await services.stop();
}

const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(8);
console.log(`\nbench:api — ${CONNECTIONS} connections, ${DURATION} s per run, server on core 0, autocannon on core 1${pin ? '' : ' (taskset missing: not pinned)'}`);
console.log('adapter   route                               req/s      p50 ms   p99 ms   non-2xx');
for (const { adapter, a, b, floor } of rows) {
  console.log(`${adapter.padEnd(9)} (a) bare constant JSON           ${fmt(a.rps)}   ${String(a.p50).padStart(6)}   ${String(a.p99).padStart(6)}   ${a.non2xx}`);
  console.log(`${adapter.padEnd(9)}     full app, GET /health        ${fmt(floor.rps)}   ${String(floor.p50).padStart(6)}   ${String(floor.p99).padStart(6)}   ${floor.non2xx}`);
  console.log(`${adapter.padEnd(9)} (b) GET /posts?per_page=25       ${fmt(b.rps)}   ${String(b.p50).padStart(6)}   ${String(b.p99).padStart(6)}   ${b.non2xx}`);
  console.log(`${adapter.padEnd(9)} ratio b/a: ${(b.rps / a.rps).toFixed(3)}`);
}
