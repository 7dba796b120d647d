import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id            text PRIMARY KEY,
        email         text NOT NULL,
        name          text NOT NULL,
        password_hash text NOT NULL,
        created_at    timestamptz(3) NOT NULL DEFAULT now(),
        updated_at    timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_email_key ON users (email);

      CREATE TABLE workspaces (
        id         text PRIMARY KEY,
        name       text NOT NULL,
        slug       text NOT NULL,
        tier       text NOT NULL DEFAULT 'free'
                   CHECK (tier IN ('free','starter','pro','business','agency','enterprise')),
        settings   jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX workspaces_slug_key ON workspaces (slug);
      CREATE INDEX workspaces_created_at_idx ON workspaces (created_at, id);

      CREATE TABLE memberships (
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role         text NOT NULL,
        created_at   timestamptz(3) NOT NULL DEFAULT now(),
        updated_at   timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, user_id)
      );
      CREATE INDEX memberships_user_idx ON memberships (user_id);

      CREATE TABLE refresh_tokens (
        id           text PRIMARY KEY,
        family_id    text NOT NULL,
        user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        workspace_id text REFERENCES workspaces(id) ON DELETE CASCADE,
        token_hash   bytea NOT NULL,
        expires_at   timestamptz(3) NOT NULL,
        rotated_at   timestamptz(3),
        revoked_at   timestamptz(3),
        created_at   timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
      CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
      CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
      CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refresh_tokens; DROP TABLE memberships; DROP TABLE workspaces; DROP TABLE users;`);
  }
}
