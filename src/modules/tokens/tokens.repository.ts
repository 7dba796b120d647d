import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { PersonalAccessTokenEntity } from './personal-access-token.entity';

const COLUMNS = { id: 'id', name: 'name', created_at: 'createdAt', updated_at: 'updatedAt', last_used_at: 'lastUsedAt' };

/** Personal access tokens, always looked up within their user, except by hash. */
@Injectable()
export class TokensRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(PersonalAccessTokenEntity);
  }

  findByHash(tokenHash: Buffer): Promise<PersonalAccessTokenEntity | null> {
    return this.repo().findOneBy({ tokenHash });
  }

  find(userId: string, id: string): Promise<PersonalAccessTokenEntity | null> {
    return this.repo().findOneBy({ userId, id });
  }

  list(userId: string, list: ListQuery): Promise<Page<PersonalAccessTokenEntity>> {
    return paginate(this.repo().createQueryBuilder('t').where('t.user_id = :userId AND t.revoked_at IS NULL', { userId }), list, COLUMNS);
  }

  async insert(token: PersonalAccessTokenEntity): Promise<void> {
    await this.repo().insert(token);
  }

  async revoke(userId: string, id: string): Promise<void> {
    await this.repo().update({ userId, id }, { revokedAt: new Date(), updatedAt: new Date() });
  }

  /** Revokes every live token of a user; returns their ids. */
  async revokeAllForUser(userId: string): Promise<string[]> {
    // Wrapped in a SELECT so the driver answers with the rows (an UPDATE answers [rows, count]).
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH revoked AS (
         UPDATE personal_access_tokens SET revoked_at = now(), updated_at = now()
          WHERE user_id = $1 AND revoked_at IS NULL
          RETURNING id)
       SELECT id FROM revoked`,
      [userId],
    );
    return rows.map((r) => r.id);
  }

  async touch(id: string): Promise<void> {
    await this.db.query(`UPDATE personal_access_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [id]);
  }
}
