import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE } from '../../config/config';
import { judgeAttempt, recipients, retryDelayMs, subscribes } from './delivery-policy';

const answer = (statusCode: number | null, retryAfterSeconds: number | null = null) => ({ statusCode, retryAfterSeconds });

describe(subscribes.name, () => {
  it('should match exact types, prefix wildcards and *', () => {
    expect(subscribes(['post.created'], 'post.created')).toBe(true);
    expect(subscribes(['post.created'], 'post.updated')).toBe(false);
    expect(subscribes(['post.*'], 'post.deleted')).toBe(true);
    expect(subscribes(['webhook.delivery.*'], 'webhook.delivery.failing')).toBe(true);
    expect(subscribes(['webhook.*'], 'webhook.endpoint.disabled')).toBe(true);
    expect(subscribes(['*'], 'inbound.stripe.received')).toBe(true);
    expect(subscribes(['inbound.*'], 'inbound.stripe.received')).toBe(true);
  });

  it('should not let a prefix match a longer word or a bare wildcard match everything', () => {
    expect(subscribes(['post.*'], 'poster.created')).toBe(false);
    expect(subscribes(['post.*'], 'post')).toBe(false);
    expect(subscribes(['.*'], 'post.created')).toBe(false);
    expect(subscribes([], 'post.created')).toBe(false);
  });
});

describe(recipients.name, () => {
  const a = { id: 'whk_a', events: ['*'] };
  const b = { id: 'whk_b', events: ['webhook.delivery.*'] };
  const c = { id: 'whk_c', events: ['post.created'] };

  it('should give an event to every subscribed endpoint', () => {
    expect(recipients({ type: 'post.created', aboutEndpointId: null }, [a, b, c])).toEqual([a, c]);
  });

  it('should never send an operational event about an endpoint to that endpoint', () => {
    expect(recipients({ type: 'webhook.delivery.failing', aboutEndpointId: 'whk_a' }, [a, b, c])).toEqual([b]);
    expect(recipients({ type: 'webhook.endpoint.disabled', aboutEndpointId: 'whk_b' }, [a, b, c])).toEqual([a]);
  });

  it('should not fan out test sends', () => {
    expect(recipients({ type: 'webhook.test', aboutEndpointId: null }, [a])).toEqual([]);
  });
});

describe(judgeAttempt.name, () => {
  const schedule = [5, 300, 1800];

  it('should take any 2xx as success and 3xx as a failure', () => {
    for (const code of [200, 201, 204, 299]) expect(judgeAttempt(answer(code), 1, schedule).kind).toBe('success');
    for (const code of [301, 302, 304, 400, 404, 500, 503]) expect(judgeAttempt(answer(code), 1, schedule).kind).toBe('retry');
    expect(judgeAttempt(answer(null), 1, schedule).kind).toBe('retry');
  });

  it('should stop at once on 410 Gone', () => {
    expect(judgeAttempt(answer(410), 1, schedule)).toEqual({ kind: 'gone' });
  });

  it('should follow the schedule, one retry per entry, then give up', () => {
    const mid = () => 0.5; // no jitter
    expect(judgeAttempt(answer(500), 1, schedule, mid)).toEqual({ kind: 'retry', delayMs: 5_000 });
    expect(judgeAttempt(answer(500), 2, schedule, mid)).toEqual({ kind: 'retry', delayMs: 300_000 });
    expect(judgeAttempt(answer(500), 3, schedule, mid)).toEqual({ kind: 'retry', delayMs: 1_800_000 });
    expect(judgeAttempt(answer(500), 4, schedule, mid)).toEqual({ kind: 'exhausted' });
    // Svix's schedule: 8 attempts in all.
    expect(judgeAttempt(answer(500), 7, DEFAULT_RETRY_SCHEDULE, mid)).toEqual({ kind: 'retry', delayMs: 36_000_000 });
    expect(judgeAttempt(answer(500), 8, DEFAULT_RETRY_SCHEDULE, mid)).toEqual({ kind: 'exhausted' });
  });

  it('should honour Retry-After only on 429 and 503', () => {
    expect(judgeAttempt(answer(429, 120), 1, schedule, () => 0.5)).toEqual({ kind: 'retry', delayMs: 120_000 });
    expect(judgeAttempt(answer(503, 120), 1, schedule, () => 0.5)).toEqual({ kind: 'retry', delayMs: 120_000 });
    expect(judgeAttempt(answer(500, 120), 1, schedule, () => 0.5)).toEqual({ kind: 'retry', delayMs: 5_000 });
  });
});

describe(retryDelayMs.name, () => {
  it('should jitter by at most 20 % either way', () => {
    expect(retryDelayMs(300, null, () => 0)).toBe(240_000);
    expect(retryDelayMs(300, null, () => 0.999999)).toBe(360_000);
    const seen = Array.from({ length: 1000 }, () => retryDelayMs(10, null));
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(8_000);
    expect(Math.max(...seen)).toBeLessThanOrEqual(12_000);
    expect(new Set(seen).size).toBeGreaterThan(100);
  });

  it('should cap Retry-After at one hour and never let it shorten the schedule', () => {
    expect(retryDelayMs(5, 86_400, () => 0.5)).toBe(3_600_000);
    expect(retryDelayMs(300, 1, () => 0.5)).toBe(300_000);
    expect(retryDelayMs(0.2, 2, () => 0.5)).toBe(2_000);
    expect(retryDelayMs(5, -10, () => 0.5)).toBe(5_000);
  });
});
