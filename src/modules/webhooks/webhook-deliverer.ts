import { Inject, Injectable } from '@nestjs/common';
import { MicroBatcher } from '@tessera/common';
import { OperationalEventType, Outbox } from '@tessera/database';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { AuditService } from '../audit/audit.service';
import { AttemptRecord, DeliveriesRepository, DeliveryContext, EndpointCounters } from './deliveries.repository';
import { FAILING_THRESHOLD, judgeAttempt } from './delivery-policy';
import { signedDelivery } from './endpoint-secrets';
import { WebhookHttpClient, WebhookResponse } from './webhook-http';

/** What became of a delivery after one look at it. */
export type DeliveryOutcome = { kind: 'ended' } | { kind: 'retry'; at: Date };

interface Announcement {
  workspaceId: string;
  type: OperationalEventType;
  endpointId: string;
  data: Record<string, unknown>;
}

/**
 * One delivery attempt: sign, POST, then record it. The attempt row, the delivery's new state,
 * the endpoint's counters and any operational event (failing, exhausted, disabled, recovered)
 * are written in one transaction; the audit rows follow its commit. Nothing slow happens while
 * the transaction is open.
 */
@Injectable()
export class WebhookDeliverer {
  /** Successes of the attempts running at once are recorded together: one statement per batch. */
  private readonly successes: MicroBatcher<AttemptRecord & { statusCode: number; endpointId: string }, { previousFailures: number } | null>;

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly http: WebhookHttpClient,
    private readonly outbox: Outbox,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // A batch that fails (a lock wait past the timeout, a deadlock: one endpoint's rows) is recorded
    // again endpoint by endpoint. Else every delivery in it, of any workspace, would be sent again.
    this.successes = new MicroBatcher((records) => this.repo.recordSuccesses(records), { maxBatch: 200, maxInFlight: 1, isolateBy: (r) => r.endpointId });
  }

  /** One signed POST of the delivery's event to its endpoint. Record the answer with record(). */
  async send(ctx: DeliveryContext): Promise<WebhookResponse> {
    const { body, headers } = signedDelivery(this.config.encryptionKey, ctx.endpoint, {
      id: ctx.eventId,
      type: ctx.eventType,
      createdAt: ctx.eventCreatedAt,
      workspaceId: ctx.workspaceId,
      data: ctx.eventData,
    });
    return this.http.post({ url: ctx.endpoint.url, headers, body, timeoutMs: this.config.webhooks.timeoutMs });
  }

  /** Ends an open delivery of an endpoint that is disabled: no request, and a replay can queue it again. */
  async endForInactiveEndpoint(ctx: DeliveryContext): Promise<void> {
    const why = ctx.endpoint.disabledReason ? `endpoint disabled: ${ctx.endpoint.disabledReason}` : 'endpoint disabled';
    await this.repo.endWithoutAttempt(ctx.id, ctx.endpoint.id, `not attempted: ${why}`);
  }

  /** Records an answer (or its absence) and says what becomes of the delivery. */
  async record(ctx: DeliveryContext, res: WebhookResponse): Promise<DeliveryOutcome> {
    // The common case, a success on an endpoint that was not failing: one statement per batch of them.
    if (ctx.endpoint.consecutiveFailures < FAILING_THRESHOLD && judgeAttempt(res, ctx.attempts + 1, this.config.webhooks.retrySchedule).kind === 'success') {
      const recorded = await this.successes.submit({ deliveryId: ctx.id, endpointId: ctx.endpoint.id, attempt: ctx.attempts + 1, statusCode: res.statusCode!, responseBody: res.body, durationMs: res.durationMs, error: null });
      // Failures that crossed the threshold meanwhile (another attempt, after this one's load): the
      // streak this success ends was announced, so its end is too (the event, by the statement).
      if (recorded && recorded.previousFailures >= FAILING_THRESHOLD) this.auditRecovery(ctx, recorded.previousFailures);
      return { kind: 'ended' };
    }
    const announced: Announcement[] = [];
    const outcome = await this.repo.transaction(async (): Promise<DeliveryOutcome> => {
      const open = await this.repo.lockOpen(ctx.id, ctx.endpoint.id);
      if (!open) return { kind: 'ended' }; // ended meanwhile (its endpoint was deleted, or another run finished it)
      const attempt = open.attempts + 1;
      await this.repo.insertAttempt({ deliveryId: ctx.id, attempt, statusCode: res.statusCode, responseBody: res.body, durationMs: res.durationMs, error: res.error });
      const verdict = judgeAttempt(res, attempt, this.config.webhooks.retrySchedule);
      const lastError = res.error ?? (verdict.kind === 'success' ? null : `HTTP ${res.statusCode}`);
      const about = (counters: EndpointCounters, extra: Record<string, unknown> = {}) => ({ endpoint_id: counters.id, url: counters.url, ...extra });
      const announce = (type: OperationalEventType, counters: EndpointCounters, data: Record<string, unknown>) => announced.push({ workspaceId: counters.workspaceId, type, endpointId: counters.id, data });

      if (verdict.kind === 'success') {
        await this.repo.updateDelivery(ctx.id, { status: 'success', attempts: attempt, nextRetryAt: null, lastStatusCode: res.statusCode, lastError: null });
        const counters = await this.repo.countOnEndpoint(ctx.endpoint.id, true);
        if (counters.previousFailures >= FAILING_THRESHOLD) {
          const data = about(counters, { failures_before: counters.previousFailures });
          await this.outbox.write({ workspaceId: counters.workspaceId, type: 'webhook.endpoint.recovered', data });
          announce('webhook.endpoint.recovered', counters, data);
        }
        return { kind: 'ended' };
      }

      const ended = verdict.kind !== 'retry';
      const nextRetryAt = verdict.kind === 'retry' ? new Date(Date.now() + verdict.delayMs) : null;
      await this.repo.updateDelivery(ctx.id, {
        status: ended ? 'failed' : 'retrying',
        attempts: attempt,
        nextRetryAt,
        lastStatusCode: res.statusCode,
        lastError: verdict.kind === 'gone' ? 'HTTP 410 Gone: the endpoint was disabled' : lastError,
      });
      const counters = await this.repo.countOnEndpoint(ctx.endpoint.id, false);
      if (counters.consecutiveFailures === FAILING_THRESHOLD) {
        const data = about(counters, { consecutive_failures: counters.consecutiveFailures, failing_since: counters.failingSince?.toISOString() ?? null });
        await this.outbox.write({ workspaceId: counters.workspaceId, type: 'webhook.delivery.failing', data });
        announce('webhook.delivery.failing', counters, data);
      }
      if (verdict.kind === 'exhausted') {
        const data = about(counters, { delivery_id: ctx.id, event_id: ctx.eventId, event_type: ctx.eventType, attempts: attempt, last_status_code: res.statusCode, last_error: lastError });
        await this.outbox.write({ workspaceId: counters.workspaceId, type: 'webhook.delivery.exhausted', data });
        announce('webhook.delivery.exhausted', counters, data);
      }
      const hours = this.config.webhooks.disableAfterHours;
      const failingTooLong = counters.failingSince !== null && Date.now() - counters.failingSince.getTime() >= hours * 3_600_000;
      const disable =
        verdict.kind === 'gone'
          ? { reason: 'gone', message: 'the endpoint answered 410 Gone' }
          : failingTooLong
            ? { reason: 'consecutive_failures', message: `failing with no success for ${hours} hours` }
            : null;
      if (disable && (await this.repo.disableEndpoint(ctx.endpoint.id, disable.message))) {
        const data = about(counters, { ...disable, consecutive_failures: counters.consecutiveFailures });
        await this.outbox.write({ workspaceId: counters.workspaceId, type: 'webhook.endpoint.disabled', data });
        announce('webhook.endpoint.disabled', counters, data);
      }
      return nextRetryAt ? { kind: 'retry', at: nextRetryAt } : { kind: 'ended' };
    });
    for (const a of announced) {
      this.audit.record({
        workspaceId: a.workspaceId,
        actorType: 'system',
        actorId: null,
        action: a.type,
        targetType: 'webhook_endpoint',
        targetId: a.endpointId,
        metadata: Object.fromEntries(Object.entries(a.data).filter((e): e is [string, string | number | boolean | null] => e[1] === null || ['string', 'number', 'boolean'].includes(typeof e[1]))),
      });
    }
    return outcome;
  }

  private auditRecovery(ctx: DeliveryContext, failuresBefore: number): void {
    const data = { endpoint_id: ctx.endpoint.id, url: ctx.endpoint.url, failures_before: failuresBefore };
    this.audit.record({ workspaceId: ctx.workspaceId, actorType: 'system', actorId: null, action: 'webhook.endpoint.recovered', targetType: 'webhook_endpoint', targetId: ctx.endpoint.id, metadata: data });
  }
}
