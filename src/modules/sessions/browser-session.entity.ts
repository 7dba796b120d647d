import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How a browser session was signed in. */
export type SignInMethod = 'password' | 'password+totp' | 'password+recovery_code' | 'magic_link' | 'magic_link+totp' | 'magic_link+recovery_code' | 'passkey';

/** A browser session: the session cookie holds its secret, of which only the SHA-256 is kept. */
@Entity('browser_sessions')
export class BrowserSessionEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('text', { name: 'workspace_id', nullable: true }) workspaceId: string | null;
  @Column('bytea', { name: 'secret_hash' }) secretHash: Buffer;
  @Column('text', { name: 'auth_method' }) authMethod: SignInMethod;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent: string | null;
  @Column('text', { nullable: true }) ip: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'last_seen_at' }) lastSeenAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}
