// npm run bench:webhooks — 10,000 events from the commit of their outbox rows to the receiver's
// acknowledgement, with 1 and 2 worker processes, against a bare BullMQ worker doing plain POSTs
// to the same loopback receiver in the same run. Prints events/s, the ratio to the bare worker
// (goal: at least 0.6) and p50/p99 from commit to delivery.
//
// Tessera's side is the whole path: relay (outbox → deliveries rows → jobs), per-endpoint
// fairness, Standard Webhooks signing, the pinned HTTP client, the attempt log and counters.
// Events are committed in batches of 500 (one INSERT … generate_series per batch), as a burst.
//
// Each side runs BENCH_ROUNDS times (default 3), alternating, and the best round of each is kept:
// other work on the machine only ever slows a round down. Beside each row, the CPU time each kind
// of process spent per 1,000 events (read from /proc for this script's whole process tree), which
// says where the cost is when the rates differ.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import pg from 'pg';
import { api, benchEnv, startServices, stopChild as stop } from './bench-env.mjs';
import { NODE_FLAGS } from './node-flags.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const BATCH = 500;
/** Requests in flight per worker process on both sides: the bare worker's concurrency, and the endpoint's max_in_flight is this times the processes. */
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TICK_MS = 10; // USER_HZ is 100 on Linux
const now = () => performance.timeOrigin + performance.now();

// The receiver: acknowledges at once and notes when each webhook-id first arrived.
const arrivals = new Map();
let duplicates = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const id = req.headers['webhook-id'];
    if (arrivals.has(id)) duplicates++;
    else arrivals.set(id, now());
    res.writeHead(204).end();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}`;

const services = await startServices();
const db = new pg.Client({ connectionString: services.databaseUrl });
await db.connect();


async function waitForWorkers(queueName, prefix, count) {
  const queue = new Queue(queueName, { connection: { url: services.redisUrl }, prefix });
  try {
    for (let i = 0; i < 300; i++) {
      if ((await queue.getWorkersCount()) >= count) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${count} workers on ${queueName} did not come up`);
  } finally {
    await queue.close();
  }
}

async function waitForArrivals(ids, timeoutMs = 300_000) {
  const end = Date.now() + timeoutMs;
  while (ids.some((id) => !arrivals.has(id))) {
    if (Date.now() > end) throw new Error(`only ${ids.filter((id) => arrivals.has(id)).length} of ${ids.length} events arrived`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** CPU ticks so far of every process in this script's tree (this one included), by kind. */
function cpuTicks() {
  const procs = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8') });
    } catch {
      // gone meanwhile
    }
  }
  const mine = (pid) => {
    for (let p = pid, i = 0; p > 1 && i < 64; i++, p = procs.get(p)?.ppid ?? 0) if (p === process.pid) return true;
    return false;
  };
  const kinds = {};
  for (const [pid, p] of procs) {
    if (!mine(pid)) continue;
    const kind = p.cmd.includes('postgres') ? 'postgres' : p.cmd.includes('redis-server') ? 'redis' : pid === process.pid ? 'receiver' : 'worker';
    kinds[kind] = (kinds[kind] ?? 0) + p.ticks;
  }
  return kinds;
}

function summarise(label, processes, committedAt, ids, cpuBefore) {
  const cpuAfter = cpuTicks();
  const latencies = ids.map((id) => arrivals.get(id) - committedAt.get(id)).sort((a, b) => a - b);
  const first = Math.min(...committedAt.values());
  const last = Math.max(...ids.map((id) => arrivals.get(id)));
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  // Worker processes started after cpuBefore count from zero; PostgreSQL backends of this run too.
  const cpu = Object.fromEntries(['worker', 'postgres', 'redis', 'receiver'].map((k) => [k, (((cpuAfter[k] ?? 0) - (cpuBefore[k] ?? 0)) * TICK_MS * 1000) / ids.length]));
  return { label, processes, eps: ids.length / ((last - first) / 1000), p50: pct(50), p99: pct(99), cpu };
}

const env = {
  ...benchEnv(services),
  // Loopback receiver: development mode with private URLs allowed (production refuses that setting).
  NODE_ENV: 'development',
  WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
  // The same number of requests in flight per process as the bare worker's concurrency.
  WEBHOOKS_CONCURRENCY: String(IN_FLIGHT),
};

async function tessera(processes, setup, round) {
  const reg = await api(setup.base, 'POST', '/auth/register', { name: 'Bench', email: `bench-wh-${processes}-${round}-${Date.now()}@example.test`, password: 'bench password' });
  const auth = { authorization: `Bearer ${reg.access_token}`, 'x-workspace-id': reg.workspace.id };
  await api(setup.base, 'PATCH', `/workspaces/${reg.workspace.id}`, { tier: 'enterprise' }, { authorization: auth.authorization });
  await api(setup.base, 'POST', '/webhooks', { url: `${receiverUrl}/tessera-${processes}`, events: ['post.created'], max_in_flight: IN_FLIGHT * processes }, auth);

  const workers = Array.from({ length: processes }, () =>
    spawn(process.execPath, [...NODE_FLAGS, ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []), join(root, 'dist/src/worker.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  try {
    await waitForWorkers('webhooks', 'tessera', processes);
    const cpuBefore = cpuTicks();
    const committedAt = new Map();
    const ids = [];
    for (let from = 0; from < EVENTS; from += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, EVENTS - from) }, (_, i) => `evt_bench${processes}r${round}t${String(from + i).padStart(6, '0')}`);
      await db.query(
        `INSERT INTO events (id, workspace_id, type, data)
         SELECT id, $2, 'post.created', jsonb_build_object('id', 'pst_' || id, 'title', 'Benchmark post', 'status', 'published')
         FROM unnest($1::text[]) AS id`,
        [batch, reg.workspace.id],
      );
      const at = now();
      for (const id of batch) committedAt.set(id, at);
      ids.push(...batch);
    }
    await waitForArrivals(ids);
    return summarise('Tessera (relay, sign, log)', processes, committedAt, ids, cpuBefore);
  } finally {
    await Promise.all(workers.map(stop));
  }
}

