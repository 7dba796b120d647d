import { Injectable } from '@nestjs/common';
import { ApiError, ErrorCode, isId, ListQuery, ListSpec, Page } from '@tessera/common';
import { DeliveredEvent, DeliveryLogRepository } from './delivery-log.repository';
import { DeliveryQueue } from './delivery-queue';
import { DELIVERY_STATUSES, WebhookAttemptEntity, WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { WebhooksService } from './webhooks.service';

/** What a delivery log list accepts (GET /webhooks/{id}/deliveries, and the MCP tool list_deliveries). */
export const DELIVERY_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at'],
  defaultSort: '-created_at',
  fields: ['id', 'event_id', 'event_type', 'status', 'attempts', 'next_retry_at', 'last_status_code', 'last_error', 'created_at', 'updated_at', 'completed_at', 'attempt', 'response_code', 'delivered_at'],
  filters: { status: DELIVERY_STATUSES, event_type: null },
  updatable: true,
};

/** The most deliveries one replay call queues; the answer says whether more are left. */
export const REPLAY_CAP = 10_000;
/** Ids handed to the queue per call, and how many such calls run at once. */
const ENQUEUE_CHUNK = 500;
const ENQUEUE_PARALLEL = 4;
/** How long an enqueue may take before the route answers 503 instead of waiting on Redis. */
const ENQUEUE_TIMEOUT_MS = 10_000;
const RETRY_AFTER_SECONDS = 5;

export interface DeliveryDetail {
  delivery: WebhookDeliveryEntity;
  attempts: WebhookAttemptEntity[];
  event: DeliveredEvent | null;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * The delivery log of an endpoint: reading it, retrying one delivery, replaying a window. The
 * database is the truth about a delivery; a retry or replay sets it back to pending (due now) and
 * then asks the queue to look at it. Deliveries of a disabled endpoint are not re-sent: the
 * endpoint must be re-enabled first (409), or the worker would only find it disabled again.
 */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly repo: DeliveryLogRepository,
    private readonly webhooks: WebhooksService,
    private readonly queue: DeliveryQueue,
  ) {}

  async list(workspaceId: string, endpointId: string, list: ListQuery): Promise<Page<WebhookDeliveryEntity>> {
    await this.webhooks.get(workspaceId, endpointId);
    return this.repo.list(workspaceId, endpointId, list);
  }

  async get(workspaceId: string, endpointId: string, deliveryId: string): Promise<DeliveryDetail> {
    await this.webhooks.get(workspaceId, endpointId);
    const delivery = await this.find(workspaceId, endpointId, deliveryId);
    const attempts = await this.repo.attempts(delivery.id);
    const event = await this.repo.event(workspaceId, delivery.eventId);
    return { delivery, attempts, event };
  }

  /** One delivery again, now: 400 CANNOT_RETRY when it already succeeded. */
  async retry(workspaceId: string, endpointId: string, deliveryId: string): Promise<WebhookDeliveryEntity> {
    assertEnabled(await this.webhooks.get(workspaceId, endpointId));
    await this.find(workspaceId, endpointId, deliveryId);
    if (!(await this.repo.requeue(workspaceId, endpointId, deliveryId))) {
      throw new ApiError(400, ErrorCode.CANNOT_RETRY, 'This delivery already succeeded; replay its window with status=success to send it again.');
    }
    await this.enqueue([deliveryId]);
    return this.find(workspaceId, endpointId, deliveryId);
  }

  /** Sets the endpoint's deliveries of [since, until) with `status` back to pending and queues them, at most REPLAY_CAP per call. */
  async replay(workspaceId: string, endpointId: string, input: { since: string; until?: string; status?: 'failed' | 'success' }): Promise<{ queued: number; limit: number; has_more: boolean }> {
    const since = new Date(input.since);
    const until = input.until ? new Date(input.until) : new Date();
    if (!(since < until)) throw ApiError.validation({ since: ['must be before until (which defaults to now)'] });
    assertEnabled(await this.webhooks.get(workspaceId, endpointId));
    const status = input.status ?? 'failed';
    const ids = await this.repo.replay(workspaceId, endpointId, status, since, until, REPLAY_CAP);
    await this.enqueue(ids);
    const hasMore = ids.length === REPLAY_CAP && (await this.repo.anyLeft(workspaceId, endpointId, status, since, until));
    return { queued: ids.length, limit: REPLAY_CAP, has_more: hasMore };
  }

  private async find(workspaceId: string, endpointId: string, deliveryId: string): Promise<WebhookDeliveryEntity> {
    const delivery = isId('dlv', deliveryId) ? await this.repo.find(workspaceId, endpointId, deliveryId) : null;
    if (!delivery) throw ApiError.notFound('Delivery');
    return delivery;
  }

  /**
   * Hands deliveries to the queue, never waiting on Redis past ENQUEUE_TIMEOUT_MS: a queue that is
   * down answers 503. The deliveries stay pending and due in PostgreSQL meanwhile.
   */
  private async enqueue(ids: string[]): Promise<void> {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += ENQUEUE_CHUNK) chunks.push(ids.slice(i, i + ENQUEUE_CHUNK));
    try {
      for (let i = 0; i < chunks.length; i += ENQUEUE_PARALLEL) {
        await withTimeout(Promise.all(chunks.slice(i, i + ENQUEUE_PARALLEL).map((chunk) => this.queue.enqueue(chunk))), ENQUEUE_TIMEOUT_MS);
      }
    } catch {
      throw new ApiError(
        503,
        ErrorCode.SERVICE_UNAVAILABLE,
        'The delivery queue is unavailable: the deliveries are set back to pending but could not be queued. Retry shortly.',
        { retry_after: RETRY_AFTER_SECONDS },
        { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      );
    }
  }
}

function assertEnabled(endpoint: WebhookEndpointEntity): void {
  // An automatic disable (410, days of failures) may leave is_active alone; re-enabling clears disabled_at.
  if (!endpoint.isActive || endpoint.disabledAt !== null) {
    throw ApiError.conflict('The endpoint is disabled: re-enable it first (PATCH /api/v1/webhooks/{id} with "is_active": true), then retry or replay.', {
      is_active: [endpoint.disabledReason ? `the endpoint was disabled (${endpoint.disabledReason})` : 'is false'],
    });
  }
}
