import { Queue } from 'bullmq';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';
import { isolatedStack, IsolatedStack } from '../utils/isolated-stack';
import { spawnWorker, WorkerProcess } from '../utils/worker-process';

/** The workers serve the pixel queue only, and wait for a held row lock rather than give up after 5 s. */
const WORKER_ENV = { WORKER_QUEUES: 'pixel', DATABASE_LOCK_TIMEOUT_MS: '60000' };

let stack: IsolatedStack;
let t: TestApp;
let db: Client;
let queue: Queue;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  stack = await isolatedStack();
  t = await startTestApp(stack.env);
  db = new Client({ connectionString: stack.env.DATABASE_URL });
  await db.connect();
  queue = new Queue('pixel', { connection: { url: stack.env.REDIS_URL }, prefix: 'tessera' });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill9()));
  await queue?.close();
  await db?.end();
  await t?.close();
  await stack?.drop();
});

async function storedNumbers(workspaceId: string): Promise<number[]> {
  const rows = await db.query<{ n: number }>(`SELECT (properties->>'n')::int AS n FROM pixel_events WHERE workspace_id = $1`, [workspaceId]);
  return rows.rows.map((r) => r.n);
}

describe('Pixel ingestion: kill -9 the worker mid-run and restart it', () => {
  it('stores every accepted event exactly once', { timeout: 120_000 }, async () => {
    const a = await registerAccount(t);
    const settings = await t.http().patch('/api/v1/pixel/settings').set(a.auth).set({ 'X-Workspace-ID': a.workspace.id }).send({ domains: ['crash.example'] });
    const key = settings.body.data.key as string;

    const first = spawnWorker({ ...stack.env, ...WORKER_ENV });
    workers.push(first);
    await first.ready;

    // Visitors keep sending, 20 at a time, each event numbered; an event counts as accepted only on {tracked: true}.
    const accepted = new Set<number>();
    const refused: number[] = [];
    let next = 0;
    let sending = true;
    const visitor = async () => {
      while (sending) {
        const n = next++;
        const res = await t.http().post('/api/v1/pixel/track').send({ key, event: 'pageview', url: `https://crash.example/p/${n}`, session_id: `s${n % 50}`, properties: { n } });
        if (res.status === 200 && res.body.data.tracked === true) accepted.add(n);
        else refused.push(res.status);
      }
    };
    const visitors = Array.from({ length: 20 }, visitor);

    expect(await eventually(async () => (await storedNumbers(a.workspace.id)).length >= 300, 20_000)).toBe(true);

    // Hold the workspace row: the worker's next INSERTs wait on it (their foreign key check), so
    // the kill below lands while batches are being written, with their jobs active in Redis.
    const blocker = new Client({ connectionString: stack.env.DATABASE_URL });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE', [a.workspace.id]);
    const waitingInserts = async () =>
      (await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO pixel_events%'`)).rows.map((r: { pid: number }) => r.pid);
    expect(await eventually(async () => (await waitingInserts()).length > 0 && (await queue.getActiveCount()) > 0, 10_000)).toBe(true);
    await first.kill9();
    // A dead client's statement still runs once its lock is granted; a crashed machine's does not.
    // End those sessions, as the crash of a machine would: their batches are then not stored at all.
    const cut = await waitingInserts();
    expect(cut.length).toBeGreaterThan(0);
    await db.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [cut]);
    await blocker.query('ROLLBACK');
    await blocker.end();
    expect(await queue.getActiveCount()).toBeGreaterThan(0);

    // No worker now: what is accepted meanwhile waits in Redis.
    const atKill = accepted.size;
    expect(await eventually(async () => accepted.size >= atKill + 300, 20_000)).toBe(true);
    sending = false;
    await Promise.all(visitors);
    expect(refused).toEqual([]);
    const beforeRestart = await storedNumbers(a.workspace.id);
    expect(beforeRestart.length).toBeLessThan(accepted.size);

    const second = spawnWorker({ ...stack.env, ...WORKER_ENV });
    workers.push(second);
    await second.ready;
    // The killed worker's batches come back once their locks lapse (10 s), and are written again.
    const drained = async () => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).every((n) => n === 0);
    expect(await eventually(drained, 60_000)).toBe(true);

    const stored = await storedNumbers(a.workspace.id);
    expect(stored.length).toBe(accepted.size);
    expect(new Set(stored)).toEqual(accepted);
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });

    expect(await second.stop()).toEqual({ code: null, signal: 'SIGTERM' });
  });
});
