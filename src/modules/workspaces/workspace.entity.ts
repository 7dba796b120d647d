import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Tier } from '../auth/principal';

export interface WorkspaceSettings {
  timezone?: string;
  locale?: string;
}

@Entity('workspaces')
export class WorkspaceEntity {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text') slug: string;
  @Column('text') tier: Tier;
  @Column('jsonb') settings: WorkspaceSettings;
  /** Members without TOTP get 403 MFA_REQUIRED in this workspace (set by owners). */
  @Column('boolean', { name: 'require_mfa', default: false }) requireMfa: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
