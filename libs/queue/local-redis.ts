import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';

export interface LocalRedisHandle {
  url: string;
  stop(): Promise<void>;
}

function hasRedisServer(): boolean {
  return spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure the Debian package redis-server is installed: installs it with apt-get when it is
 * missing and we are root, else stops with a one-line message saying what to install.
 */
export function ensureRedisServer(log: (line: string) => void = () => undefined): void {
  if (hasRedisServer()) return;
  const root = process.getuid?.() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!root || !apt) {
    throw new Error('redis-server is not installed: install it (Debian/Ubuntu: apt-get install redis-server) or set REDIS_URL to an existing Redis.');
  }
  log('redis-server is missing: installing the Debian package redis-server (apt-get)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'redis-server']]) {
    const r = spawnSync('apt-get', ['-q', ...args], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: install redis-server by hand or set REDIS_URL.`);
  }
  if (!hasRedisServer()) throw new Error('redis-server is still missing after apt-get install.');
}

function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`redis-server exited with code ${child.exitCode}`));
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on port ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** redis-server's own memory notation: bytes, or a number with kb, mb or gb (e.g. 256mb). */
export function checkMaxmemory(value: string): string {
  if (!/^[1-9]\d*(b|k|kb|m|mb|g|gb)?$/i.test(value)) throw new Error(`LOCAL_REDIS_MAXMEMORY must be a size like 256mb or 1gb (got "${value}")`);
  return value.toLowerCase();
}

/**
 * Runs redis-server as a child process: AOF persistence, bound to loopback, a memory ceiling
 * (default 256mb) with no eviction: BullMQ must never lose a job to maxmemory, so a full Redis
 * refuses writes (idempotency and rate limits then fail open) instead of eating the machine.
 */
export async function startLocalRedis(options: { dir: string; port: number; persistent: boolean; maxmemory?: string; log?: (line: string) => void }): Promise<LocalRedisHandle> {
  const maxmemory = checkMaxmemory(options.maxmemory ?? '256mb');
  ensureRedisServer(options.log);
  mkdirSync(options.dir, { recursive: true });
  const args = [
    '--port', String(options.port),
    '--bind', '127.0.0.1',
    '--dir', options.dir,
    '--maxmemory', maxmemory,
    '--maxmemory-policy', 'noeviction',
    '--save', '',
    '--daemonize', 'no',
    '--appendonly', options.persistent ? 'yes' : 'no',
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => options.log?.(`[redis] ${d.toString().trim()}`));
  await waitForPort(options.port, child);
  return {
    url: `redis://127.0.0.1:${options.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
