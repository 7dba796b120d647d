// npm run bench:webhooks — 10,000 events from the commit of their outbox rows to the receiver's
// acknowledgement, with 1 and 2 worker processes, against a bare BullMQ worker doing plain POSTs
// to the same loopback receiver in the same run. Prints events/s, the ratio to the bare worker
// (goal: at least 0.6) and p50/p99 from commit to delivery.
//
// Tessera's side is the whole path: relay (outbox → deliveries rows → jobs), per-endpoint
// fairness, Standard Webhooks signing, the pinned HTTP client, the attempt log and counters.
// Events are committed in batches of 500 (one INSERT … generate_series per batch), as a burst.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import pg from 'pg';
import { api, benchEnv, startServices, stopChild as stop } from './bench-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const BATCH = 500;
/** Requests in flight per worker process on both sides: the bare worker's concurrency, and the endpoint's max_in_flight is this times the processes. */
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 50);
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

function summarise(label, processes, committedAt, ids) {
  const latencies = ids.map((id) => arrivals.get(id) - committedAt.get(id)).sort((a, b) => a - b);
  const first = Math.min(...committedAt.values());
  const last = Math.max(...ids.map((id) => arrivals.get(id)));
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { label, processes, eps: ids.length / ((last - first) / 1000), p50: pct(50), p99: pct(99) };
}

const env = {
  ...benchEnv(services),
  // Loopback receiver: development mode with private URLs allowed (production refuses that setting).
  NODE_ENV: 'development',
  WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
};

async function tessera(processes, setup) {
  const reg = await api(setup.base, 'POST', '/auth/register', { name: 'Bench', email: `bench-wh-${processes}-${Date.now()}@example.test`, password: 'bench password' });
  const auth = { authorization: `Bearer ${reg.access_token}`, 'x-workspace-id': reg.workspace.id };
  await api(setup.base, 'PATCH', `/workspaces/${reg.workspace.id}`, { tier: 'enterprise' }, { authorization: auth.authorization });
  await api(setup.base, 'POST', '/webhooks', { url: `${receiverUrl}/tessera-${processes}`, events: ['post.created'], max_in_flight: IN_FLIGHT * processes }, auth);

  const workers = Array.from({ length: processes }, () =>
    spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []), join(root, 'dist/src/worker.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  try {
    await waitForWorkers('webhooks', 'tessera', processes);
    const committedAt = new Map();
    const ids = [];
    for (let from = 0; from < EVENTS; from += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, EVENTS - from) }, (_, i) => `evt_bench${processes}t${String(from + i).padStart(6, '0')}`);
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
    return summarise('Tessera (relay, sign, log)', processes, committedAt, ids);
  } finally {
    await Promise.all(workers.map(stop));
  }
}

async function bare(processes) {
  const queueName = `bare-${processes}`;
  const target = `${receiverUrl}/bare-${processes}`;
  const workers = Array.from({ length: processes }, () =>
    spawn(process.execPath, [join(root, 'scripts/bench-webhooks-bare.mjs'), services.redisUrl, queueName, target, String(IN_FLIGHT)], { stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  const queue = new Queue(queueName, { connection: { url: services.redisUrl }, prefix: 'bench' });
  try {
    await waitForWorkers(queueName, 'bench', processes);
    const committedAt = new Map();
    const ids = [];
    for (let from = 0; from < EVENTS; from += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, EVENTS - from) }, (_, i) => `evt_bare${processes}t${String(from + i).padStart(6, '0')}`);
      await queue.addBulk(batch.map((id) => ({ name: 'post', data: { id, body: JSON.stringify({ id, type: 'post.created', data: { title: 'Benchmark post' } }) }, opts: { removeOnComplete: true } })));
      const at = now();
      for (const id of batch) committedAt.set(id, at);
      ids.push(...batch);
    }
    await waitForArrivals(ids);
    return summarise('bare BullMQ worker, plain POST', processes, committedAt, ids);
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
    for (const processes of [1, 2]) {
      const b = await bare(processes);
      const t = await tessera(processes, setup);
      rows.push({ processes, b, t });
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
console.log(`\nbench:webhooks — ${EVENTS.toLocaleString('en-US')} events per run, committed in batches of ${BATCH}, ${IN_FLIGHT} in flight per process, loopback receiver`);
console.log('workers  sender                            events/s   p50 ms   p99 ms   ratio');
for (const { processes, b, t } of rows) {
  console.log(`${String(processes).padEnd(8)} ${b.label.padEnd(33)} ${fmt(b.eps)}   ${fmt(b.p50)}  ${fmt(b.p99)}`);
  console.log(`${String(processes).padEnd(8)} ${t.label.padEnd(33)} ${fmt(t.eps)}   ${fmt(t.p50)}  ${fmt(t.p99)}   ${(t.eps / b.eps).toFixed(2)}`);
}
console.log(`duplicate deliveries seen by the receiver: ${duplicates}`);
process.exit(0);
