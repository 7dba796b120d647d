import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('email_changes')
export class EmailChangeEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('text', { name: 'new_email' }) newEmail: string;
  /** Set by the worker when it makes and mails the token. */
  @Column('bytea', { name: 'token_hash', nullable: true }) tokenHash: Buffer | null;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'used_at', nullable: true }) usedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
