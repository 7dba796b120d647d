import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { InvitationEntity, InvitationStatus } from './invitation.entity';

const INVITATION_COLUMNS = { id: 'id', role: 'role', status: 'status', created_at: 'createdAt', updated_at: 'updatedAt', expires_at: 'expiresAt' };

/** Invitations, read either by their workspace or by the invited account. */
@Injectable()
export class InvitationsRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(InvitationEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async insert(invitation: InvitationEntity): Promise<void> {
    await this.repo().insert(invitation);
  }

  findInWorkspace(workspaceId: string, id: string): Promise<InvitationEntity | null> {
    return this.repo().findOneBy({ workspaceId, id });
  }

  findForUser(userId: string, id: string): Promise<InvitationEntity | null> {
    return this.repo().findOne({ where: { userId, id }, relations: { workspace: true } });
  }

  findById(id: string): Promise<InvitationEntity | null> {
    return this.repo().findOne({ where: { id }, relations: { workspace: true } });
  }

  /** Open invitations of a workspace (expired ones are not open). */
  listPendingInWorkspace(workspaceId: string, list: ListQuery): Promise<Page<InvitationEntity>> {
    const qb = this.repo()
      .createQueryBuilder('i')
      .where(`i.workspace_id = :workspaceId AND i.status = 'pending' AND i.expires_at > now()`, { workspaceId });
    return paginate(qb, list, INVITATION_COLUMNS);
  }

  /** Open invitations addressed to an account. */
  listPendingForUser(userId: string, list: ListQuery): Promise<Page<InvitationEntity>> {
    const qb = this.repo()
      .createQueryBuilder('i')
      .leftJoinAndSelect('i.workspace', 'w')
      .where(`i.user_id = :userId AND i.status = 'pending' AND i.expires_at > now()`, { userId });
    return paginate(qb, list, INVITATION_COLUMNS);
  }

  /** Closes a past-due pending invitation so a new one may be sent (the unique index counts pending rows). */
  async expireStale(workspaceId: string, userId: string): Promise<void> {
    await this.db.query(
      `UPDATE invitations SET status = 'expired', updated_at = now()
        WHERE workspace_id = $1 AND user_id = $2 AND status = 'pending' AND expires_at <= now()`,
      [workspaceId, userId],
    );
  }

  /**
   * Moves a live pending invitation to `status`; false when it was not pending or has expired.
   * The conditional UPDATE makes accept, decline and withdraw single-shot under races.
   */
  async close(id: string, status: Exclude<InvitationStatus, 'pending'>): Promise<boolean> {
    const rows: Array<{ id: string }> = await this.db.query(
      // A CTE, because TypeORM answers a bare UPDATE … RETURNING with [rows, count].
      `WITH closed AS (
         UPDATE invitations SET status = $2, updated_at = now()
          WHERE id = $1 AND status = 'pending' AND expires_at > now()
          RETURNING id)
       SELECT id FROM closed`,
      [id, status],
    );
    return rows.length > 0;
  }
}
