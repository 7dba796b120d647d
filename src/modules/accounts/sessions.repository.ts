import { Injectable } from '@nestjs/common';
import { IsNull, LessThan } from 'typeorm';
import { Database } from '@tessera/database';
import { RefreshTokenEntity } from './refresh-token.entity';

@Injectable()
export class SessionsRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(RefreshTokenEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  findByHash(tokenHash: Buffer): Promise<RefreshTokenEntity | null> {
    return this.repo().findOneBy({ tokenHash });
  }

  async insert(token: RefreshTokenEntity): Promise<void> {
    await this.repo().insert(token);
  }

  /** Marks a token used; false when someone else used or revoked it first (a replay race). */
  async markRotated(id: string): Promise<boolean> {
    const result = await this.repo().update({ id, rotatedAt: IsNull(), revokedAt: IsNull() }, { rotatedAt: new Date() });
    return (result.affected ?? 0) === 1;
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.repo().update({ familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  /** Revokes every live session of a user; returns their family ids. */
  async revokeAllForUser(userId: string, exceptFamilyId?: string): Promise<string[]> {
    // Wrapped in a SELECT so the driver answers with the rows (an UPDATE answers [rows, count]).
    const rows: Array<{ family_id: string }> = await this.db.query(
      `WITH revoked AS (
         UPDATE refresh_tokens SET revoked_at = now()
          WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() AND ($2::text IS NULL OR family_id <> $2)
          RETURNING family_id)
       SELECT DISTINCT family_id FROM revoked`,
      [userId, exceptFamilyId ?? null],
    );
    return rows.map((r) => r.family_id);
  }

  /** Deletes tokens that expired more than a day ago; returns how many. */
  async purgeExpired(now = new Date()): Promise<number> {
    const result = await this.repo().delete({ expiresAt: LessThan(new Date(now.getTime() - 24 * 3600 * 1000)) });
    return result.affected ?? 0;
  }
}
