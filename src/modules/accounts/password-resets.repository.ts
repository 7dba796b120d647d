import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';
import { PasswordResetEntity } from './password-reset.entity';

@Injectable()
export class PasswordResetsRepository {
  constructor(private readonly db: Database) {}

  async insert(reset: PasswordResetEntity): Promise<void> {
    await this.db.repository(PasswordResetEntity).insert(reset);
  }

  /** Marks the token used if it is live; the user it belongs to, or null. Single use even under races. */
  async consume(tokenHash: Buffer): Promise<string | null> {
    const rows: Array<{ user_id: string }> = await this.db.query(
      `WITH used AS (
         UPDATE password_resets SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
          RETURNING user_id)
       SELECT user_id FROM used`,
      [tokenHash],
    );
    return rows[0]?.user_id ?? null;
  }

  /** A new reset link makes the older ones of that user useless. */
  async expireOpen(userId: string): Promise<void> {
    await this.db.query(`UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [userId]);
  }
}
