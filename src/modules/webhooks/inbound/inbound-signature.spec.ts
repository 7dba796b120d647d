import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { inboundPayload, stripeEventId, TIMESTAMP_TOLERANCE_SECONDS, verifyStandardWebhook, verifyStripe } from './inbound-signature';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NOW = 1_764_000_000;
const body = Buffer.from('{"type":"invoice.paid","id":"evt_1"}');

function standardHeaders(id: string, at: number, payload: Buffer | string, secret = SECRET): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': new Webhook(secret).sign(id, new Date(at * 1000), payload) };
}

function stripeHeader(at: number, payload: Buffer | string, secret = 'whsec_stripe_test_secret'): string {
  return `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${payload}`).digest('hex')}`;
}

describe(verifyStandardWebhook.name, () => {
  it('should accept what the standardwebhooks package signs, and return the webhook-id', () => {
    expect(verifyStandardWebhook(SECRET, standardHeaders('msg_1', NOW, body), body, NOW)).toBe('msg_1');
  });

  it('should accept when any one of several signatures matches (the sender rotating its secret)', () => {
    const h = standardHeaders('msg_1', NOW, body);
    const other = standardHeaders('msg_1', NOW, body, `whsec_${Buffer.alloc(24, 7).toString('base64')}`)['webhook-signature'];
    expect(verifyStandardWebhook(SECRET, { ...h, 'webhook-signature': `${other} v1a,abc ${h['webhook-signature']}` }, body, NOW)).toBe('msg_1');
  });

  it('should refuse a changed body, id, timestamp or secret', () => {
    const h = standardHeaders('msg_1', NOW, body);
    expect(verifyStandardWebhook(SECRET, h, Buffer.from(`${body} `), NOW)).toBeNull();
    expect(verifyStandardWebhook(SECRET, { ...h, 'webhook-id': 'msg_2' }, body, NOW)).toBeNull();
    expect(verifyStandardWebhook(SECRET, { ...h, 'webhook-timestamp': String(NOW + 1) }, body, NOW)).toBeNull();
    expect(verifyStandardWebhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`, h, body, NOW)).toBeNull();
  });

  it('should refuse a timestamp more than 5 minutes away, either way', () => {
    for (const at of [NOW - TIMESTAMP_TOLERANCE_SECONDS - 1, NOW + TIMESTAMP_TOLERANCE_SECONDS + 1]) {
      expect(verifyStandardWebhook(SECRET, standardHeaders('msg_1', at, body), body, NOW)).toBeNull();
    }
    for (const at of [NOW - TIMESTAMP_TOLERANCE_SECONDS, NOW + TIMESTAMP_TOLERANCE_SECONDS]) {
      expect(verifyStandardWebhook(SECRET, standardHeaders('msg_1', at, body), body, NOW)).toBe('msg_1');
    }
  });

  it('should refuse missing or malformed headers', () => {
    const h = standardHeaders('msg_1', NOW, body);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const { [name]: _, ...rest } = h;
      expect(verifyStandardWebhook(SECRET, rest, body, NOW), name).toBeNull();
    }
    expect(verifyStandardWebhook(SECRET, { ...h, 'webhook-timestamp': `${NOW}.0` }, body, NOW)).toBeNull();
    expect(verifyStandardWebhook(SECRET, { ...h, 'webhook-signature': 'v1,' }, body, NOW)).toBeNull();
    expect(verifyStandardWebhook(SECRET, { ...h, 'webhook-signature': h['webhook-signature'].replace('v1,', 'v2,') }, body, NOW)).toBeNull();
    expect(verifyStandardWebhook(SECRET, standardHeaders('a b', NOW, body), body, NOW)).toBeNull();
    expect(verifyStandardWebhook(SECRET, standardHeaders('x'.repeat(256), NOW, body), body, NOW)).toBeNull();
  });

  it('should verify the raw bytes, not their decoding (invalid UTF-8 included)', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const at = NOW;
    const signature = `v1,${createHmac('sha256', Buffer.from(SECRET.slice(6), 'base64')).update(`m.${at}.`).update(bytes).digest('base64')}`;
    const headers = { 'webhook-id': 'm', 'webhook-timestamp': String(at), 'webhook-signature': signature };
    expect(verifyStandardWebhook(SECRET, headers, bytes, NOW)).toBe('m');
    expect(verifyStandardWebhook(SECRET, headers, Buffer.from(bytes.toString('utf8')), NOW)).toBeNull();
  });
});

