import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ApiError, ListQuery, newId, Page } from '@tessera/common';
import { isUniqueViolation, Outbox } from '@tessera/database';
import { CredentialCache } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { accessCacheGroup, Tier, WorkspaceAccess } from '../auth/principal';
import { MfaService } from '../mfa/mfa.service';
import { RolesService } from '../roles/roles.service';
import { MembershipEntity } from './membership.entity';
import { WorkspaceEntity, WorkspaceSettings } from './workspace.entity';
import { presentWorkspace } from './workspace.presenter';
import { WorkspacesRepository } from './workspaces.repository';

/** A slug from a name: "Café Düsseldorf!" → "cafe-dusseldorf". */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/g, '');
  return slug || 'workspace';
}

export interface CreateWorkspaceInput {
  name: string;
  slug?: string;
  tier?: Tier;
  settings?: WorkspaceSettings;
}

@Injectable()
export class WorkspacesService {
  constructor(
    private readonly repo: WorkspacesRepository,
    private readonly roles: RolesService,
    private readonly cache: CredentialCache,
    private readonly outbox: Outbox,
    private readonly mfa: MfaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The caller's access to a workspace named by id or slug, or null when it does not exist or the
   * user is not a member (the guard answers both with 404, never revealing which).
   */
  async resolveAccess(idOrSlug: string, userId: string | null): Promise<WorkspaceAccess | null> {
    if (!idOrSlug || idOrSlug.length > 64) return null;
    // Cached a few seconds per process; any change to the workspace, its members or its roles
    // drops the entries in every process at once (invalidateAccess).
    const cacheKey = `access:${idOrSlug}|${userId ?? ''}`;
    const cached = this.cache.get<WorkspaceAccess>(cacheKey);
    if (cached) return cached;
    const row = await this.repo.findAccess(idOrSlug, userId);
    if (!row) return null;
    const roleScopes = row.role ? ((await this.roles.scopesOf(row.id, row.role)) ?? []) : [];
    const access: WorkspaceAccess = { id: row.id, slug: row.slug, tier: row.tier, role: row.role, roleScopes, requireMfa: row.require_mfa };
    this.cache.set(cacheKey, accessCacheGroup(row.id), access);
    return access;
  }

  /** Forgets every cached access to a workspace, in every API process. */
  invalidateAccess(workspaceId: string): Promise<void> {
    return this.cache.revoke(accessCacheGroup(workspaceId));
  }

  async get(id: string): Promise<WorkspaceEntity> {
    const workspace = await this.repo.findById(id);
    if (!workspace) throw ApiError.notFound('Workspace');
    return workspace;
  }

  listForUser(userId: string, list: ListQuery, onlyWorkspaceId: string | null = null): Promise<Page<{ workspace: WorkspaceEntity; role: string }>> {
    return this.repo.listForUser(userId, list, onlyWorkspaceId);
  }

  listOne(workspaceId: string, list: ListQuery): Promise<Page<WorkspaceEntity>> {
    return this.repo.listOne(workspaceId, list);
  }

  listAll(list: ListQuery): Promise<Page<WorkspaceEntity>> {
    return this.repo.listAll(list);
  }

  /** Creates a workspace with `ownerId` as its first owner (in the open transaction, if any). */
  create(input: CreateWorkspaceInput, ownerId: string): Promise<WorkspaceEntity> {
    if (input.tier) this.assertSelfServe(input.tier);
    return this.repo.transaction(() => this.insertOwned(input, ownerId));
  }

  private async insertOwned(input: CreateWorkspaceInput, ownerId: string): Promise<WorkspaceEntity> {
    const now = new Date();
    const base = input.slug ?? slugify(input.name);
    for (let attempt = 0; ; attempt++) {
      const slug = attempt === 0 ? base : `${base.slice(0, 56)}-${randomBytes(3).toString('hex')}`;
      const workspace = Object.assign(new WorkspaceEntity(), {
        id: newId('ws'),
        name: input.name.trim(),
        slug,
        tier: input.tier ?? 'free',
        settings: { timezone: 'UTC', locale: 'en', ...input.settings },
        requireMfa: false,
        createdAt: now,
        updatedAt: now,
      });
      try {
        // A savepoint, so that a slug collision does not abort the transaction.
        await this.repo.savepoint(() => this.repo.insert(workspace));
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (input.slug) throw ApiError.conflict('This slug is taken.', { slug: ['has already been taken'] });
        if (attempt >= 5) throw ApiError.conflict('Could not find a free slug; give one.', { slug: ['has already been taken'] });
        continue;
      }
      await this.repo.insertMember(
        Object.assign(new MembershipEntity(), { workspaceId: workspace.id, userId: ownerId, role: 'owner', createdAt: now, updatedAt: now }),
      );
      return workspace;
    }
  }

  /**
   * A tenant's own change: a tier only among SELF_SERVE_TIERS; the MFA requirement only by an owner
   * (`actor`: the caller's role and user), who must have TOTP on to turn it on.
   */
  async update(
    id: string,
    patch: { name?: string; slug?: string; tier?: Tier; settings?: WorkspaceSettings; require_mfa?: boolean },
    actor: { role: string | null; userId: string | null },
  ): Promise<WorkspaceEntity> {
    const current = await this.get(id);
    const changes: Partial<WorkspaceEntity> = {};
    if (patch.require_mfa !== undefined && patch.require_mfa !== current.requireMfa) {
      if (actor.role !== 'owner' || !actor.userId) throw ApiError.forbidden('Only an owner of the workspace may change whether it requires multi-factor sign-in.');
      if (patch.require_mfa && !(await this.mfa.isEnrolled(actor.userId))) {
        throw ApiError.conflict('Turn TOTP on for your own account first (POST /api/v1/me/mfa/totp): requiring it would lock you out of this workspace.', { require_mfa: ['needs TOTP on for your account'] });
      }
      changes.requireMfa = patch.require_mfa;
    }
    if (patch.name !== undefined) changes.name = patch.name.trim();
    if (patch.slug !== undefined) changes.slug = patch.slug;
    if (patch.tier !== undefined && patch.tier !== current.tier) {
      this.assertSelfServe(patch.tier);
      changes.tier = patch.tier;
    }
    if (patch.settings !== undefined) changes.settings = { ...current.settings, ...patch.settings };
    return this.apply(id, changes);
  }

  /** A platform operator's change of plan: any tier. */
  async setTier(id: string, tier: Tier): Promise<WorkspaceEntity> {
    await this.get(id);
    return this.apply(id, { tier });
  }

  private async apply(id: string, changes: Partial<WorkspaceEntity>): Promise<WorkspaceEntity> {
    try {
      return await this.repo.transaction(async () => {
        await this.repo.update(id, changes);
        const updated = (await this.repo.findById(id))!;
        await this.outbox.write({ workspaceId: id, type: 'workspace.updated', data: { ...presentWorkspace(updated) } });
        return updated;
      }).finally(() => this.invalidateAccess(id));
    } catch (err) {
      if (isUniqueViolation(err)) throw ApiError.conflict('This slug is taken.', { slug: ['has already been taken'] });
      throw err;
    }
  }

  private assertSelfServe(tier: Tier): void {
    if (!this.config.selfServeTiers.includes(tier)) {
      throw ApiError.forbidden(`The ${tier} tier is not self-serve on this deployment (${this.config.selfServeTiers.join(', ')}); a platform operator sets it.`);
    }
  }

  async delete(id: string): Promise<void> {
    await this.repo.delete(id);
    await this.invalidateAccess(id);
  }
}
