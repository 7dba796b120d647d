import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { PasskeyEntity } from './passkey.entity';

const COLUMNS = { id: 'id', name: 'name', created_at: 'createdAt', updated_at: 'updatedAt', last_used_at: 'lastUsedAt' };

export type ChallengePurpose = 'registration' | 'authentication';

/** Passkeys, always within their user except by credential id (sign-in), and the single-use WebAuthn challenges. */
@Injectable()
export class PasskeysRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(PasskeyEntity);
  }

  async insert(passkey: PasskeyEntity): Promise<void> {
    await this.repo().insert(passkey);
  }

  find(userId: string, id: string): Promise<PasskeyEntity | null> {
    return this.repo().findOneBy({ userId, id });
  }

  findByCredentialId(credentialId: string): Promise<PasskeyEntity | null> {
    return this.repo().findOneBy({ credentialId });
  }

  credentialIdsOf(userId: string): Promise<Array<{ credentialId: string; transports: string[] }>> {
    return this.repo().find({ where: { userId }, select: { credentialId: true, transports: true } });
  }

  list(userId: string, list: ListQuery): Promise<Page<PasskeyEntity>> {
    return paginate(this.repo().createQueryBuilder('p').where('p.user_id = :userId', { userId }), list, COLUMNS);
  }

  async rename(userId: string, id: string, name: string): Promise<boolean> {
    const result = await this.repo().update({ userId, id }, { name, updatedAt: new Date() });
    return (result.affected ?? 0) === 1;
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const result = await this.repo().delete({ userId, id });
    return (result.affected ?? 0) === 1;
  }

  /**
   * Records a sign-in's counter: only when it moved forward (or both are 0, an authenticator that
   * keeps no counter), in one UPDATE, so a cloned authenticator or a replayed assertion racing the
   * genuine one cannot both pass.
   */
  async advanceCounter(id: string, counter: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH used AS (
         UPDATE passkeys SET counter = $2, last_used_at = now()
          WHERE id = $1 AND (counter < $2 OR (counter = 0 AND $2 = 0))
          RETURNING 1)
       SELECT * FROM used`,
      [id, counter],
    );
    return rows.length > 0;
  }

  async saveChallenge(challenge: string, purpose: ChallengePurpose, userId: string | null, expiresAt: Date): Promise<void> {
    await this.db.query(`INSERT INTO webauthn_challenges (challenge, purpose, user_id, expires_at) VALUES ($1, $2, $3, $4)`, [challenge, purpose, userId, expiresAt]);
  }

  /** Spends a live challenge of this purpose (and user, for registration); false when there is none. */
  async consumeChallenge(challenge: string, purpose: ChallengePurpose, userId: string | null): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH spent AS (
         DELETE FROM webauthn_challenges
          WHERE challenge = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3 AND expires_at > now()
          RETURNING 1)
       SELECT * FROM spent`,
      [challenge, purpose, userId],
    );
    return rows.length > 0;
  }

  async purgeExpiredChallenges(): Promise<number> {
    const rows: unknown[] = await this.db.query(`WITH gone AS (DELETE FROM webauthn_challenges WHERE expires_at < now() RETURNING 1) SELECT * FROM gone`);
    return rows.length;
  }
}
