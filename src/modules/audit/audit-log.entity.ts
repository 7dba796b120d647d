import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('audit_logs')
export class AuditLogEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id', nullable: true }) workspaceId: string | null;
  @Column('text', { name: 'actor_type' }) actorType: string;
  @Column('text', { name: 'actor_id', nullable: true }) actorId: string | null;
  @Column('text') action: string;
  @Column('text', { name: 'target_type', nullable: true }) targetType: string | null;
  @Column('text', { name: 'target_id', nullable: true }) targetId: string | null;
  @Column('text', { nullable: true }) ip: string | null;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent: string | null;
  @Column('text', { name: 'request_id', nullable: true }) requestId: string | null;
  @Column('jsonb') metadata: Record<string, string | number | boolean | null>;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
