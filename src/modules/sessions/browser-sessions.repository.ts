import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { BrowserSessionEntity } from './browser-session.entity';

const COLUMNS = { id: 'id', created_at: 'createdAt', last_seen_at: 'lastSeenAt', expires_at: 'expiresAt' };

/** Browser sessions, always looked up within their user, except by the hash of the cookie's secret. */
@Injectable()
export class BrowserSessionsRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(BrowserSessionEntity);
  }

  async insert(session: BrowserSessionEntity): Promise<void> {
    await this.repo().insert(session);
  }

  /** A live session by the hash of its secret (not revoked, not expired), else null. */
  async findLiveByHash(secretHash: Buffer): Promise<BrowserSessionEntity | null> {
    const rows: Array<{ id: string; user_id: string; workspace_id: string | null; auth_method: BrowserSessionEntity['authMethod']; expires_at: Date }> = await this.db.query(
      `SELECT id, user_id, workspace_id, auth_method, expires_at FROM browser_sessions
        WHERE secret_hash = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [secretHash],
    );
    const r = rows[0];
    return r ? Object.assign(new BrowserSessionEntity(), { id: r.id, userId: r.user_id, workspaceId: r.workspace_id, authMethod: r.auth_method, expiresAt: r.expires_at }) : null;
  }

  listLive(userId: string, list: ListQuery): Promise<Page<BrowserSessionEntity>> {
    const qb = this.repo().createQueryBuilder('s').where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > now()', { userId });
    return paginate(qb, list, COLUMNS);
  }

  /** Ends one live session of the user; false when there is none with that id. */
  async revoke(userId: string, id: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH ended AS (UPDATE browser_sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING 1) SELECT * FROM ended`,
      [id, userId],
    );
    return rows.length > 0;
  }

  /** Ends every live session of a user but `exceptId`; returns their ids. */
  async revokeAllForUser(userId: string, exceptId: string | null): Promise<string[]> {
    // Wrapped in a SELECT so the driver answers with the rows (an UPDATE answers [rows, count]).
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH ended AS (
         UPDATE browser_sessions SET revoked_at = now()
          WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() AND ($2::text IS NULL OR id <> $2)
          RETURNING id)
       SELECT id FROM ended`,
      [userId, exceptId],
    );
    return rows.map((r) => r.id);
  }

  /** Last seen now, written at most once a minute per session (the caller throttles too). */
  async touch(id: string, ip: string | null): Promise<void> {
    await this.db.query(`UPDATE browser_sessions SET last_seen_at = now(), ip = COALESCE($2, ip) WHERE id = $1 AND last_seen_at < now() - interval '1 minute'`, [id, ip]);
  }

  /** Deletes sessions ended or expired more than a day ago; returns how many. */
  async purgeExpired(): Promise<number> {
    const rows: unknown[] = await this.db.query(
      `WITH gone AS (DELETE FROM browser_sessions WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day' RETURNING 1) SELECT * FROM gone`,
    );
    return rows.length;
  }
}
