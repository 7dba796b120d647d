import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Tier } from '../auth/principal';

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  @Column('text', { name: 'created_by', nullable: true }) createdBy: string | null;
  @Column('text') name: string;
  /** The first 12 characters, shown in lists to recognise a key. */
  @Column('text') prefix: string;
  @Column('bytea', { name: 'key_hash', select: false }) keyHash: Buffer;
  @Column('text') environment: 'live' | 'test';
  @Column('text', { array: true }) scopes: string[];
  @Column('text', { name: 'rate_limit_tier', nullable: true }) rateLimitTier: Tier | null;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'rotated_to', nullable: true }) rotatedTo: string | null;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
