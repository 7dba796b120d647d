import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';
import { SsoConnectionEntity } from './sso-connection.entity';

/** SSO connections (one per workspace) and the identities they sign in as. */
@Injectable()
export class SsoConnectionsRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(SsoConnectionEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  findByWorkspace(workspaceId: string): Promise<SsoConnectionEntity | null> {
    return this.repo().findOneBy({ workspaceId });
  }

  /** With the sealed secret, for talking to the provider. */
  findWithSecret(workspaceId: string): Promise<SsoConnectionEntity | null> {
    return this.repo().createQueryBuilder('c').addSelect('c.clientSecretSealed').where('c.workspace_id = :workspaceId', { workspaceId }).getOne();
  }

  /** Creates or replaces the workspace's connection (the unique workspace decides a race); returns the row. */
  async upsert(connection: SsoConnectionEntity): Promise<void> {
    await this.db.query(
      `INSERT INTO sso_connections (id, workspace_id, issuer, client_id, client_secret_sealed, allowed_domains, default_role, configured_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
       ON CONFLICT (workspace_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
         client_secret_sealed = excluded.client_secret_sealed, allowed_domains = excluded.allowed_domains,
         default_role = excluded.default_role, configured_by = excluded.configured_by, updated_at = excluded.updated_at`,
      [connection.id, connection.workspaceId, connection.issuer, connection.clientId, connection.clientSecretSealed, connection.allowedDomains, connection.defaultRole, connection.configuredBy, connection.updatedAt],
    );
  }

  async delete(workspaceId: string): Promise<boolean> {
    return ((await this.repo().delete({ workspaceId })).affected ?? 0) === 1;
  }

  /** Identities of a former issuer mean nothing to a new one. */
  async forgetIdentitiesNotOf(connectionId: string, issuer: string): Promise<void> {
    await this.db.query(`DELETE FROM sso_identities WHERE connection_id = $1 AND issuer <> $2`, [connectionId, issuer]);
  }

  async findIdentity(connectionId: string, issuer: string, subject: string): Promise<string | null> {
    const rows = await this.db.query<Array<{ user_id: string }>>(`SELECT user_id FROM sso_identities WHERE connection_id = $1 AND issuer = $2 AND subject = $3`, [connectionId, issuer, subject]);
    return rows[0]?.user_id ?? null;
  }

  /** Links an identity to an account; the first link wins a race. Returns the account it is linked to. */
  async linkIdentity(connectionId: string, issuer: string, subject: string, userId: string): Promise<string> {
    await this.db.query(`INSERT INTO sso_identities (connection_id, issuer, subject, user_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [connectionId, issuer, subject, userId]);
    return (await this.findIdentity(connectionId, issuer, subject))!;
  }
}
