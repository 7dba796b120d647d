import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { InboundScheme } from './inbound-signature';

/** A provider that POSTs signed callbacks to /api/v1/inbound/{id}. */
@Entity('inbound_sources')
export class InboundSourceEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  /** A lowercase slug, unique in its workspace: the event type is inbound.<name>.received. */
  @Column('text') name: string;
  @Column('text') scheme: InboundScheme;
  /** seal(encryptionKey, secret, id). Never presented, never logged. */
  @Column('text', { name: 'secret_sealed' }) secretSealed: string;
  @Column('text') description: string;
  @Column('boolean', { name: 'is_active' }) isActive: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
