import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A sign-in link mailed to an account: single use, 15 minutes, stored as the SHA-256 of its token. */
@Entity('magic_links')
export class MagicLinkEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('bytea', { name: 'token_hash' }) tokenHash: Buffer;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'used_at', nullable: true }) usedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
