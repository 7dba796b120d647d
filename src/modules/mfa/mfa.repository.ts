import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';
import { MfaChallengeEntity } from './mfa-challenge.entity';
import { TotpCredentialEntity } from './totp-credential.entity';

/** TOTP secrets, recovery codes and MFA challenges, always by their user (challenges by their token's hash). */
@Injectable()
export class MfaRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  findTotp(userId: string): Promise<TotpCredentialEntity | null> {
    return this.db.repository(TotpCredentialEntity).findOneBy({ userId });
  }

  /** A new pending secret, replacing a pending one; false when TOTP is already confirmed. */
  async savePendingTotp(userId: string, secretSealed: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO totp_credentials (user_id, secret_sealed, created_at) VALUES ($1, $2, now())
       ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, created_at = now(), last_used_step = NULL
         WHERE totp_credentials.confirmed_at IS NULL
       RETURNING 1`,
      [userId, secretSealed],
    );
    return rows.length > 0;
  }

  /**
   * Spends the code of time step `step`: only when no code of this step or a later one was
   * accepted before (one atomic UPDATE, so two requests racing with one code cannot both pass).
   * `confirm` also turns a pending secret on; otherwise the secret must already be on.
   */
  async spendStep(userId: string, step: number, confirm: boolean): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH spent AS (
         UPDATE totp_credentials SET last_used_step = $2, confirmed_at = COALESCE(confirmed_at, CASE WHEN $3 THEN now() END)
          WHERE user_id = $1 AND (confirmed_at IS NULL) = $3 AND (last_used_step IS NULL OR last_used_step < $2)
          RETURNING 1)
       SELECT * FROM spent`,
      [userId, step, confirm],
    );
    return rows.length > 0;
  }

  async deleteTotp(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM totp_credentials WHERE user_id = $1`, [userId]);
    await this.db.query(`DELETE FROM recovery_codes WHERE user_id = $1`, [userId]);
  }

  async isEnrolled(userId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL`, [userId]);
    return rows.length > 0;
  }

  /** Replaces every recovery code of the user. */
  async replaceRecoveryCodes(userId: string, hashes: Buffer[]): Promise<void> {
    await this.db.query(`DELETE FROM recovery_codes WHERE user_id = $1`, [userId]);
    await this.db.query(`INSERT INTO recovery_codes (user_id, code_hash, created_at) SELECT $1, h, now() FROM unnest($2::bytea[]) AS h`, [userId, hashes]);
  }

  /** Marks an unused recovery code used; false when it is not one (or was used). */
  async spendRecoveryCode(userId: string, hash: Buffer): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH spent AS (UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING 1) SELECT * FROM spent`,
      [userId, hash],
    );
    return rows.length > 0;
  }

  async countRecoveryCodesLeft(userId: string): Promise<number> {
    const rows: Array<{ n: number }> = await this.db.query(`SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, [userId]);
    return rows[0]?.n ?? 0;
  }

  async insertChallenge(challenge: MfaChallengeEntity): Promise<void> {
    await this.db.repository(MfaChallengeEntity).insert(challenge);
  }

  /** Inside a transaction: the live challenge of this token, locked until the transaction ends, else null. */
  async lockLiveChallenge(tokenHash: Buffer, maxAttempts: number): Promise<MfaChallengeEntity | null> {
    const rows: Array<{ id: string; user_id: string; workspace_id: string | null; session: boolean; auth_method: MfaChallengeEntity['authMethod']; attempts: number }> = await this.db.query(
      `SELECT id, user_id, workspace_id, session, auth_method, attempts FROM mfa_challenges
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() AND attempts < $2
        FOR UPDATE`,
      [tokenHash, maxAttempts],
    );
    const r = rows[0];
    return r ? Object.assign(new MfaChallengeEntity(), { id: r.id, userId: r.user_id, workspaceId: r.workspace_id, session: r.session, authMethod: r.auth_method, attempts: r.attempts }) : null;
  }

  async markChallengeUsed(id: string): Promise<void> {
    await this.db.query(`UPDATE mfa_challenges SET used_at = now() WHERE id = $1`, [id]);
  }

  async countFailedAttempt(id: string): Promise<void> {
    await this.db.query(`UPDATE mfa_challenges SET attempts = attempts + 1 WHERE id = $1`, [id]);
  }

  /** Ends the open challenges of a user (password reset: a first step made with the old password is void). */
  async expireChallenges(userId: string): Promise<void> {
    await this.db.query(`UPDATE mfa_challenges SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [userId]);
  }

  async purgeExpired(): Promise<number> {
    const rows: unknown[] = await this.db.query(`WITH gone AS (DELETE FROM mfa_challenges WHERE expires_at < now() - interval '1 day' RETURNING 1) SELECT * FROM gone`);
    return rows.length;
  }
}
