import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';
import { RoleEntity } from './role.entity';

@Injectable()
export class RolesRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(RoleEntity);
  }

  find(workspaceId: string, id: string): Promise<RoleEntity | null> {
    return this.repo().findOneBy({ workspaceId, id });
  }

  list(workspaceId: string): Promise<RoleEntity[]> {
    return this.repo().find({ where: { workspaceId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async insert(role: RoleEntity): Promise<void> {
    await this.repo().insert(role);
  }

  async update(workspaceId: string, id: string, patch: Partial<Pick<RoleEntity, 'name' | 'description' | 'scopes'>>): Promise<void> {
    await this.repo().update({ workspaceId, id }, { ...patch, updatedAt: new Date() });
  }

  /** Deletes the role unless a member holds it; false when one does. */
  async deleteIfUnused(workspaceId: string, id: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH gone AS (
         DELETE FROM roles r WHERE r.workspace_id = $1 AND r.id = $2
            AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = $1 AND m.role = $2)
         RETURNING r.id)
       SELECT id FROM gone`,
      [workspaceId, id],
    );
    return rows.length === 1;
  }
}
