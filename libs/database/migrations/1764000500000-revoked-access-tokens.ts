import { MigrationInterface, QueryRunner } from 'typeorm';

export class RevokedAccessTokens1764000500000 implements MigrationInterface {
  name = 'RevokedAccessTokens1764000500000';

  async up(q: QueryRunner): Promise<void> {
    // Access tokens revoked one by one (RFC 7009), kept until they would have expired anyway.
    // Redis holds the same marks for the request path; this table answers when Redis does not.
    await q.query(`
      CREATE TABLE revoked_access_tokens (
        jti        text PRIMARY KEY,
        expires_at timestamptz(3) NOT NULL
      );
      CREATE INDEX revoked_access_tokens_expires_idx ON revoked_access_tokens (expires_at);

      -- Recent revocations, which every API process writes back to Redis as marks (a mark lost
      -- while Redis was down comes back within seconds of its return).
      CREATE INDEX refresh_tokens_revoked_idx ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
      CREATE INDEX api_keys_revoked_idx ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;
      CREATE INDEX pats_revoked_idx ON personal_access_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX pats_revoked_idx; DROP INDEX api_keys_revoked_idx; DROP INDEX refresh_tokens_revoked_idx; DROP TABLE revoked_access_tokens`);
  }
}
