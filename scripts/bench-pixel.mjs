// npm run bench:pixel — pixel ingestion at volume. For each HTTP platform, in one run:
// (a) the bare NestJS constant route of bench:api (GET /bare, scripts/bench-bare.ts), and
// (b) GET /api/v1/scopes on the full stack: a public constant answer through the same pipeline
//     (request id, log, guards with one Redis round trip for the per-address limit, interceptors,
//     envelope), the platform's own floor for a public route; and
// (c) POST /api/v1/pixel/track on the full stack (no credential, the per-address route limit on,
//     each request from another client address, validation, the pixel's cached settings, the
//     batching producer), while a worker process stores the events in PostgreSQL.
// autocannon, 50 connections, in its own process pinned to core 1; the API pinned to core 0; the
// worker, PostgreSQL and Redis unpinned. Prints accepted events/s, the ratio to the bare route, how
// many were stored when the load stopped and how long until every accepted event was stored.
// Then the stats route on a large table: one workspace with BENCH_STATS_ROWS events (1,000,000)
// beside a small one, median latency by the day (30 days) and by the hour (24 hours).
//
// BENCH_SECONDS (10) per run; BENCH_ADAPTERS=express,fastify; BENCH_SKIP=stats;
// BENCH_STATS_ROWS; BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") for the API process.
import { spawn } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import pg from 'pg';
import { api, benchEnv, freePort, pin, pinned, startServer, startServices, stopChild as stop, waitFor } from './bench-env.mjs';

const API_PORT = await freePort();
const REF_PORT = await freePort();

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const ADAPTERS = (process.env.BENCH_ADAPTERS ?? 'express,fastify').split(',');
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const STATS_ROWS = Number(process.env.BENCH_STATS_ROWS ?? 1_000_000);
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const CONNECTIONS = 50;
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One autocannon run in its own process (scripts/bench-pixel-load.mjs), pinned to core 1. */
function load(url, { body, spreadAddresses = false, seconds = DURATION } = {}) {
  const [cmd, args] = pinned(1, [process.execPath, join(root, 'scripts/bench-pixel-load.mjs')]);
  const env = { ...process.env, BENCH_URL: url, BENCH_SECONDS: String(seconds), BENCH_CONNECTIONS: String(CONNECTIONS), ...(body ? { BENCH_BODY: JSON.stringify(body) } : {}), ...(spreadAddresses ? { BENCH_SPREAD_ADDRESSES: '1' } : {}) };
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => {
      try {
        done(JSON.parse(out));
      } catch {
        fail(new Error(`load ${url} ended (${code}) without a result: ${err.trim().split('\n').slice(-5).join(' | ')}`));
      }
    });
  });
}

const services = await startServices();
const db = new pg.Client({ connectionString: services.databaseUrl });
await db.connect();
const queue = new Queue('pixel', { connection: { url: services.redisUrl }, prefix: 'tessera' });
const stored = async (workspaceId) => (await db.query('SELECT count(*)::int AS n FROM pixel_events WHERE workspace_id = $1', [workspaceId])).rows[0].n;
const queued = async () => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0);

