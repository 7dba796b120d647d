import { MigrationInterface, QueryRunner } from 'typeorm';

export class Invitations1764000300000 implements MigrationInterface {
  name = 'Invitations1764000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Membership of an existing account is by invitation: the account accepts it.
      CREATE TABLE invitations (
        id           text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        email        text NOT NULL,
        role         text NOT NULL,
        status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','accepted','declined','withdrawn','expired')),
        invited_by   text REFERENCES users(id) ON DELETE SET NULL,
        expires_at   timestamptz(3) NOT NULL,
        created_at   timestamptz(3) NOT NULL DEFAULT now(),
        updated_at   timestamptz(3) NOT NULL DEFAULT now()
      );
      -- One open invitation per account and workspace (a second one is 409).
      CREATE UNIQUE INDEX invitations_pending_uniq ON invitations (workspace_id, user_id) WHERE status = 'pending';
      CREATE INDEX invitations_workspace_idx ON invitations (workspace_id, created_at, id);
      CREATE INDEX invitations_user_idx ON invitations (user_id, created_at, id);

      -- An account's own e-mail change waits here until the new address confirms it.
      CREATE TABLE email_changes (
        id         text PRIMARY KEY,
        user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        new_email  text NOT NULL,
        token_hash bytea,
        expires_at timestamptz(3) NOT NULL,
        used_at    timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX email_changes_token_idx ON email_changes (token_hash);
      CREATE INDEX email_changes_user_idx ON email_changes (user_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_changes; DROP TABLE invitations;`);
  }
}
