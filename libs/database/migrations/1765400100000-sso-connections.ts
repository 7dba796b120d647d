import { MigrationInterface, QueryRunner } from 'typeorm';

export class SsoConnections1765400100000 implements MigrationInterface {
  name = 'SsoConnections1765400100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- A workspace's outside OpenID Connect identity provider (one per workspace), set by an owner.
      -- The client secret is sealed with ENCRYPTION_KEY (the workspace id as associated data).
      CREATE TABLE sso_connections (
        id                    text PRIMARY KEY,
        workspace_id          text NOT NULL UNIQUE REFERENCES workspaces(id) ON DELETE CASCADE,
        issuer                text NOT NULL,
        client_id             text NOT NULL,
        client_secret_sealed  text NOT NULL,
        allowed_domains       text[] NOT NULL,
        default_role          text NOT NULL,
        configured_by         text REFERENCES users(id) ON DELETE SET NULL,
        created_at            timestamptz(3) NOT NULL DEFAULT now(),
        updated_at            timestamptz(3) NOT NULL DEFAULT now()
      );

      -- Which account an identity of that provider signs in as (issuer + subject, as the ID token says).
      CREATE TABLE sso_identities (
        connection_id  text NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
        issuer         text NOT NULL,
        subject        text NOT NULL,
        user_id        text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at     timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (connection_id, issuer, subject)
      );
      CREATE INDEX sso_identities_user_idx ON sso_identities (user_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sso_identities; DROP TABLE sso_connections;`);
  }
}
