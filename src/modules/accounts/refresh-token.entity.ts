import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One refresh token; a login starts a family, each rotation adds a token to it. */
@Entity('refresh_tokens')
export class RefreshTokenEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'family_id' }) familyId: string;
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('text', { name: 'workspace_id', nullable: true }) workspaceId: string | null;
  @Column('bytea', { name: 'token_hash' }) tokenHash: Buffer;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'rotated_at', nullable: true }) rotatedAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
