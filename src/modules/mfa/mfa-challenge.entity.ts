import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The second step of a sign-in by an account with TOTP on: what the first step (password, magic link) asked for. */
@Entity('mfa_challenges')
export class MfaChallengeEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('bytea', { name: 'token_hash' }) tokenHash: Buffer;
  @Column('text', { name: 'workspace_id', nullable: true }) workspaceId: string | null;
  /** The sign-in asked for a browser session (cookie) rather than a token pair. */
  @Column('boolean') session: boolean;
  /** The first factor: password or magic_link. */
  @Column('text', { name: 'auth_method' }) authMethod: 'password' | 'magic_link';
  @Column('integer') attempts: number;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'used_at', nullable: true }) usedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
