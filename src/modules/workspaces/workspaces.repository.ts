import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ListQuery, Page } from '@tessera/common';
import { escapeLike, paginate } from '@tessera/database';
import { MembershipEntity } from './membership.entity';
import { WorkspaceEntity } from './workspace.entity';

export interface AccessRow {
  id: string;
  slug: string;
  tier: WorkspaceEntity['tier'];
  role: string | null;
}

const WORKSPACE_COLUMNS = { id: 'id', name: 'name', slug: 'slug', tier: 'tier', created_at: 'createdAt', updated_at: 'updatedAt' };
const MEMBER_COLUMNS = { id: 'userId', role: 'role', created_at: 'createdAt', updated_at: 'updatedAt' };

/** Workspaces and memberships. Every membership query names its workspace. */
@Injectable()
export class WorkspacesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private workspaces(tx?: EntityManager) {
    return (tx ?? this.ds.manager).getRepository(WorkspaceEntity);
  }
  private memberships(tx?: EntityManager) {
    return (tx ?? this.ds.manager).getRepository(MembershipEntity);
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  /** A workspace by id or slug with the user's role in it (null role: not a member), in one query. */
  async findAccess(idOrSlug: string, userId: string | null): Promise<AccessRow | null> {
    const rows: AccessRow[] = await this.ds.query(
      `SELECT w.id, w.slug, w.tier, m.role
         FROM workspaces w
         LEFT JOIN memberships m ON m.workspace_id = w.id AND m.user_id = $2
        WHERE ${idOrSlug.startsWith('ws_') ? 'w.id' : 'w.slug'} = $1`,
      [idOrSlug, userId],
    );
    return rows[0] ?? null;
  }

  findById(id: string, tx?: EntityManager): Promise<WorkspaceEntity | null> {
    return this.workspaces(tx).findOneBy({ id });
  }

  slugExists(slug: string): Promise<boolean> {
    return this.workspaces().existsBy({ slug });
  }

  /** Workspaces the user belongs to, with the user's role. */
  async listForUser(userId: string, list: ListQuery): Promise<Page<{ workspace: WorkspaceEntity; role: string }>> {
    const qb = this.workspaces()
      .createQueryBuilder('w')
      .innerJoin(MembershipEntity, 'm', 'm.workspace_id = w.id AND m.user_id = :userId', { userId });
    if (list.search) qb.andWhere('w.name ILIKE :search', { search: `%${escapeLike(list.search)}%` });
    const page = await paginate(qb, list, WORKSPACE_COLUMNS);
    // The caller's roles for the whole page in one more query (not one per workspace).
    const roles = await this.memberships().find({ where: page.items.map((w) => ({ workspaceId: w.id, userId })) });
    const roleOf = new Map(roles.map((m) => [m.workspaceId, m.role]));
    return page.map((workspace) => ({ workspace, role: roleOf.get(workspace.id) ?? 'member' }));
  }

  async insert(workspace: WorkspaceEntity, tx?: EntityManager): Promise<void> {
    await this.workspaces(tx).insert(workspace);
  }

  async update(id: string, patch: Partial<Pick<WorkspaceEntity, 'name' | 'slug' | 'tier' | 'settings'>>, tx?: EntityManager): Promise<void> {
    await this.workspaces(tx).update({ id }, { ...patch, updatedAt: new Date() });
  }

  async delete(id: string): Promise<void> {
    await this.workspaces().delete({ id });
  }

  // Memberships

  findMember(workspaceId: string, userId: string, tx?: EntityManager): Promise<MembershipEntity | null> {
    return this.memberships(tx).findOne({ where: { workspaceId, userId }, relations: { user: true } });
  }

  listMembers(workspaceId: string, list: ListQuery): Promise<Page<MembershipEntity>> {
    const qb = this.memberships()
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.user', 'u')
      .where('m.workspace_id = :workspaceId', { workspaceId });
    if (list.search) qb.andWhere('(u.name ILIKE :search OR u.email ILIKE :search)', { search: `%${escapeLike(list.search)}%` });
    return paginate(qb, list, MEMBER_COLUMNS);
  }

  countMembers(workspaceId: string, tx?: EntityManager): Promise<number> {
    return this.memberships(tx).countBy({ workspaceId });
  }

  async insertMember(member: MembershipEntity, tx?: EntityManager): Promise<void> {
    await this.memberships(tx).insert(member);
  }

  async updateMemberRole(workspaceId: string, userId: string, role: string, tx?: EntityManager): Promise<void> {
    await this.memberships(tx).update({ workspaceId, userId }, { role, updatedAt: new Date() });
  }

  async deleteMember(workspaceId: string, userId: string, tx?: EntityManager): Promise<void> {
    await this.memberships(tx).delete({ workspaceId, userId });
  }

  /**
   * Locks the workspace's owner rows and counts them, so that two concurrent demotions cannot
   * both see "another owner is left" and leave the workspace with none.
   */
  async lockAndCountOwners(workspaceId: string, tx: EntityManager): Promise<number> {
    const rows: unknown[] = await tx.query(
      `SELECT user_id FROM memberships WHERE workspace_id = $1 AND role = 'owner' FOR UPDATE`,
      [workspaceId],
    );
    return rows.length;
  }
}
