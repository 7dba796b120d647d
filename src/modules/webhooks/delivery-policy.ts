/**
 * The rules of webhook delivery that need no I/O: who receives an event, what an answer means,
 * and when the next attempt is due. The processor and the relay apply them; the unit spec pins them.
 */

/** The Nth consecutive failure of an endpoint announces webhook.delivery.failing (once per streak). */
export const FAILING_THRESHOLD = 4;
/** Retry-After is honoured up to this many seconds: a receiver cannot park a delivery for days. */
export const RETRY_AFTER_CAP_SECONDS = 3600;
/** Each scheduled delay is moved by up to this fraction either way, so retries of a burst spread out. */
export const JITTER = 0.2;

/** Event types the relay never fans out: a test send goes to one endpoint, directly. */
const NEVER_RELAYED = new Set(['webhook.test']);

/** Whether an endpoint subscribed to `patterns` receives `type`: exact type, `prefix.*`, or `*`. */
export function subscribes(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.length > 2 && p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

export interface RelayEndpoint {
  id: string;
  events: readonly string[];
}

/**
 * The endpoints that get a delivery of an event. An operational event about an endpoint (its
 * `data.endpoint_id`) never goes to that endpoint itself: an always-failing endpoint subscribed to
 * `*` would otherwise feed itself a new failing delivery for every failure, forever.
 */
export function recipients<E extends RelayEndpoint>(event: { type: string; aboutEndpointId: string | null }, endpoints: readonly E[]): E[] {
  if (NEVER_RELAYED.has(event.type)) return [];
  return endpoints.filter((e) => e.id !== event.aboutEndpointId && subscribes(e.events, event.type));
}

export type AttemptVerdict =
  /** 2xx: delivered. */
  | { kind: 'success' }
  /** 410 Gone: the receiver wants no more; the endpoint is disabled at once. */
  | { kind: 'gone' }
  /** Another try at `delayMs` from now. */
  | { kind: 'retry'; delayMs: number }
  /** The schedule is used up: failed for good. */
  | { kind: 'exhausted' };

/**
 * What an attempt's answer means. `attempt` counts from 1; the schedule's length is the number of
 * retries after the first attempt, so attempt schedule.length + 1 is the last. The delay is the
 * scheduled one with ±20 % jitter; a Retry-After on 429/503 (capped at 1 h) lengthens it, never
 * shortens it, so a receiver cannot make us hammer it.
 */
export function judgeAttempt(
  answer: { statusCode: number | null; retryAfterSeconds: number | null },
  attempt: number,
  schedule: readonly number[],
  random: () => number = Math.random,
): AttemptVerdict {
  const code = answer.statusCode;
  if (code !== null && code >= 200 && code < 300) return { kind: 'success' };
  if (code === 410) return { kind: 'gone' };
  if (attempt > schedule.length) return { kind: 'exhausted' };
  return { kind: 'retry', delayMs: retryDelayMs(schedule[attempt - 1], code === 429 || code === 503 ? answer.retryAfterSeconds : null, random) };
}

/** The scheduled delay (seconds) jittered by ±20 %, raised to a capped Retry-After when the receiver sent one. */
export function retryDelayMs(scheduledSeconds: number, retryAfterSeconds: number | null, random: () => number = Math.random): number {
  const jittered = scheduledSeconds * 1000 * (1 - JITTER + 2 * JITTER * random());
  const asked = retryAfterSeconds === null ? 0 : Math.min(Math.max(0, retryAfterSeconds), RETRY_AFTER_CAP_SECONDS) * 1000;
  return Math.round(Math.max(jittered, asked));
}
