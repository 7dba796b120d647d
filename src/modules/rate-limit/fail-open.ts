import { Logger } from '@nestjs/common';
import { rateLimitMetrics } from './rate-limit.metrics';

const REDIS_TIMEOUT_MS = 250;

/**
 * A call to the rate-limit store, or undefined when Redis does not answer in time: the request
 * then goes through (fail open), logged and counted in GET /health.
 */
export async function failOpen<T>(work: Promise<T>, log: Logger): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('rate-limit store timed out')), REDIS_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    rateLimitMetrics.failOpen++;
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limit not checked: Redis unavailable, request let through');
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
