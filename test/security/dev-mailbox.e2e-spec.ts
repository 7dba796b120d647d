import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TestApp } from '../utils/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

// A client on another machine cannot be simulated here: isLoopbackAddress (libs/common/http.spec.ts)
// covers the refusal; this covers the loopback client and a forged X-Forwarded-For.
describe('Development mailbox [GET /dev/mailbox]', () => {
  it('answers a loopback client, whatever X-Forwarded-For claims', async () => {
    const res = await t.http().get('/api/v1/dev/mailbox').set('X-Forwarded-For', '203.0.113.9');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.data)).toBe(true);
  });

  it('stays closed in production even to loopback', async () => {
    const prod = await startTestApp({ NODE_ENV: 'production', ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    try {
      expect((await prod.http().get('/api/v1/dev/mailbox')).status).toBe(404);
    } finally {
      await prod.close();
    }
  });
});
