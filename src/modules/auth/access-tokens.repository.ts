import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';

/** What PostgreSQL knows of revoked access tokens, for when the Redis marks cannot be read. */
@Injectable()
export class AccessTokensRepository {
  constructor(private readonly db: Database) {}

  /** Whether the sign-in session (refresh-token family, or browser session) was revoked: logout, replay, password reset. */
  async isSessionRevoked(sessionId: string): Promise<boolean> {
    const rows: unknown[] = sessionId.startsWith('bss_')
      ? await this.db.query(`SELECT 1 FROM browser_sessions WHERE id = $1 AND revoked_at IS NOT NULL`, [sessionId])
      : await this.db.query(`SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NOT NULL LIMIT 1`, [sessionId]);
    return rows.length > 0;
  }

  async revoke(jti: string, expiresAt: Date): Promise<void> {
    await this.db.query(`INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`, [jti, expiresAt]);
  }

  async isRevoked(jti: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM revoked_access_tokens WHERE jti = $1`, [jti]);
    return rows.length > 0;
  }

  /**
   * Every revocation whose mark must still stand, with the seconds it has left: sessions (token and
   * browser), API keys and PATs revoked within `windowSeconds`, and access tokens revoked one by one and not expired.
   */
  recentRevocations(windowSeconds: number): Promise<Array<{ id: string; seconds: number }>> {
    return this.db.query(
      `SELECT id, CEIL(EXTRACT(EPOCH FROM until - now()))::int AS seconds FROM (
         SELECT family_id AS id, MAX(revoked_at) + make_interval(secs => $1) AS until FROM refresh_tokens
          WHERE revoked_at > now() - make_interval(secs => $1) GROUP BY family_id
         UNION ALL
         SELECT id, revoked_at + make_interval(secs => $1) FROM browser_sessions WHERE revoked_at > now() - make_interval(secs => $1)
         UNION ALL
         SELECT id, revoked_at + make_interval(secs => $1) FROM api_keys WHERE revoked_at > now() - make_interval(secs => $1)
         UNION ALL
         SELECT id, revoked_at + make_interval(secs => $1) FROM personal_access_tokens WHERE revoked_at > now() - make_interval(secs => $1)
         UNION ALL
         SELECT 'jti:' || jti, expires_at + interval '60 seconds' FROM revoked_access_tokens WHERE expires_at > now()
       ) r WHERE until > now()`,
      [windowSeconds],
    );
  }

  /** Forgets revocations of tokens that have expired anyway; returns how many. */
  async purgeExpired(now = new Date()): Promise<number> {
    const rows: unknown[] = await this.db.query(`WITH gone AS (DELETE FROM revoked_access_tokens WHERE expires_at < $1 RETURNING 1) SELECT * FROM gone`, [now]);
    return rows.length;
  }
}
