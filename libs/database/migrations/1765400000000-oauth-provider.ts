import { MigrationInterface, QueryRunner } from 'typeorm';

export class OAuthProvider1765400000000 implements MigrationInterface {
  name = 'OAuthProvider1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Third-party apps registered by an account (/api/v1/oauth-clients). A confidential client's
      -- secret carries 256 random bits and is kept only as its SHA-256; a public one has none and
      -- must use PKCE. Redirect URIs are matched exactly.
      CREATE TABLE oauth_clients (
        id             text PRIMARY KEY,
        user_id        text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name           text NOT NULL,
        type           text NOT NULL CHECK (type IN ('public', 'confidential')),
        redirect_uris  text[] NOT NULL,
        scopes         text[] NOT NULL,
        secret_hash    bytea,
        secret_prefix  text,
        created_at     timestamptz(3) NOT NULL DEFAULT now(),
        updated_at     timestamptz(3) NOT NULL DEFAULT now(),
        CHECK ((type = 'confidential') = (secret_hash IS NOT NULL))
      );
      CREATE INDEX oauth_clients_user_idx ON oauth_clients (user_id, created_at, id);

      -- What a user granted an app (oidc-provider's Grant, kept in payload), bound to the one
      -- workspace the user picked on the consent page. Deleting it deletes its tokens.
      CREATE TABLE oauth_grants (
        id            text PRIMARY KEY,
        user_id       text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id     text NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
        workspace_id  text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        scopes        text[] NOT NULL,
        payload       jsonb NOT NULL DEFAULT '{}',
        created_at    timestamptz(3) NOT NULL DEFAULT now(),
        expires_at    timestamptz(3) NOT NULL
      );
      CREATE INDEX oauth_grants_user_idx ON oauth_grants (user_id, created_at, id);
      CREATE INDEX oauth_grants_client_idx ON oauth_grants (client_id);
      CREATE INDEX oauth_grants_expires_idx ON oauth_grants (expires_at);

      -- oidc-provider's access tokens, refresh tokens and authorization codes. A token's value is
      -- its id: only its SHA-256 is stored, so this table holds no usable token. consumed_at is set
      -- by one conditional UPDATE, so two requests racing with the same code or refresh token
      -- cannot both consume it.
      CREATE TABLE oauth_tokens (
        model        text NOT NULL CHECK (model IN ('AccessToken', 'AuthorizationCode', 'RefreshToken')),
        id_hash      bytea NOT NULL,
        grant_id     text NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
        payload      jsonb NOT NULL,
        expires_at   timestamptz(3) NOT NULL,
        consumed_at  timestamptz(3),
        PRIMARY KEY (model, id_hash)
      );
      CREATE INDEX oauth_tokens_grant_idx ON oauth_tokens (grant_id);
      CREATE INDEX oauth_tokens_expires_idx ON oauth_tokens (expires_at);

      -- The provider's signing keys (RS256). The private JWK is sealed with ENCRYPTION_KEY (its kid as
      -- associated data). 'next' is published before it signs, 'retired' stays published for a day.
      CREATE TABLE oauth_signing_keys (
        id                  text PRIMARY KEY,
        alg                 text NOT NULL CHECK (alg = 'RS256'),
        public_jwk          jsonb NOT NULL,
        private_jwk_sealed  text NOT NULL,
        state               text NOT NULL CHECK (state IN ('next', 'active', 'retired')),
        created_at          timestamptz(3) NOT NULL DEFAULT now(),
        activated_at        timestamptz(3),
        retired_at          timestamptz(3)
      );
      CREATE UNIQUE INDEX oauth_signing_keys_one_active ON oauth_signing_keys (state) WHERE state = 'active';
      CREATE UNIQUE INDEX oauth_signing_keys_one_next ON oauth_signing_keys (state) WHERE state = 'next';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE oauth_signing_keys; DROP TABLE oauth_tokens; DROP TABLE oauth_grants; DROP TABLE oauth_clients;`);
  }
}
