import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';
import { MagicLinkEntity } from './magic-link.entity';

@Injectable()
export class MagicLinksRepository {
  constructor(private readonly db: Database) {}

  async insert(link: MagicLinkEntity): Promise<void> {
    await this.db.repository(MagicLinkEntity).insert(link);
  }

  /** Marks the link used if it is live; the user it signs in, or null. Single use even under races. */
  async consume(tokenHash: Buffer): Promise<string | null> {
    const rows: Array<{ user_id: string }> = await this.db.query(
      `WITH used AS (
         UPDATE magic_links SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
          RETURNING user_id)
       SELECT user_id FROM used`,
      [tokenHash],
    );
    return rows[0]?.user_id ?? null;
  }

  /** A new link, or a password reset, makes the older links of that user useless. */
  async expireOpen(userId: string): Promise<void> {
    await this.db.query(`UPDATE magic_links SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [userId]);
  }

  async purgeExpired(): Promise<number> {
    const rows: unknown[] = await this.db.query(`WITH gone AS (DELETE FROM magic_links WHERE expires_at < now() - interval '1 day' RETURNING 1) SELECT * FROM gone`);
    return rows.length;
  }
}
