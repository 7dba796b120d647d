// npm run bench:api — autocannon on loopback, 50 connections; the server pinned to core 0 and the
// load generator, PostgreSQL and Redis to core 1. For each HTTP platform, in
// one run: (a) a bare NestJS constant route, (b) the floor — bare Nest sending the posts
// repository's own statements through `pg` with the same envelope, nothing else — and (c) the full
// stack (API key, auth, rate limit, metering, envelope, query) on GET /api/v1/posts, in page mode
// (per_page=25: page + count) and cursor mode (limit=25, no count). Then: cursor-page latency at
// 1k and at 1M rows, resident memory under load (start, peak, end after GC), and the full stack
// with 1 and with 2 API processes (unpinned). (b) and (c) alternate over BENCH_ROUNDS rounds
// (default 3), every server started afresh each round; each cell is the median round, and the
// table shows the range of stack / floor over the rounds.
//
// BENCH_SECONDS (default 10) per run; BENCH_MEMORY_SECONDS (default 30; the issue's figure is 300)
// for the memory run; BENCH_ADAPTERS=express,fastify; BENCH_SKIP=big,memory,processes to leave parts
// out; BENCH_BIG_ROWS (default 1,000,000) for a quicker seed in development; BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") for the full-stack process.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, benchEnv, freePort, pin, pinned, pinServices, startServer, startServices, stopChild as stop, waitFor } from './bench-env.mjs';
const API_PORT = await freePort();
const REF_PORT = await freePort();

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { Client } = createRequire(import.meta.url)('pg');
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MEMORY_SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 30);
const ADAPTERS = (process.env.BENCH_ADAPTERS ?? 'express,fastify').split(',');
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const CONNECTIONS = 50;
const SMALL = 1_000;
const BIG = Number(process.env.BENCH_BIG_ROWS ?? 1_000_000);
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

/** One autocannon run (in its own process, pinned to core 1 unless core is null). */
function loadAsync(url, headers = {}, { seconds = DURATION, core = 1 } = {}) {
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const [cmd, args] = pinned(core, [process.execPath, join(root, 'node_modules/autocannon/autocannon.js'), '-c', String(CONNECTIONS), '-d', String(seconds), '-j', ...headerArgs, url]);
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code, signal) => {
      try {
        const r = JSON.parse(out);
        done({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx ?? 0, errors: r.errors });
      } catch {
        fail(new Error(`autocannon ${url} ended (${signal ?? code}) without a result: ${err.trim().split('\n').slice(-5).join(' | ')}`));
      }
    });
  });
}

/** A warm-up run (half as long, discarded), then the measured one. */
async function measure(url, headers = {}, options = {}) {
  await loadAsync(url, headers, { ...options, seconds: Math.max(1, Math.round((options.seconds ?? DURATION) / 2)) });
  return loadAsync(url, headers, options);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Sequential latency of cursor pages: walks `pages` pages from the newest, `rounds` times; median ms. */
async function cursorLatency(base, key, pages = 40, rounds = 5) {
  const times = [];
  for (let r = 0; r < rounds; r++) {
    let url = `${base}/api/v1/posts?limit=25`;
    for (let i = 0; i < pages && url; i++) {
      const t = performance.now();
      const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
      const body = await res.json();
      times.push(performance.now() - t);
      if (!res.ok) throw new Error(`cursor page: ${res.status}`);
      url = body.links.next;
    }
  }
  return median(times);
}

async function timed(url, key, n = 30) {
  const times = [];
  let body;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    body = await res.json();
    times.push(performance.now() - t);
  }
  return { ms: median(times), body };
}

