import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { SignatureScheme } from './signing';

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
  /** hmac-sha256 (Standard Webhooks v1) or ed25519 (v1a). */
  @Column('text', { name: 'signature_scheme' }) signatureScheme: SignatureScheme;
  /** seal(encryptionKey, secret, id): whsec_… or, for ed25519, the whsk_ private key. Never presented, never logged. */
  @Column('text', { name: 'secret_sealed' }) secretSealed: string;
  /** whpk_…: the ed25519 public key receivers verify with; null for hmac-sha256. */
  @Column('text', { name: 'public_key', nullable: true }) publicKey: string | null;
  /** The secret before the last rotation, still signing (beside the new one) until previousSecretExpiresAt. */
  @Column('text', { name: 'previous_secret_sealed', nullable: true }) previousSecretSealed: string | null;
  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true }) previousSecretExpiresAt: Date | null;
  @Column('timestamptz', { name: 'disabled_at', nullable: true }) disabledAt: Date | null;
  @Column('text', { name: 'disabled_reason', nullable: true }) disabledReason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

/** An endpoint's delivery counters and failing streak (table webhook_endpoint_stats: see its migration for why apart). */
export interface WebhookEndpointStats {
  successCount: number;
  failureCount: number;
  consecutiveFailures: number;
  /** When the current run of failures (with no success since) began: the auto-disable clock. */
  failingSince: Date | null;
  lastDeliveryAt: Date | null;
}

/** An endpoint as the API shows it: its configuration and its counters. */
export type WebhookEndpointWithStats = WebhookEndpointEntity & { stats: WebhookEndpointStats };
