import { MigrationInterface, QueryRunner } from 'typeorm';

export class SignInSessionsMfaPasskeys1765300000000 implements MigrationInterface {
  name = 'SignInSessionsMfaPasskeys1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Browser sessions: the session cookie holds a 256-bit secret; only its SHA-256 is stored.
      CREATE TABLE browser_sessions (
        id           text PRIMARY KEY,
        user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        workspace_id text REFERENCES workspaces(id) ON DELETE CASCADE,
        secret_hash  bytea NOT NULL UNIQUE,
        auth_method  text NOT NULL,
        user_agent   text,
        ip           text,
        created_at   timestamptz(3) NOT NULL,
        last_seen_at timestamptz(3) NOT NULL,
        expires_at   timestamptz(3) NOT NULL,
        revoked_at   timestamptz(3)
      );
      CREATE INDEX browser_sessions_user_idx ON browser_sessions (user_id, id);
      CREATE INDEX browser_sessions_revoked_idx ON browser_sessions (revoked_at) WHERE revoked_at IS NOT NULL;
      CREATE INDEX browser_sessions_expires_idx ON browser_sessions (expires_at);

      -- TOTP (RFC 6238): the secret sealed with ENCRYPTION_KEY; last_used_step refuses a code twice.
      CREATE TABLE totp_credentials (
        user_id        text PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        secret_sealed  text NOT NULL,
        confirmed_at   timestamptz(3),
        last_used_step bigint,
        created_at     timestamptz(3) NOT NULL
      );

      -- Recovery codes, single use: HMAC-SHA256 under a key derived from ENCRYPTION_KEY.
      CREATE TABLE recovery_codes (
        user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash  bytea NOT NULL,
        used_at    timestamptz(3),
        created_at timestamptz(3) NOT NULL,
        PRIMARY KEY (user_id, code_hash)
      );

      -- The second step of a sign-in by an account with TOTP: what the first step asked for.
      CREATE TABLE mfa_challenges (
        id           text PRIMARY KEY,
        user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash   bytea NOT NULL UNIQUE,
        workspace_id text REFERENCES workspaces(id) ON DELETE CASCADE,
        session      boolean NOT NULL,
        auth_method  text NOT NULL,
        attempts     integer NOT NULL DEFAULT 0,
        expires_at   timestamptz(3) NOT NULL,
        used_at      timestamptz(3),
        created_at   timestamptz(3) NOT NULL
      );
      CREATE INDEX mfa_challenges_user_idx ON mfa_challenges (user_id);
      CREATE INDEX mfa_challenges_expires_idx ON mfa_challenges (expires_at);

      CREATE TABLE magic_links (
        id         text PRIMARY KEY,
        user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash bytea NOT NULL UNIQUE,
        expires_at timestamptz(3) NOT NULL,
        used_at    timestamptz(3),
        created_at timestamptz(3) NOT NULL
      );
      CREATE INDEX magic_links_user_idx ON magic_links (user_id);
      CREATE INDEX magic_links_expires_idx ON magic_links (expires_at);

      -- Passkeys (WebAuthn credentials): the COSE public key and the authenticator's signature counter.
      CREATE TABLE passkeys (
        id            text PRIMARY KEY,
        user_id       text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        credential_id text NOT NULL UNIQUE,
        public_key    bytea NOT NULL,
        counter       bigint NOT NULL,
        transports    text[] NOT NULL DEFAULT '{}',
        device_type   text NOT NULL,
        backed_up     boolean NOT NULL,
        name          text NOT NULL,
        last_used_at  timestamptz(3),
        created_at    timestamptz(3) NOT NULL,
        updated_at    timestamptz(3) NOT NULL
      );
      CREATE INDEX passkeys_user_idx ON passkeys (user_id, id);

      -- WebAuthn challenges, single use: registration ones belong to a user, sign-in ones to nobody yet.
      CREATE TABLE webauthn_challenges (
        challenge  text PRIMARY KEY,
        purpose    text NOT NULL,
        user_id    text REFERENCES users(id) ON DELETE CASCADE,
        expires_at timestamptz(3) NOT NULL
      );
      CREATE INDEX webauthn_challenges_expires_idx ON webauthn_challenges (expires_at);

      -- Owners may require multi-factor sign-in of every member.
      ALTER TABLE workspaces ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE workspaces DROP COLUMN require_mfa;
      DROP TABLE webauthn_challenges; DROP TABLE passkeys; DROP TABLE magic_links; DROP TABLE mfa_challenges;
      DROP TABLE recovery_codes; DROP TABLE totp_credentials; DROP TABLE browser_sessions;
    `);
  }
}
