import { Column, Entity, PrimaryColumn } from 'typeorm';

const bigintAsNumber = { to: (v: number) => v, from: (v: string | null) => (v === null ? 0 : Number(v)) };

/** Where a workspace wants its events delivered, and how. */
@Entity('webhook_endpoints')
export class WebhookEndpointEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  @Column('text') url: string;
  @Column('text') description: string;
  /** Registered event types and wildcards (`post.*`, `*`). */
  @Column('text', { array: true }) events: string[];
  @Column('boolean', { name: 'is_active' }) isActive: boolean;
  @Column('jsonb') headers: Record<string, string>;
  @Column('integer', { name: 'rate_limit_per_second', nullable: true }) rateLimitPerSecond: number | null;
  @Column('integer', { name: 'max_in_flight' }) maxInFlight: number;
  /** seal(encryptionKey, secret, id): never presented, never logged. */
  @Column('text', { name: 'secret_sealed' }) secretSealed: string;
  @Column('bigint', { name: 'success_count', transformer: bigintAsNumber }) successCount: number;
  @Column('bigint', { name: 'failure_count', transformer: bigintAsNumber }) failureCount: number;
  @Column('integer', { name: 'consecutive_failures' }) consecutiveFailures: number;
  @Column('timestamptz', { name: 'last_delivery_at', nullable: true }) lastDeliveryAt: Date | null;
  @Column('text', { name: 'disabled_reason', nullable: true }) disabledReason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
