import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { DeliveryStatus, WebhookAttemptEntity, WebhookDeliveryEntity } from './webhook-delivery.entity';

const COLUMNS = { id: 'id', created_at: 'createdAt', updated_at: 'updatedAt', status: 'status', event_type: 'eventType' };

/** The event a delivery carries, as the outbox stored it. */
export interface DeliveredEvent {
  id: string;
  type: string;
  workspace_id: string;
  data: Record<string, unknown>;
  created_at: Date;
}

/**
 * What the API reads and changes in the delivery log: listing, one delivery with its attempts
 * and event, and setting deliveries back to pending for a manual retry or a replay. Always
 * within one workspace and one endpoint. (The worker's own reads and writes live elsewhere.)
 */
@Injectable()
export class DeliveryLogRepository {
  constructor(private readonly db: Database) {}

  list(workspaceId: string, endpointId: string, list: ListQuery): Promise<Page<WebhookDeliveryEntity>> {
    const qb = this.db
      .repository(WebhookDeliveryEntity)
      .createQueryBuilder('d')
      .where('d.workspace_id = :workspaceId AND d.endpoint_id = :endpointId', { workspaceId, endpointId });
    return paginate(qb, list, COLUMNS);
  }

  find(workspaceId: string, endpointId: string, id: string): Promise<WebhookDeliveryEntity | null> {
    return this.db.repository(WebhookDeliveryEntity).findOneBy({ workspaceId, endpointId, id });
  }

  attempts(deliveryId: string): Promise<WebhookAttemptEntity[]> {
    return this.db.repository(WebhookAttemptEntity).find({ where: { deliveryId }, order: { attempt: 'ASC', createdAt: 'ASC' } });
  }

  async event(workspaceId: string, eventId: string): Promise<DeliveredEvent | null> {
    const rows: DeliveredEvent[] = await this.db.query(`SELECT id, type, workspace_id, data, created_at FROM events WHERE workspace_id = $1 AND id = $2`, [workspaceId, eventId]);
    return rows[0] ?? null;
  }

  /**
   * Sets one delivery back to pending, due now, unless it succeeded; returns whether it did.
   * next_retry_at = now() makes it due for anything that sweeps open deliveries, should the
   * enqueue that follows be lost.
   */
  async requeue(workspaceId: string, endpointId: string, id: string): Promise<boolean> {
    // A CTE, because TypeORM answers a bare UPDATE … RETURNING with [rows, count].
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH requeued AS (
         UPDATE webhook_deliveries
            SET status = 'pending', next_retry_at = now(), completed_at = NULL, updated_at = now()
          WHERE workspace_id = $1 AND endpoint_id = $2 AND id = $3 AND status <> 'success'
          RETURNING id)
       SELECT id FROM requeued`,
      [workspaceId, endpointId, id],
    );
    return rows.length === 1;
  }

  /**
   * Sets at most `cap` deliveries of an endpoint with `status`, created in [since, until), back to
   * pending, oldest first; returns their ids. Rows another replay is changing are skipped, not waited for.
   */
  async replay(workspaceId: string, endpointId: string, status: DeliveryStatus, since: Date, until: Date, cap: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH picked AS (
         SELECT id FROM webhook_deliveries
          WHERE workspace_id = $1 AND endpoint_id = $2 AND status = $3 AND created_at >= $4 AND created_at < $5
          ORDER BY created_at, id
          LIMIT $6
          FOR NO KEY UPDATE SKIP LOCKED),
       requeued AS (
         UPDATE webhook_deliveries d
            SET status = 'pending', next_retry_at = now(), completed_at = NULL, updated_at = now()
           FROM picked WHERE d.id = picked.id
          RETURNING d.id)
       SELECT id FROM requeued`,
      [workspaceId, endpointId, status, since, until, cap],
    );
    return rows.map((r) => r.id);
  }

  /** Whether deliveries of the window are still in `status` (after a capped replay). */
  async anyLeft(workspaceId: string, endpointId: string, status: DeliveryStatus, since: Date, until: Date): Promise<boolean> {
    const rows: Array<{ found: boolean }> = await this.db.query(
      `SELECT EXISTS (SELECT 1 FROM webhook_deliveries
                       WHERE workspace_id = $1 AND endpoint_id = $2 AND status = $3 AND created_at >= $4 AND created_at < $5) AS found`,
      [workspaceId, endpointId, status, since, until],
    );
    return rows[0]?.found === true;
  }
}
