import { describe, expect, it } from 'vitest';
import { newWebhookSecret, webhookHeadersProblem, webhookSecretProblem } from './webhook-rules';

describe(webhookHeadersProblem.name, () => {
  it('should accept custom headers', () => {
    expect(webhookHeadersProblem({})).toBeNull();
    expect(webhookHeadersProblem({ 'X-Team': 'payments', 'X-Trace': 'a b c' })).toBeNull();
  });

  it.each([
    [[], /object/],
    ['x', /object/],
    [{ Host: 'evil' }, /reserved/],
    [{ 'content-length': '1' }, /reserved/],
    [{ 'Webhook-Signature': 'v1,x' }, /reserved/],
    [{ Authorization: 'Bearer x' }, /reserved/],
    [{ 'Proxy-Foo': 'x' }, /reserved/],
    [{ 'X-Forwarded-For': '1.2.3.4' }, /reserved/],
    [{ 'bad name': 'x' }, /HTTP token/],
    [{ ['x'.repeat(65)]: 'x' }, /HTTP token/],
    [{ 'X-A': 'line\r\nInjected: 1' }, /printable/],
    [{ 'X-A': '' }, /printable/],
    [{ 'X-A': 'v'.repeat(1025) }, /printable/],
    [{ 'X-A': 5 }, /printable/],
    [{ 'X-A': 'a', 'x-a': 'b' }, /twice/],
    [Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`X-H${i}`, 'v'])), /at most 10/],
  ])('should refuse %j', (headers, reason) => {
    expect(webhookHeadersProblem(headers)).toMatch(reason);
  });
});

describe(webhookSecretProblem.name, () => {
  it('should accept whsec_ with the base64 of 24 to 64 bytes', () => {
    expect(webhookSecretProblem(`whsec_${Buffer.alloc(24, 1).toString('base64')}`)).toBeNull();
    expect(webhookSecretProblem(`whsec_${Buffer.alloc(64, 2).toString('base64')}`)).toBeNull();
    expect(webhookSecretProblem(newWebhookSecret())).toBeNull();
  });

  it.each([
    Buffer.alloc(24, 1).toString('base64'),
    `whsec_${Buffer.alloc(23, 1).toString('base64')}`,
    `whsec_${Buffer.alloc(65, 1).toString('base64')}`,
    `whsec_${Buffer.alloc(32, 250).toString('base64url')}`,
    'whsec_not base64!',
    42,
  ])('should refuse %j', (secret) => {
    expect(webhookSecretProblem(secret)).not.toBeNull();
  });
});
