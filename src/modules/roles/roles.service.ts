import { Injectable } from '@nestjs/common';
import { ApiError, isId, newId } from '@tessera/common';
import { isUniqueViolation } from '@tessera/database';
import { CredentialCache } from '@tessera/queue';
import { accessCacheGroup } from '../auth/principal';
import { BUILT_IN_ROLE_DESCRIPTIONS, BUILT_IN_ROLE_SCOPES, BUILT_IN_ROLES, isBuiltInRole } from '../auth/roles';
import { RoleEntity } from './role.entity';
import { RolesRepository } from './roles.repository';

export interface RoleView {
  id: string;
  name: string;
  description: string;
  scopes: readonly string[];
  builtIn: boolean;
  createdAt: Date | null;
  updatedAt: Date | null;
}

const builtInViews: RoleView[] = BUILT_IN_ROLES.map((name) => ({
  id: name,
  name,
  description: BUILT_IN_ROLE_DESCRIPTIONS[name],
  scopes: BUILT_IN_ROLE_SCOPES[name],
  builtIn: true,
  createdAt: null,
  updatedAt: null,
}));

const toView = (r: RoleEntity): RoleView => ({ id: r.id, name: r.name, description: r.description, scopes: r.scopes, builtIn: false, createdAt: r.createdAt, updatedAt: r.updatedAt });

/** Built-in roles (fixed) and a workspace's custom roles (named sets of scopes). */
@Injectable()
export class RolesService {
  constructor(
    private readonly repo: RolesRepository,
    private readonly cache: CredentialCache,
  ) {}

  async list(workspaceId: string): Promise<RoleView[]> {
    return [...builtInViews, ...(await this.repo.list(workspaceId)).map(toView)];
  }

  async get(workspaceId: string, id: string): Promise<RoleView> {
    if (isBuiltInRole(id)) return builtInViews.find((r) => r.id === id)!;
    const role = isId('role', id) ? await this.repo.find(workspaceId, id) : null;
    if (!role) throw ApiError.notFound('Role');
    return toView(role);
  }

  /** The scopes a membership role grants, or null when no such role exists in the workspace. */
  async scopesOf(workspaceId: string, role: string): Promise<readonly string[] | null> {
    if (isBuiltInRole(role)) return BUILT_IN_ROLE_SCOPES[role];
    if (!isId('role', role)) return null;
    return (await this.repo.find(workspaceId, role))?.scopes ?? null;
  }

  async create(workspaceId: string, input: { name: string; description?: string; scopes: string[] }): Promise<RoleView> {
    const now = new Date();
    const role = Object.assign(new RoleEntity(), {
      id: newId('role'),
      workspaceId,
      name: input.name.trim(),
      description: input.description ?? '',
      scopes: [...new Set(input.scopes)],
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.repo.insert(role);
    } catch (err) {
      if (isUniqueViolation(err)) throw ApiError.conflict('A role with this name exists.', { name: ['has already been taken'] });
      throw err;
    }
    return toView(role);
  }

  async update(workspaceId: string, id: string, patch: { name?: string; description?: string; scopes?: string[] }): Promise<RoleView> {
    this.assertCustom(id);
    await this.get(workspaceId, id);
    try {
      await this.repo.update(workspaceId, id, {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.scopes !== undefined ? { scopes: [...new Set(patch.scopes)] } : {}),
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw ApiError.conflict('A role with this name exists.', { name: ['has already been taken'] });
      throw err;
    }
    // Members holding the role act with its new scopes at once, in every process.
    await this.cache.revoke(accessCacheGroup(workspaceId));
    return this.get(workspaceId, id);
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    this.assertCustom(id);
    await this.get(workspaceId, id);
    if (!(await this.repo.deleteIfUnused(workspaceId, id))) {
      throw ApiError.conflict('Members hold this role: give them another role first.');
    }
  }

  private assertCustom(id: string): void {
    if (isBuiltInRole(id)) throw ApiError.forbidden('Built-in roles cannot be changed.');
  }
}
