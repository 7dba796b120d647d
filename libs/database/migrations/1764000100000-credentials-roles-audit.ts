import { MigrationInterface, QueryRunner } from 'typeorm';

export class CredentialsRolesAudit1764000100000 implements MigrationInterface {
  name = 'CredentialsRolesAudit1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE roles (
        id           text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name         text NOT NULL,
        description  text NOT NULL DEFAULT '',
        scopes       text[] NOT NULL,
        created_at   timestamptz(3) NOT NULL DEFAULT now(),
        updated_at   timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX roles_workspace_name_key ON roles (workspace_id, lower(name));

      CREATE TABLE api_keys (
        id              text PRIMARY KEY,
        workspace_id    text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        created_by      text REFERENCES users(id) ON DELETE SET NULL,
        name            text NOT NULL,
        prefix          text NOT NULL,
        key_hash        bytea NOT NULL,
        environment     text NOT NULL CHECK (environment IN ('live','test')),
        scopes          text[] NOT NULL,
        rate_limit_tier text CHECK (rate_limit_tier IN ('free','starter','pro','business','agency','enterprise')),
        expires_at      timestamptz(3),
        revoked_at      timestamptz(3),
        rotated_to      text,
        last_used_at    timestamptz(3),
        created_at      timestamptz(3) NOT NULL DEFAULT now(),
        updated_at      timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX api_keys_hash_key ON api_keys (key_hash);
      CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, created_at, id);

      CREATE TABLE personal_access_tokens (
        id           text PRIMARY KEY,
        user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        workspace_id text REFERENCES workspaces(id) ON DELETE CASCADE,
        name         text NOT NULL,
        prefix       text NOT NULL,
        token_hash   bytea NOT NULL,
        scopes       text[] NOT NULL,
        expires_at   timestamptz(3),
        revoked_at   timestamptz(3),
        last_used_at timestamptz(3),
        created_at   timestamptz(3) NOT NULL DEFAULT now(),
        updated_at   timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX pats_hash_key ON personal_access_tokens (token_hash);
      CREATE INDEX pats_user_idx ON personal_access_tokens (user_id, created_at, id);

      CREATE TABLE password_resets (
        id         text PRIMARY KEY,
        user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        expires_at timestamptz(3) NOT NULL,
        used_at    timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX password_resets_hash_key ON password_resets (token_hash);

      CREATE TABLE audit_logs (
        id           text PRIMARY KEY,
        workspace_id text REFERENCES workspaces(id) ON DELETE CASCADE,
        actor_type   text NOT NULL,
        actor_id     text,
        action       text NOT NULL,
        target_type  text,
        target_id    text,
        ip           text,
        user_agent   text,
        request_id   text,
        metadata     jsonb NOT NULL DEFAULT '{}',
        created_at   timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE INDEX audit_logs_workspace_idx ON audit_logs (workspace_id, created_at, id);
      CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_logs; DROP TABLE password_resets; DROP TABLE personal_access_tokens; DROP TABLE api_keys; DROP TABLE roles;`);
  }
}
