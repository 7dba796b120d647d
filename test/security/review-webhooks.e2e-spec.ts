import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

// The adversarial review of the webhooks (issue 8) and hot path (issue 9) change: each test
// reproduces what the reviewer broke, and passes since it was fixed.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

/** Sends one raw HTTP/1.1 request (so the request target may be in absolute form) and returns the status and body. */
function raw(target: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, text: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    const lines = [`GET ${target} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''];
    socket.write(lines.join('\r\n'));
  });
}

describe('Review finding 1: the queues dashboard gate judged the raw request target, so an absolute-form target reached bull-board unauthenticated', () => {
  it('an absolute-form or otherwise odd request target to /admin/queues is 404 without a credential, never the dashboard [GET /admin/queues]', async () => {
    const owner = await registerAccount(t);
    const { host } = new URL(t.url);
    const targets = [
      `http://${host}/admin/queues/api/queues`,
      `http://${host}/admin/queues`,
      `HTTP://${host}//Admin/Queues/api/queues`,
      `http://${host}/admin/queues/api/redis/stats`,
      `/admin/queues/api/queues`,
      `/admin/queues/./api/queues`,
      `/x/../admin/queues/api/queues`,
    ];
    for (const target of targets) {
      for (const headers of [{}, owner.auth]) {
        const res = await raw(target, headers);
        expect(res.status, `${target} ${JSON.stringify(headers).slice(0, 20)}`).not.toBe(200);
        expect(res.text, target).not.toMatch(/maintenance|metering|redisStats|"queues"/i);
      }
    }
  });
});
