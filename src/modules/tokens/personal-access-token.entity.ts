import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('personal_access_tokens')
export class PersonalAccessTokenEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'user_id' }) userId: string;
  /** The workspace the token is pinned to, if any. */
  @Column('text', { name: 'workspace_id', nullable: true }) workspaceId: string | null;
  @Column('text') name: string;
  @Column('text') prefix: string;
  @Column('bytea', { name: 'token_hash', select: false }) tokenHash: Buffer;
  @Column('text', { array: true }) scopes: string[];
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
