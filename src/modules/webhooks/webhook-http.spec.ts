import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config/config';
import { parseRetryAfter, WebhookHttpClient } from './webhook-http';

const client = (allowPrivate: boolean) => new WebhookHttpClient({ webhooksAllowPrivateUrls: allowPrivate } as AppConfig);

describe('WebhookHttpClient', () => {
  let server: Server;
  let base: string;
  let hits = 0;
  let connections = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      req.resume();
      if (req.url === '/redirect') return void res.writeHead(302, { location: '/ok' }).end();
      if (req.url === '/big') return void res.writeHead(200).end('x'.repeat(100_000));
      if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end('late'), 1_000);
      if (req.url === '/busy') return void res.writeHead(503, { 'retry-after': '120' }).end('busy');
      res.writeHead(200).end(JSON.stringify({ ua: req.headers['user-agent'], custom: req.headers['x-custom'] }));
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('should refuse a loopback address, literal or resolved, without sending anything', async () => {
    const before = hits;
    const c = client(false);
    const literal = await c.post({ url: `${base}/ok`.replace('http:', 'https:'), headers: {}, body: '{}', timeoutMs: 1000 });
    expect(literal).toMatchObject({ statusCode: null, error: expect.stringMatching(/^refused/) });
    const port = (server.address() as AddressInfo).port;
    const named = await c.post({ url: `https://localhost:${port}/ok`, headers: {}, body: '{}', timeoutMs: 1000 });
    expect(named).toMatchObject({ statusCode: null, error: expect.stringMatching(/^refused: localhost resolves to a non-public address/) });
    expect(hits).toBe(before);
    await c.onApplicationShutdown();
  });

  it('should refuse loopback written in every IP literal form (decimal, hex, octal, short, IPv6, mapped) without connecting', async () => {
    const c = client(false);
    const port = (server.address() as AddressInfo).port;
    const before = connections;
    for (const host of ['2130706433', '0x7f000001', '0x7f.0.0.1', '017700000001', '0177.0.0.1', '127.1', '127.0.0.1.', '0', '0.0.0.0', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:ffff:127.0.0.1]', '[::127.0.0.1]', '[64:ff9b::127.0.0.1]', '[2002:7f00:1::]', '169.254.169.254']) {
      const res = await c.post({ url: `https://${host}:${port}/ok`, headers: {}, body: '{}', timeoutMs: 1000 });
      expect(res, host).toMatchObject({ statusCode: null, error: expect.stringMatching(/^refused/) });
    }
    expect(connections).toBe(before);
    await c.onApplicationShutdown();
  });

  it('should send the user agent and custom headers, and reuse one connection', async () => {
    const c = client(true);
    const before = connections;
    for (let i = 0; i < 20; i++) {
      const res = await c.post({ url: `${base}/ok`, headers: { 'x-custom': 'yes' }, body: '{}', timeoutMs: 1000 });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body!)).toEqual({ ua: 'Tessera-Webhooks/1', custom: 'yes' });
    }
    // The first answer may still be draining when the second request starts; after that one stays open.
    expect(connections - before).toBeLessThanOrEqual(2);
    await c.onApplicationShutdown();
  });

  it('should not follow a redirect, keep 4 KB of an answer, honour the timeout and read Retry-After', async () => {
    const c = client(true);
    expect((await c.post({ url: `${base}/redirect`, headers: {}, body: '{}', timeoutMs: 1000 })).statusCode).toBe(302);
    expect((await c.post({ url: `${base}/big`, headers: {}, body: '{}', timeoutMs: 1000 })).body).toHaveLength(4096);
    const slow = await c.post({ url: `${base}/slow`, headers: {}, body: '{}', timeoutMs: 200 });
    expect(slow).toMatchObject({ statusCode: null, error: 'timed out after 200 ms' });
    expect((await c.post({ url: `${base}/busy`, headers: {}, body: '{}', timeoutMs: 1000 })).retryAfterSeconds).toBe(120);
    await c.onApplicationShutdown();
  });

  it('should parse Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('30')).toBe(30);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThanOrEqual(59);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });
});