function rssMb(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

/** Two workspaces on the enterprise tier with a posts:read key each: SMALL posts and BIG posts, inserted by SQL. */
async function seed(services) {
  const server = startServer('dist/src/main.js', { ...benchEnv(services, 'fastify'), API_PROCESSES: '1' }, API_PORT, { core: null });
  const base = `http://127.0.0.1:${API_PORT}`;
  try {
    await waitFor(`${base}/api/v1/health`);
    const made = [];
    for (const name of ['small', 'big']) {
      const reg = await api(base, 'POST', '/auth/register', { name: 'Bench', email: `bench-${name}-${Date.now()}@example.test`, password: 'bench password' });
      const auth = { authorization: `Bearer ${reg.access_token}`, 'x-workspace-id': reg.workspace.id };
      await api(base, 'PATCH', `/workspaces/${reg.workspace.id}`, { tier: 'enterprise' }, { authorization: auth.authorization });
      const key = (await api(base, 'POST', '/api-keys', { name: 'bench', scopes: ['posts:read'] }, auth)).key;
      made.push({ workspaceId: reg.workspace.id, userId: reg.user?.id ?? null, key });
    }
    const db = new Client({ connectionString: services.databaseUrl });
    db.on('error', () => undefined);
    await db.connect();
    const started = Date.now();
    // A bulk load: no need to wait for the WAL flush of each statement. Titles repeat every 1,000
    // rows so that the full-text (GIN) index gets few distinct words: most of the load's time.
    await db.query('SET synchronous_commit = off');
    for (const [{ workspaceId }, n] of [[made[0], SMALL], [made[1], BIG]]) {
      await db.query(
        `INSERT INTO posts (id, workspace_id, title, body, status, tags, created_at, updated_at)
         SELECT 'pst_' || upper(substr(md5($1 || ':' || g), 1, 26)), $1, 'Post ' || (g % 1000), $3, 'published', '{bench}',
                now() - make_interval(secs => g), now() - make_interval(secs => g)
         FROM generate_series(1, $2::int) g`,
        [workspaceId, n, 'Lorem ipsum dolor sit amet, '.repeat(8)],
      );
    }
    await db.query('VACUUM ANALYZE posts');
    await db.end();
    log(`seeded ${SMALL.toLocaleString('en-US')} + ${BIG.toLocaleString('en-US')} posts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { small: made[0], big: made[1] };
  } finally {
    await stop(server);
  }
}

const services = await startServices();
// The API (and the reference servers) on core 0 alone; autocannon, PostgreSQL and Redis on core 1.
pinServices(1);
const rows = [];
const extra = [];
try {
  const ws = await seed(services);
  const keyHeader = { authorization: `Bearer ${ws.small.key}` };
  for (const adapter of ADAPTERS) {
    // Floor and full stack alternate, each server started afresh every round, and each cell is the
    // median round: on this VM one run of the same build can differ from the next by 20 %.
    const rounds = [];
    let bare;
    for (let round = 1; round <= ROUNDS; round++) {
      const ref = startServer('dist/scripts/bench-bare.js', { HTTP_ADAPTER: adapter, FLOOR_DATABASE_URL: services.databaseUrl, FLOOR_WORKSPACE_ID: ws.small.workspaceId }, REF_PORT);
      await waitFor(`http://127.0.0.1:${REF_PORT}/bare`);
      if (round === 1) {
        log(`${adapter}: bare`);
        bare = await measure(`http://127.0.0.1:${REF_PORT}/bare`);
      }
      log(`${adapter}: floor (round ${round} of ${ROUNDS})`);
      const floorPage = await measure(`http://127.0.0.1:${REF_PORT}/floor?mode=page`);
      const floorCursor = await measure(`http://127.0.0.1:${REF_PORT}/floor?mode=cursor`);
      await stop(ref);

      const full = startServer('dist/src/main.js', { ...benchEnv(services, adapter), API_PROCESSES: '1' }, API_PORT, { nodeArgs: NODE_ARGS });
      const base = `http://127.0.0.1:${API_PORT}`;
      await waitFor(`${base}/api/v1/health`);
      log(`${adapter}: full stack (round ${round} of ${ROUNDS})`);
      const stackPage = await measure(`${base}/api/v1/posts?per_page=25`, keyHeader);
      const stackCursor = await measure(`${base}/api/v1/posts?limit=25`, keyHeader);
      if (round === ROUNDS && !SKIP.has('big')) {
        const small = await cursorLatency(base, ws.small.key);
        const big = await cursorLatency(base, ws.big.key);
        const bigPage = await timed(`${base}/api/v1/posts?per_page=25`, ws.big.key);
        const smallPage = await timed(`${base}/api/v1/posts?per_page=25`, ws.small.key);
        extra.push({ adapter, small, big, bigPage, smallPage });
      }
      await stop(full);
      rounds.push({ floorPage, floorCursor, stackPage, stackCursor });
    }
    const mid = (cell) => [...rounds.map((r) => r[cell])].sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)];
    const spread = (stack, floor) => rounds.map((r) => r[stack].rps / r[floor].rps);
    rows.push({ adapter, bare, floorPage: mid('floorPage'), floorCursor: mid('floorCursor'), stackPage: mid('stackPage'), stackCursor: mid('stackCursor'), pageRatios: spread('stackPage', 'floorPage'), cursorRatios: spread('stackCursor', 'floorCursor') });
  }

  let memory = null;
  if (!SKIP.has('memory')) try {
    const adapter = ADAPTERS.at(-1);
    const full = startServer('dist/src/main.js', { ...benchEnv(services, adapter), API_PROCESSES: '1' }, API_PORT, { nodeArgs: ['--expose-gc'] });
    const base = `http://127.0.0.1:${API_PORT}`;
    await waitFor(`${base}/api/v1/health`);
    await loadAsync(`${base}/api/v1/posts?per_page=25`, keyHeader, { seconds: 3 });
    full.send('gc');
    await new Promise((r) => setTimeout(r, 1000));
    const start = rssMb(full.pid);
    let peak = start;
    const samples = [];
    const sampler = setInterval(() => {
      const now = rssMb(full.pid);
      samples.push(now);
      peak = Math.max(peak, now);
    }, 1000);
    log(`${adapter}: memory under ${MEMORY_SECONDS} s of load`);
    const run = await loadAsync(`${base}/api/v1/posts?per_page=25`, keyHeader, { seconds: MEMORY_SECONDS });
    clearInterval(sampler);
    full.send('gc');
    await new Promise((r) => setTimeout(r, 1000));
    const end = rssMb(full.pid);
    const third = Math.max(1, Math.floor(samples.length / 3));
    memory = { adapter, start, peak, end, firstThird: median(samples.slice(0, third)), lastThird: median(samples.slice(-third)), run };
    await stop(full);
  } catch (err) {
    log(`memory run failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  const processes = [];
  if (!SKIP.has('processes')) {
    pinServices('0,1');
    for (const adapter of ADAPTERS) {
      for (const n of [1, 2]) {
        const full = startServer('dist/src/main.js', { ...benchEnv(services, adapter), API_PROCESSES: String(n) }, API_PORT, { core: null });
        const base = `http://127.0.0.1:${API_PORT}`;
        await waitFor(`${base}/api/v1/health/ready`);
        log(`${adapter}: ${n} process(es), unpinned`);
        processes.push({ adapter, n, r: await measure(`${base}/api/v1/posts?per_page=25`, keyHeader, { core: null }) });
        await stop(full);
      }
    }
  }

  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const cell = (r) => `${fmt(r.rps)} (p99 ${r.p99} ms${r.non2xx ? `, ${r.non2xx} non-2xx` : ''})`;
  console.log(`\nbench:api — ${CONNECTIONS} connections, ${DURATION} s per run, median of ${ROUNDS} rounds (floor and stack alternating, servers restarted), server on core 0, autocannon, PostgreSQL and Redis on core 1${pin ? '' : ' (taskset missing: not pinned)'}; GET /api/v1/posts with an API key, ${SMALL.toLocaleString('en-US')} posts\n`);
  console.log('| adapter | mode | bare Nest constant route | floor (same SQL through pg, same envelope) | full stack | stack / floor |');
  console.log('|---|---|---|---|---|---|');
  const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  for (const r of rows) {
    console.log(`| ${r.adapter} | page (per_page=25) | ${cell(r.bare)} | ${cell(r.floorPage)} | ${cell(r.stackPage)} | ${(r.stackPage.rps / r.floorPage.rps).toFixed(2)} (rounds ${range(r.pageRatios)}) |`);
    console.log(`| ${r.adapter} | cursor (limit=25) | | ${cell(r.floorCursor)} | ${cell(r.stackCursor)} | ${(r.stackCursor.rps / r.floorCursor.rps).toFixed(2)} (rounds ${range(r.cursorRatios)}) |`);
  }
  const ex = rows.find((r) => r.adapter === 'express');
  const fa = rows.find((r) => r.adapter === 'fastify');
  if (ex && fa) console.log(`\nFastify / Express, full stack: page ${(fa.stackPage.rps / ex.stackPage.rps).toFixed(2)}, cursor ${(fa.stackCursor.rps / ex.stackCursor.rps).toFixed(2)}`);
  if (extra.length) {
    console.log(`\n| adapter | cursor page at ${SMALL.toLocaleString('en-US')} rows | at ${BIG.toLocaleString('en-US')} rows | ratio | page 1 at ${SMALL.toLocaleString('en-US')} | page 1 at ${BIG.toLocaleString('en-US')} (total, estimate?) |`);
    console.log('|---|---|---|---|---|---|');
    for (const e of extra) {
      const p = e.bigPage.body.meta.pagination;
      console.log(`| ${e.adapter} | ${e.small.toFixed(2)} ms | ${e.big.toFixed(2)} ms | ${(e.big / e.small).toFixed(2)} | ${e.smallPage.ms.toFixed(2)} ms | ${e.bigPage.ms.toFixed(2)} ms (${p.total.toLocaleString('en-US')}, ${p.total_is_estimate ? 'estimate' : 'exact'}) |`);
    }
    console.log('(median of sequential requests, one at a time)');
  }
  if (memory) {
    const m = memory;
    console.log(`\nResident memory, ${m.adapter} full stack, ${MEMORY_SECONDS} s of page-mode load at ${fmt(m.run.rps)} req/s: start ${m.start.toFixed(0)} MB (after GC), peak ${m.peak.toFixed(0)} MB, end ${m.end.toFixed(0)} MB (after GC); median of the first third ${m.firstThird.toFixed(0)} MB, of the last third ${m.lastThird.toFixed(0)} MB`);
  }
  if (processes.length) {
    console.log('\n| adapter | API processes (unpinned) | full stack, page mode |');
    console.log('|---|---|---|');
    for (const p of processes) console.log(`| ${p.adapter} | ${p.n} | ${cell(p.r)} |`);
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await services.stop();
}
