import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A workspace's outside OpenID Connect identity provider (at most one per workspace). */
@Entity('sso_connections')
export class SsoConnectionEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  /** The provider's issuer identifier (its discovery document is at issuer + /.well-known/openid-configuration). */
  @Column('text') issuer: string;
  @Column('text', { name: 'client_id' }) clientId: string;
  /** seal(encryptionKey, secret, workspaceId). Never presented, never logged. */
  @Column('text', { name: 'client_secret_sealed', select: false }) clientSecretSealed: string;
  @Column('text', { name: 'allowed_domains', array: true }) allowedDomains: string[];
  /** The role an account gets when it joins the workspace through this provider. */
  @Column('text', { name: 'default_role' }) defaultRole: string;
  /** The owner who configured it: the role it grants must stay one they may grant. */
  @Column('text', { name: 'configured_by', nullable: true }) configuredBy: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
