import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { WorkspaceEntity } from './workspace.entity';

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'withdrawn' | 'expired';

@Entity('invitations')
export class InvitationEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  /** The invited account: only it can accept. */
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('text') email: string;
  @Column('text') role: string;
  @Column('text') status: InvitationStatus;
  @Column('text', { name: 'invited_by', nullable: true }) invitedBy: string | null;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;

  @ManyToOne(() => WorkspaceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: WorkspaceEntity;
}
