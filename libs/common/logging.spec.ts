import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AppLogger, inRequestContext } from './logging';
import { notePrincipalForLog } from './request-id';

/** A logger at `level` whose lines the test reads back. */
function capture(level: 'info' | 'warn' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: new AppLogger(level, destination), lines };
}

let close: (() => void) | undefined;
afterEach(() => close?.());

/** A loopback server whose every request goes through logRequest, then `handle`. */
async function serve(logger: AppLogger, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    logger.logRequest(req, res);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => server.close();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('AppLogger', () => {
  it('writes one line per request with its id, method, url as received, status, duration and caller, and nothing of its headers', async () => {
    const { logger, lines } = capture();
    const base = await serve(logger, (req, res) => {
      notePrincipalForLog(req, 'key_1');
      req.url = '/rewritten';
      res.writeHead(201).end('{}');
    });
    const res = await fetch(`${base}/api/v1/posts?limit=5`, { method: 'POST', headers: { authorization: 'Bearer sk_live_secretvalue', 'x-request-id': 'req-abc' } });
    expect(res.status).toBe(201);
    await settle();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request completed', request_id: 'req-abc', method: 'POST', url: '/api/v1/posts?limit=5', status: 201, principal_id: 'key_1', level: 30 });
    expect(typeof lines[0].duration_ms).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('secretvalue');
  });

  it('logs a 5xx at error level, a client that left before the answer as aborted, and never the health probe', async () => {
    const { logger, lines } = capture();
    const base = await serve(logger, (req, res) => {
      if (req.url === '/boom') res.writeHead(500).end();
      else if (req.url === '/api/v1/health') res.end('ok');
      else req.socket.destroy();
    });
    await fetch(`${base}/boom`);
    await fetch(`${base}/api/v1/health`);
    await fetch(`${base}/hang`).catch(() => undefined);
    await settle();
    expect(lines.map((l) => [l.msg, l.level, l.url])).toEqual([
      ['request failed', 50, '/boom'],
      ['request aborted', 40, '/hang'],
    ]);
  });

  it('at a level above info writes no request lines', async () => {
    const { logger, lines } = capture('warn');
    const base = await serve(logger, (_req, res) => res.end('ok'));
    await fetch(base);
    await settle();
    expect(lines).toEqual([]);
  });

  it('takes Nest’s calling conventions, puts the request id on lines written while it is served, and redacts secrets', async () => {
    const { logger, lines } = capture();
    await new Promise<void>((resolve) =>
      inRequestContext('req_1', () => {
        setTimeout(() => {
          logger.warn({ err: 'down', password: 'hunter2' }, 'store not checked', 'RateLimitGuard');
          resolve();
        }, 1);
      }),
    );
    logger.log('started', 'NestApplication');
    logger.error('boom', 'Error: boom\n    at somewhere (file.js:1:1)', 'ExceptionsHandler');
    logger.error(new Error('bad'), 'Worker');
    logger.debug('not written', 'Debug');
    await settle();
    expect(lines[0]).toMatchObject({ level: 40, request_id: 'req_1', context: 'RateLimitGuard', err: 'down', password: '[Redacted]', msg: 'store not checked' });
    expect(lines[1]).toMatchObject({ level: 30, context: 'NestApplication', msg: 'started' });
    expect(lines[1].request_id).toBeUndefined();
    expect(lines[2]).toMatchObject({ level: 50, context: 'ExceptionsHandler', err: { message: 'boom', stack: expect.stringContaining('at somewhere') } });
    expect(lines[3]).toMatchObject({ level: 50, context: 'Worker', err: { message: 'bad' } });
    expect(lines).toHaveLength(4);
  });
});