async function bare(processes, round) {
  const queueName = `bare-${processes}-${round}`;
  const target = `${receiverUrl}/bare-${processes}`;
  const workers = Array.from({ length: processes }, () =>
    spawn(process.execPath, [...NODE_FLAGS, join(root, 'scripts/bench-webhooks-bare.mjs'), services.redisUrl, queueName, target, String(IN_FLIGHT)], { stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  const queue = new Queue(queueName, { connection: { url: services.redisUrl }, prefix: 'bench' });
  try {
    await waitForWorkers(queueName, 'bench', processes);
    const cpuBefore = cpuTicks();
    const committedAt = new Map();
    const ids = [];
    for (let from = 0; from < EVENTS; from += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, EVENTS - from) }, (_, i) => `evt_bare${processes}r${round}t${String(from + i).padStart(6, '0')}`);
      await queue.addBulk(batch.map((id) => ({ name: 'post', data: { id, body: JSON.stringify({ id, type: 'post.created', data: { title: 'Benchmark post' } }) }, opts: { removeOnComplete: true } })));
      const at = now();
      for (const id of batch) committedAt.set(id, at);
      ids.push(...batch);
    }
    await waitForArrivals(ids);
    return summarise('bare BullMQ worker, plain POST', processes, committedAt, ids, cpuBefore);
  } finally {
    await queue.close();
    await Promise.all(workers.map(stop));
  }
}

const rows = [];
try {
  const { startApi } = await import('./bench-env.mjs');
  const setup = await startApi(services, 'express', env);
  try {
    const best = (runs) => runs.reduce((a, r) => (r.eps > a.eps ? r : a));
    for (const processes of [1, 2]) {
      const bs = [];
      const ts = [];
      for (let round = 1; round <= ROUNDS; round++) {
        bs.push(await bare(processes, round));
        ts.push(await tessera(processes, setup, round));
        process.stderr.write(`  ${processes} worker(s), round ${round}: bare ${Math.round(bs.at(-1).eps)}/s, Tessera ${Math.round(ts.at(-1).eps)}/s\n`);
      }
      rows.push({ processes, b: best(bs), t: best(ts) });
    }
  } finally {
    await setup.app.close();
  }
} finally {
  await db.end();
  await services.stop();
  receiver.close();
}

const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(7);
const cpu = (r) => ['worker', 'postgres', 'redis', 'receiver'].map((k) => fmt(r.cpu[k]).trim().padStart(6)).join(' ');
console.log(`\nbench:webhooks — ${EVENTS.toLocaleString('en-US')} events per run, committed in batches of ${BATCH}, ${IN_FLIGHT} in flight per process, loopback receiver, best of ${ROUNDS} rounds`);
console.log('                                                                          CPU ms per 1,000 events');
console.log('workers  sender                            events/s   p50 ms   p99 ms   ratio  worker postgres  redis receiver');
for (const { processes, b, t } of rows) {
  console.log(`${String(processes).padEnd(8)} ${b.label.padEnd(33)} ${fmt(b.eps)}   ${fmt(b.p50)}  ${fmt(b.p99)}         ${cpu(b)}`);
  console.log(`${String(processes).padEnd(8)} ${t.label.padEnd(33)} ${fmt(t.eps)}   ${fmt(t.p50)}  ${fmt(t.p99)}   ${(t.eps / b.eps).toFixed(2)}  ${cpu(t)}`);
}
console.log(`duplicate deliveries seen by the receiver: ${duplicates}`);
process.exit(0);
