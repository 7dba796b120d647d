import { Inject, Injectable } from '@nestjs/common';
import { ApiError, ErrorCode, newId } from '@tessera/common';
import { REDIS } from '@tessera/queue';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { liveSecrets } from './endpoint-secrets';
import { signatureHeader } from './signing';
import { WebhookHttpClient } from './webhook-http';
import { WebhooksService } from './webhooks.service';

/** Test sends one endpoint may ask for per minute (every API process together). */
export const TEST_SENDS_PER_MINUTE = 10;
/** Test sends one API process runs at once, over every endpoint: each holds an outbound request for up to the webhook timeout. */
const MAX_TEST_SENDS_IN_FLIGHT = 16;

export interface TestSendResult {
  success: boolean;
  status_code: number | null;
  response_time_ms: number;
  response_body?: string;
  error?: string;
  event_id: string;
}

/**
 * POST /webhooks/{id}/test: a signed `webhook.test` delivery sent now, from the API process, the
 * way the worker sends real ones (same body shape, Standard Webhooks headers, the endpoint's
 * custom headers, both signatures during a rotation's grace, the same pinned-address client and
 * timeout). It is not written to the outbox, so nothing else delivers it. No database connection
 * is held while it waits on the receiver. Since it makes our servers send HTTP on a tenant's
 * behalf it is bounded: one at a time per endpoint per process, TEST_SENDS_PER_MINUTE per endpoint
 * across processes, MAX_TEST_SENDS_IN_FLIGHT per process; past that, 429.
 */
@Injectable()
export class WebhookTestSender {
  private readonly sending = new Set<string>();

  constructor(
    private readonly webhooks: WebhooksService,
    private readonly http: WebhookHttpClient,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async send(workspaceId: string, endpointId: string): Promise<TestSendResult> {
    const endpoint = await this.webhooks.get(workspaceId, endpointId);
    if (this.sending.has(endpoint.id)) throw tooMany('A test send to this endpoint is already in flight; wait for its answer.', 1);
    if (this.sending.size >= MAX_TEST_SENDS_IN_FLIGHT) throw tooMany('Too many test sends are in flight; retry shortly.', 1);
    this.sending.add(endpoint.id);
    try {
      await this.countAgainstLimit(endpoint.id);
      const eventId = newId('evt');
      const now = new Date();
      const timestamp = Math.floor(now.getTime() / 1000);
      const body = JSON.stringify({
        id: eventId,
        type: 'webhook.test',
        created_at: now.toISOString(),
        workspace_id: workspaceId,
        data: { endpoint_id: endpoint.id, url: endpoint.url, message: 'This is a test event from Tessera.' },
      });
      const signatures = signatureHeader(liveSecrets(this.config.encryptionKey, endpoint, now), eventId, timestamp, body);
      const res = await this.http.post({
        url: endpoint.url,
        headers: { ...endpoint.headers, 'webhook-id': eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatures },
        body,
        timeoutMs: this.config.webhooks.timeoutMs,
      });
      const success = res.statusCode !== null && res.statusCode >= 200 && res.statusCode < 300;
      if (success) return { success, status_code: res.statusCode, response_time_ms: res.durationMs, response_body: res.body ?? '', event_id: eventId };
      return {
        success,
        status_code: res.statusCode,
        error: res.error ?? `the receiver answered ${res.statusCode}`,
        response_time_ms: res.durationMs,
        ...(res.body !== null ? { response_body: res.body } : {}),
        event_id: eventId,
      };
    } finally {
      this.sending.delete(endpoint.id);
    }
  }

  /** The per-endpoint minute budget in Redis; without Redis the per-process bounds above still hold. */
  private async countAgainstLimit(endpointId: string): Promise<void> {
    const minute = Math.floor(Date.now() / 60_000);
    const key = `webhooks:test-sends:${endpointId}:${minute}`;
    let used: number;
    try {
      const [[, count]] = (await this.redis.multi().incr(key).expire(key, 120).exec()) as Array<[Error | null, number]>;
      used = count;
    } catch {
      return;
    }
    if (used > TEST_SENDS_PER_MINUTE) {
      const retryAfter = Math.max(1, (minute + 1) * 60 - Math.floor(Date.now() / 1000));
      throw tooMany(`At most ${TEST_SENDS_PER_MINUTE} test sends per endpoint per minute.`, retryAfter, TEST_SENDS_PER_MINUTE);
    }
  }
}

function tooMany(message: string, retryAfter: number, limit?: number): ApiError {
  const resetAt = new Date(Date.now() + retryAfter * 1000).toISOString();
  return new ApiError(
    429,
    ErrorCode.RATE_LIMITED,
    message,
    { retry_after: retryAfter, ...(limit !== undefined ? { limit, remaining: 0, reset_at: resetAt } : {}) },
    { 'Retry-After': String(retryAfter) },
  );
}