describe(verifyStripe.name, () => {
  const secret = 'whsec_stripe_test_secret';

  it('should accept t=…,v1=… keyed by the whole secret string, with any v1 matching', () => {
    expect(verifyStripe(secret, { 'stripe-signature': stripeHeader(NOW, body) }, body, NOW)).toBe(true);
    const good = stripeHeader(NOW, body);
    expect(verifyStripe(secret, { 'stripe-signature': `${good.split(',')[0]},v1=${'0'.repeat(64)},${good.split(',')[1]},v0=abc` }, body, NOW)).toBe(true);
  });

  it('should refuse a changed body, another secret, a stale or future timestamp, and malformed headers', () => {
    expect(verifyStripe(secret, { 'stripe-signature': stripeHeader(NOW, body) }, Buffer.from('{}'), NOW)).toBe(false);
    expect(verifyStripe(secret, { 'stripe-signature': stripeHeader(NOW, body, 'whsec_other') }, body, NOW)).toBe(false);
    // Keyed by the base64-decoded secret (the Standard Webhooks way) is not Stripe's way.
    const decodedKey = `t=${NOW},v1=${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${NOW}.${body}`).digest('hex')}`;
    expect(verifyStripe(secret, { 'stripe-signature': decodedKey }, body, NOW)).toBe(false);
    expect(verifyStripe(secret, { 'stripe-signature': stripeHeader(NOW - 301, body) }, body, NOW)).toBe(false);
    expect(verifyStripe(secret, { 'stripe-signature': stripeHeader(NOW + 301, body) }, body, NOW)).toBe(false);
    const good = stripeHeader(NOW, body);
    for (const header of [undefined, '', 'garbage', good.split(',')[1], `t=${NOW},t=${NOW},${good.split(',')[1]}`, `${good},t=1`, good.replace('v1=', 'v0='), `t=${NOW},v1=zz`]) {
      expect(verifyStripe(secret, header === undefined ? {} : { 'stripe-signature': header }, body, NOW), String(header)).toBe(false);
    }
  });
});

describe(inboundPayload.name, () => {
  it('should parse JSON, keep other bodies as text, and refuse a NUL byte in text', () => {
    expect(inboundPayload(Buffer.from('{"a":[1,"x"]}'))).toEqual({ payload: { a: [1, 'x'] }, json: { a: [1, 'x'] } });
    expect(inboundPayload(Buffer.from('a=1&b=2'))).toEqual({ payload: 'a=1&b=2' });
    expect(inboundPayload(Buffer.alloc(0))).toEqual({ payload: '' });
    expect(inboundPayload(Buffer.from('a\u0000b'))).toBeNull();
  });

  it('should keep JSON holding a NUL escape as its text (jsonb cannot store NUL)', () => {
    const text = '{"a":"x\\u0000y"}';
    expect(inboundPayload(Buffer.from(text))).toEqual({ payload: text, json: { a: 'x\u0000y' } });
  });
});

describe(stripeEventId.name, () => {
  it('should take the string id of a JSON object', () => {
    expect(stripeEventId({ id: 'evt_1', type: 'x' })).toBe('evt_1');
    for (const bad of [undefined, 'evt_1', ['evt_1'], { id: 1 }, { id: '' }, { id: 'x'.repeat(256) }, null]) expect(stripeEventId(bad)).toBeNull();
  });
});
