import { Logger } from '@nestjs/common';
import { ApiError, ErrorCode } from '@tessera/common';
import { rateLimitMetrics } from './rate-limit.metrics';

const REDIS_TIMEOUT_MS = 250;
/** A budget that fails closed refuses the request when Redis is slow, so it waits longer first. */
const FAIL_CLOSED_TIMEOUT_MS = 2_000;

/** `work`, or a rejection after `ms`: one promise and one timer (this runs on every request). */
function withinTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('rate-limit store timed out')), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * A call to the rate-limit store, or undefined when Redis does not answer in time: the request
 * then goes through (fail open), logged and counted in GET /health.
 */
export async function failOpen<T>(work: Promise<T>, log: Logger): Promise<T | undefined> {
  try {
    return await withinTimeout(work, REDIS_TIMEOUT_MS);
  } catch (err) {
    rateLimitMetrics.failOpen++;
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limit not checked: Redis unavailable, request let through');
    return undefined;
  }
}

/**
 * A call to the store of a budget that guards a secret against guessing (second-factor codes,
 * current passwords, the provider's sign-in page): when Redis does not answer, the request is
 * refused with 503 rather than let through unlimited. Failing open there would turn anything that
 * fills or stops Redis into unlimited guesses at a 6-digit code.
 */
export async function failClosed<T>(work: Promise<T>, log: Logger, what: string): Promise<T> {
  try {
    return await withinTimeout(work, FAIL_CLOSED_TIMEOUT_MS);
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, `${what} not checked: Redis unavailable, request refused`);
    throw new ApiError(503, ErrorCode.SERVICE_UNAVAILABLE, `The limit on ${what} cannot be checked right now; retry in a few seconds.`, {}, { 'Retry-After': '5' });
  }
}
