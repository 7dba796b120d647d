import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';
import { EmailChangeEntity } from './email-change.entity';

@Injectable()
export class EmailChangesRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async insert(change: EmailChangeEntity): Promise<void> {
    await this.db.repository(EmailChangeEntity).insert(change);
  }

  /** A newer request makes the older open ones of that user useless. */
  async expireOpen(userId: string): Promise<void> {
    await this.db.query(`UPDATE email_changes SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [userId]);
  }

  findOpen(id: string): Promise<EmailChangeEntity | null> {
    return this.db.repository(EmailChangeEntity).createQueryBuilder('c').where('c.id = :id AND c.used_at IS NULL AND c.expires_at > now()', { id }).getOne();
  }

  async setTokenHash(id: string, tokenHash: Buffer): Promise<void> {
    await this.db.query(`UPDATE email_changes SET token_hash = $2 WHERE id = $1`, [id, tokenHash]);
  }

  /** Marks the token used if it is live and the user's; the new address, or null. Single use even under races. */
  async consume(userId: string, tokenHash: Buffer): Promise<string | null> {
    const rows: Array<{ new_email: string }> = await this.db.query(
      `WITH used AS (
         UPDATE email_changes SET used_at = now()
          WHERE token_hash = $1 AND user_id = $2 AND used_at IS NULL AND expires_at > now()
          RETURNING new_email)
       SELECT new_email FROM used`,
      [tokenHash, userId],
    );
    return rows[0]?.new_email ?? null;
  }
}