/** A workspace with its pixel on bench.example, and a workspaces:read API key for its stats. */
async function seed() {
  const server = startServer('dist/src/main.js', { ...benchEnv(services, 'fastify'), API_PROCESSES: '1' }, API_PORT, { core: null });
  const base = `http://127.0.0.1:${API_PORT}`;
  try {
    await waitFor(`${base}/api/v1/health`);
    const made = [];
    for (const name of ['pixel', 'big']) {
      const reg = await api(base, 'POST', '/auth/register', { name: 'Bench', email: `bench-${name}-${Date.now()}@example.test`, password: 'bench password' });
      const auth = { authorization: `Bearer ${reg.access_token}`, 'x-workspace-id': reg.workspace.id };
      const settings = await api(base, 'PATCH', '/pixel/settings', { domains: [`${name}.bench.example`] }, auth);
      const key = (await api(base, 'POST', '/api-keys', { name: 'bench', scopes: ['workspaces:read'] }, auth)).key;
      made.push({ workspaceId: reg.workspace.id, pixelKey: settings.key, apiKey: key });
    }
    return { pixel: made[0], big: made[1] };
  } finally {
    await stop(server);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timedGet(url, key, n = 15) {
  const times = [];
  let body;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    body = await res.json();
    if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
    times.push(performance.now() - t);
  }
  return { ms: median(times), body };
}

const rows = [];
let statsRows = null;
try {
  const ws = await seed();
  const event = { key: ws.pixel.pixelKey, event: 'pageview', url: 'https://pixel.bench.example/pricing', referrer: 'https://www.google.com/', user_agent: 'Mozilla/5.0 (bench)', properties: { title: 'Pricing' }, session_id: 'ses_bench' };

  for (const adapter of ADAPTERS) {
    const bareServer = startServer('dist/scripts/bench-bare.js', { HTTP_ADAPTER: adapter }, REF_PORT);
    await waitFor(`http://127.0.0.1:${REF_PORT}/bare`);
    log(`${adapter}: bare`);
    await load(`http://127.0.0.1:${REF_PORT}/bare`, { seconds: Math.max(1, Math.round(DURATION / 2)) });
    const bare = await load(`http://127.0.0.1:${REF_PORT}/bare`);
    await stop(bareServer);

    await db.query('TRUNCATE pixel_events');
    const env = { ...benchEnv(services, adapter), API_PROCESSES: '1', RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'true' };
    const worker = startServer('dist/src/worker.js', { ...benchEnv(services, adapter), WORKER_QUEUES: 'pixel' }, 0, { core: null });
    const full = startServer('dist/src/main.js', env, API_PORT, { nodeArgs: NODE_ARGS });
    const url = `http://127.0.0.1:${API_PORT}/api/v1/pixel/track`;
    await waitFor(`http://127.0.0.1:${API_PORT}/api/v1/health`);
    log(`${adapter}: warm-up`);
    await load(url, { body: event, spreadAddresses: true, seconds: Math.max(1, Math.round(DURATION / 2)) });
    log(`${adapter}: GET /api/v1/scopes`);
    const scopes = await load(`http://127.0.0.1:${API_PORT}/api/v1/scopes`, { spreadAddresses: true });
    while ((await queued()) > 0) await sleep(50);
    await sleep(1000);
    const warm = await stored(ws.pixel.workspaceId);

    log(`${adapter}: POST /pixel/track with a worker storing`);
    const run = await load(url, { body: event, spreadAddresses: true });
    const loadEnded = performance.now();
    const atEnd = (await stored(ws.pixel.workspaceId)) - warm;
    while ((await queued()) > 0) await sleep(20);
    const drainMs = performance.now() - loadEnded;
    const total = (await stored(ws.pixel.workspaceId)) - warm;
    await stop(full);
    await stop(worker);
    rows.push({ adapter, bare, scopes, run, atEnd, drainMs, total });
  }

  if (!SKIP.has('stats')) {
    log(`stats: seeding ${STATS_ROWS.toLocaleString('en-US')} events over 30 days`);
    await db.query('TRUNCATE pixel_events');
    await db.query('SET synchronous_commit = off');
    const now = Date.now();
    // The big workspace: STATS_ROWS events spread over the last 30 days; the small one: 10,000 over
    // the same days. A session is 20 consecutive events; one event in 10 is a custom event.
    for (const [workspaceId, n] of [[ws.big.workspaceId, STATS_ROWS], [ws.pixel.workspaceId, 10_000]]) {
      await db.query(
        `INSERT INTO pixel_events (id, workspace_id, event, url, referrer_host, session_id, occurred_at)
         SELECT 'px_s' || $1 || g, $1, CASE WHEN g % 10 = 0 THEN 'signup' ELSE 'pageview' END, 'https://bench.example/' || (g % 500),
                CASE WHEN g % 3 = 0 THEN 'ref' || (g % 40) || '.example' END, 'ses' || (g / 20),
                to_timestamp($3::double precision / 1000) - make_interval(secs => (g::double precision * 30 * 86400 / $2::int))
           FROM generate_series(1, $2::int) g`,
        [workspaceId, n, now],
      );
    }
    await db.query('VACUUM ANALYZE pixel_events');
    const server = startServer('dist/src/main.js', { ...benchEnv(services, 'fastify'), API_PROCESSES: '1' }, API_PORT, { core: null });
    await waitFor(`http://127.0.0.1:${API_PORT}/api/v1/health`);
    const stats = (w, q) => timedGet(`http://127.0.0.1:${API_PORT}/api/v1/pixel/stats?${q}`, w.apiKey);
    statsRows = [];
    for (const [label, w] of [[`big (${STATS_ROWS.toLocaleString('en-US')} events)`, ws.big], ['small (10,000 events)', ws.pixel]]) {
      const day = await stats(w, 'interval=day');
      const hour = await stats(w, 'interval=hour');
      statsRows.push({ label, day, hour });
    }
    await stop(server);
  }

  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log(`\nbench:pixel — ${CONNECTIONS} connections, ${DURATION} s per run, API on core 0, autocannon on core 1${pin ? '' : ' (taskset missing: not pinned)'}, worker/PostgreSQL/Redis unpinned\n`);
  console.log('| adapter | bare Nest constant route | full stack, GET /scopes (public, constant) | POST /pixel/track, accepted events/s | / bare | / GET /scopes | stored when the load stopped | then all stored after | accepted (2xx) / stored |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const other = r.run.non2xx ? `, ${r.run.non2xx} non-2xx` : '';
    console.log(
      `| ${r.adapter} | ${fmt(r.bare.rps)} (p99 ${r.bare.p99} ms) | ${fmt(r.scopes.rps)} (p99 ${r.scopes.p99} ms${r.scopes.non2xx ? `, ${r.scopes.non2xx} non-2xx` : ''}) | ${fmt(r.run.rps)} (p99 ${r.run.p99} ms${other}) | ` +
        `${(r.run.rps / r.bare.rps).toFixed(2)} | ${(r.run.rps / r.scopes.rps).toFixed(2)} | ` +
        `${fmt(r.atEnd)} (${((100 * r.atEnd) / r.run.ok).toFixed(0)} %) | ${(r.drainMs / 1000).toFixed(1)} s | ${fmt(r.run.ok)} / ${fmt(r.total)} |`,
    );
  }
  console.log('(stored can exceed the 2xx count by the requests answered after autocannon stopped counting)');
  if (statsRows) {
    console.log('\n| workspace | GET /pixel/stats?interval=day (30 days) | ?interval=hour (24 hours) |');
    console.log('|---|---|---|');
    for (const s of statsRows) console.log(`| ${s.label} | ${s.day.ms.toFixed(1)} ms (${fmt(s.day.body.data.totals.pageviews)} pageviews) | ${s.hour.ms.toFixed(1)} ms (${fmt(s.hour.body.data.totals.pageviews)} pageviews) |`);
    console.log('(median of 15 sequential requests; the table also holds the other workspace’s events)');
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await queue.close();
  await db.end();
  await services.stop();
}
