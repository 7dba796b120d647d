import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What a user granted an app, in one workspace: an "authorization" on /me/authorizations. The
 * provider's own Grant lives in `payload`; deleting the row deletes every token issued under it.
 */
@Entity('oauth_grants')
export class OAuthGrantEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('text', { name: 'client_id' }) clientId: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  /** The catalog scopes granted (the app's token may carry them, within the user's role). */
  @Column('text', { array: true }) scopes: string[];
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
}
