import { Column, Entity, PrimaryColumn } from 'typeorm';

export const DELIVERY_STATUSES = ['pending', 'retrying', 'success', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event on its way to one endpoint: unique on (event, endpoint). */
@Entity('webhook_deliveries')
export class WebhookDeliveryEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  @Column('text', { name: 'endpoint_id' }) endpointId: string;
  @Column('text', { name: 'event_id' }) eventId: string;
  @Column('text', { name: 'event_type' }) eventType: string;
  /** pending → success, or retrying → success | failed. */
  @Column('text') status: DeliveryStatus;
  /** Attempts made so far. */
  @Column('integer') attempts: number;
  @Column('timestamptz', { name: 'next_retry_at', nullable: true }) nextRetryAt: Date | null;
  @Column('integer', { name: 'last_status_code', nullable: true }) lastStatusCode: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt: Date | null;
}

/** One HTTP attempt of a delivery, as the receiver answered it. */
@Entity('webhook_attempts')
export class WebhookAttemptEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'delivery_id' }) deliveryId: string;
  @Column('integer') attempt: number;
  @Column('integer', { name: 'status_code', nullable: true }) statusCode: number | null;
  /** The first 4 KB of the response body. */
  @Column('text', { name: 'response_body', nullable: true }) responseBody: string | null;
  @Column('integer', { name: 'duration_ms' }) durationMs: number;
  @Column('text', { nullable: true }) error: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
