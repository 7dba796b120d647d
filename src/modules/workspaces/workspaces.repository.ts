import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, escapeLike, paginate } from '@tessera/database';
import { MembershipEntity } from './membership.entity';
import { WorkspaceEntity } from './workspace.entity';

export interface AccessRow {
  id: string;
  slug: string;
  tier: WorkspaceEntity['tier'];
  role: string | null;
  require_mfa: boolean;
}

const WORKSPACE_COLUMNS = { id: 'id', name: 'name', slug: 'slug', tier: 'tier', created_at: 'createdAt', updated_at: 'updatedAt' };
const MEMBER_COLUMNS = { id: 'userId', role: 'role', created_at: 'createdAt', updated_at: 'updatedAt' };

/** Workspaces and memberships. Every membership query names its workspace. */
@Injectable()
export class WorkspacesRepository {
  constructor(private readonly db: Database) {}

  private workspaces() {
    return this.db.repository(WorkspaceEntity);
  }
  private memberships() {
    return this.db.repository(MembershipEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** `work` under a savepoint of the open transaction (a failed insert then leaves it usable). */
  savepoint<T>(work: () => Promise<T>): Promise<T> {
    return this.db.savepoint('workspaces', work);
  }

  /** A workspace by id or slug with the user's role in it (null role: not a member), in one query. */
  async findAccess(idOrSlug: string, userId: string | null): Promise<AccessRow | null> {
    const rows: AccessRow[] = await this.db.query(
      `SELECT w.id, w.slug, w.tier, m.role, w.require_mfa
         FROM workspaces w
         LEFT JOIN memberships m ON m.workspace_id = w.id AND m.user_id = $2
        WHERE ${idOrSlug.startsWith('ws_') ? 'w.id' : 'w.slug'} = $1`,
      [idOrSlug, userId],
    );
    return rows[0] ?? null;
  }

  findById(id: string): Promise<WorkspaceEntity | null> {
    return this.workspaces().findOneBy({ id });
  }

  slugExists(slug: string): Promise<boolean> {
    return this.workspaces().existsBy({ slug });
  }

  /** Workspaces the user belongs to (only `onlyWorkspaceId`, when given), with the user's role. */
  async listForUser(userId: string, list: ListQuery, onlyWorkspaceId: string | null = null): Promise<Page<{ workspace: WorkspaceEntity; role: string }>> {
    const qb = this.workspaces()
      .createQueryBuilder('w')
      .innerJoin(MembershipEntity, 'm', 'm.workspace_id = w.id AND m.user_id = :userId', { userId });
    if (onlyWorkspaceId) qb.andWhere('w.id = :onlyWorkspaceId', { onlyWorkspaceId });
    if (list.search) qb.andWhere('w.name ILIKE :search', { search: `%${escapeLike(list.search)}%` });
    const page = await paginate(qb, list, WORKSPACE_COLUMNS);
    // The caller's roles for the whole page in one more query (not one per workspace); an empty
    // `where` list would match every membership.
    const roles = page.items.length ? await this.memberships().find({ where: page.items.map((w) => ({ workspaceId: w.id, userId })) }) : [];
    const roleOf = new Map(roles.map((m) => [m.workspaceId, m.role]));
    return page.map((workspace) => ({ workspace, role: roleOf.get(workspace.id) ?? 'member' }));
  }

  /** The one workspace an API key belongs to, as a list page (a key is no member of any workspace). */
  async listOne(workspaceId: string, list: ListQuery): Promise<Page<WorkspaceEntity>> {
    const qb = this.workspaces().createQueryBuilder('w').where('w.id = :workspaceId', { workspaceId });
    if (list.search) qb.andWhere('w.name ILIKE :search', { search: `%${escapeLike(list.search)}%` });
    return paginate(qb, list, WORKSPACE_COLUMNS);
  }

  /** Every workspace of the deployment (platform operators). */
  listAll(list: ListQuery): Promise<Page<WorkspaceEntity>> {
    const qb = this.workspaces().createQueryBuilder('w');
    if (list.search) qb.andWhere('(w.name ILIKE :search OR w.slug ILIKE :search)', { search: `%${escapeLike(list.search)}%` });
    return paginate(qb, list, WORKSPACE_COLUMNS);
  }

  async insert(workspace: WorkspaceEntity): Promise<void> {
    await this.workspaces().insert(workspace);
  }

  async update(id: string, patch: Partial<Pick<WorkspaceEntity, 'name' | 'slug' | 'tier' | 'settings' | 'requireMfa'>>): Promise<void> {
    await this.workspaces().update({ id }, { ...patch, updatedAt: new Date() });
  }

  async delete(id: string): Promise<void> {
    await this.workspaces().delete({ id });
  }

  // Memberships

  findMember(workspaceId: string, userId: string): Promise<MembershipEntity | null> {
    return this.memberships().findOne({ where: { workspaceId, userId }, relations: { user: true } });
  }

  listMembers(workspaceId: string, list: ListQuery): Promise<Page<MembershipEntity>> {
    const qb = this.memberships()
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.user', 'u')
      .where('m.workspace_id = :workspaceId', { workspaceId });
    if (list.search) qb.andWhere('(u.name ILIKE :search OR u.email ILIKE :search)', { search: `%${escapeLike(list.search)}%` });
    return paginate(qb, list, MEMBER_COLUMNS);
  }

  /** In how many workspaces the account is a member. */
  countMembershipsOfUser(userId: string): Promise<number> {
    return this.memberships().countBy({ userId });
  }

  countMembers(workspaceId: string): Promise<number> {
    return this.memberships().countBy({ workspaceId });
  }

  async insertMember(member: MembershipEntity): Promise<void> {
    await this.memberships().insert(member);
  }

  async updateMemberRole(workspaceId: string, userId: string, role: string): Promise<void> {
    await this.memberships().update({ workspaceId, userId }, { role, updatedAt: new Date() });
  }

  async deleteMember(workspaceId: string, userId: string): Promise<void> {
    await this.memberships().delete({ workspaceId, userId });
  }

  /** The member who created (or last rotated) an API key, with their current role; null once they left. */
  async apiKeyMaker(workspaceId: string, keyId: string): Promise<{ userId: string; role: string } | null> {
    const rows: Array<{ user_id: string; role: string }> = await this.db.query(
      `SELECT m.user_id, m.role FROM api_keys k JOIN memberships m ON m.workspace_id = k.workspace_id AND m.user_id = k.created_by
        WHERE k.workspace_id = $1 AND k.id = $2`,
      [workspaceId, keyId],
    );
    return rows[0] ? { userId: rows[0].user_id, role: rows[0].role } : null;
  }

  /**
   * Locks the workspace's owner rows and counts them, so that two concurrent demotions cannot
   * both see "another owner is left" and leave the workspace with none.
   */
  async lockAndCountOwners(workspaceId: string): Promise<number> {
    const rows: unknown[] = await this.db.query(
      `SELECT user_id FROM memberships WHERE workspace_id = $1 AND role = 'owner' FOR UPDATE`,
      [workspaceId],
    );
    return rows.length;
  }
}
