import 'reflect-metadata';
import cluster, { type Worker } from 'node:cluster';
import { createApp } from './bootstrap';
import { AppConfig } from './config/config';
import { loadConfigOrExit } from './config/load';

/** A worker that dies sooner than this after it started is crash-looping: the primary gives up. */
const CRASH_LOOP_MS = 10_000;

async function serve(config: AppConfig): Promise<void> {
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  // For bench:api's memory figure: under `node --expose-gc`, the message "gc" from the parent
  // process (an IPC channel) collects garbage. Signals are taken: Nest's shutdown hooks listen to them.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc && process.send && !cluster.isWorker) process.on('message', (message) => message === 'gc' && gc());
}

/**
 * API_PROCESSES > 1: this process only forks the API processes (node:cluster; they share the one
 * port, each with its own pool and Redis connections: shared state is in Redis and PostgreSQL) and
 * passes SIGTERM/SIGINT on; each shuts down gracefully. A process that dies is replaced, unless it
 * died right after starting, which would loop: then everything stops and the exit says so.
 */
function supervise(count: number): void {
  let stopping = false;
  const started = new Map<Worker, number>();
  const fork = () => started.set(cluster.fork(), Date.now());
  for (let i = 0; i < count; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) {
      if (started.size === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    process.stderr.write(`API process ${worker.process.pid} exited (${signal ?? code})\n`);
    if (lived < CRASH_LOOP_MS) {
      stopping = true;
      for (const w of started.keys()) w.process.kill('SIGTERM');
      if (started.size === 0) process.exit(1);
      process.exitCode = 1;
      return;
    }
    fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    if (started.size === 0) process.exit(0);
    for (const w of started.keys()) w.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGTERM'));
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.apiProcesses > 1 && cluster.isPrimary) supervise(config.apiProcesses);
  else await serve(config);
}

main().catch((err: unknown) => {
  process.stderr.write(`API failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
