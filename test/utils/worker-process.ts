import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { TEST_JWT_SECRET } from './app';

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker logged that it started. */
  ready: Promise<void>;
  /** kill -9: no shutdown hook runs, active jobs are left locked in Redis. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit: Nest closes the workers (active jobs finish), then re-raises the signal. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The real worker process (src/worker.ts) with the suite's settings and `env` on top. */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [join(__dirname, 'worker-process.cjs')], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_ENABLED: 'false',
      WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start in 30 s: ${output.slice(-2000)}`)), 30_000);
    const onData = (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
      if (output.includes('worker started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code ?? signal}) before it started: ${output.slice(-2000)}`));
    });
  });
  ready.catch(() => undefined);
  return {
    child,
    ready,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
