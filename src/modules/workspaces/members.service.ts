import { Injectable, OnModuleInit } from '@nestjs/common';
import { ApiError, ListQuery, Page } from '@tessera/common';
import { isUniqueViolation, Outbox } from '@tessera/database';
import { EntitlementsService } from '../entitlements/entitlements.service';
import { WorkspaceAccess } from '../auth/principal';
import { RolesService } from '../roles/roles.service';
import { hashPassword } from '../users/password-hasher';
import { UsersService } from '../users/users.service';
import { MembershipEntity } from './membership.entity';
import { WorkspacesService } from './workspaces.service';
import { presentMember } from './workspace.presenter';
import { WorkspacesRepository } from './workspaces.repository';

const ONLY_OWNERS = 'Only an owner can grant the owner role or change an owner.';

/** Who belongs to a workspace and with which role; the rules that keep a workspace owned. */
@Injectable()
export class MembersService implements OnModuleInit {
  constructor(
    private readonly repo: WorkspacesRepository,
    private readonly users: UsersService,
    private readonly roles: RolesService,
    private readonly entitlements: EntitlementsService,
    private readonly workspaces: WorkspacesService,
    private readonly outbox: Outbox,
  ) {}

  onModuleInit(): void {
    this.entitlements.registerCounter('members', (workspaceId) => this.repo.countMembers(workspaceId));
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<MembershipEntity>> {
    return this.repo.listMembers(workspaceId, list);
  }

  async get(workspaceId: string, userId: string): Promise<MembershipEntity> {
    const member = await this.repo.findMember(workspaceId, userId);
    if (!member) throw ApiError.notFound('Member');
    return member;
  }

  /** Adds an existing account by e-mail. */
  async add(actor: WorkspaceAccess, email: string, role: string): Promise<MembershipEntity> {
    await this.assertRole(actor.id, role);
    if (role === 'owner') this.assertOwner(actor);
    const user = await this.users.findByEmail(email.trim());
    if (!user) throw ApiError.validation({ email: ['no account uses this e-mail; create it with POST /api/v1/users'] });
    return this.repo.transaction(() => this.insert(actor, user.id, role)).finally(() => this.workspaces.invalidateAccess(actor.id));
  }

  /** Creates an account and makes it a member, in one transaction. */
  async createUser(actor: WorkspaceAccess, input: { name: string; email: string; password: string; role?: string }): Promise<MembershipEntity> {
    const role = input.role ?? 'member';
    await this.assertRole(actor.id, role);
    if (role === 'owner') this.assertOwner(actor);
    const passwordHash = await hashPassword(input.password);
    return this.repo
      .transaction(async () => {
        const user = await this.users.create({ ...input, passwordHash });
        return this.insert(actor, user.id, role);
      })
      .finally(() => this.workspaces.invalidateAccess(actor.id));
  }

  async changeRole(actor: WorkspaceAccess, userId: string, role: string): Promise<MembershipEntity> {
    await this.assertRole(actor.id, role);
    return this.repo.transaction(async () => {
      const member = await this.get(actor.id, userId);
      if (member.role === role) return member;
      if (member.role === 'owner' || role === 'owner') this.assertOwner(actor);
      if (member.role === 'owner') await this.assertAnotherOwner(actor.id);
      await this.repo.updateMemberRole(actor.id, userId, role);
      return this.get(actor.id, userId);
    }).finally(() => this.workspaces.invalidateAccess(actor.id));
  }

  async remove(actor: WorkspaceAccess, userId: string): Promise<void> {
    await this.repo.transaction(async () => {
      const member = await this.get(actor.id, userId);
      if (member.role === 'owner') {
        this.assertOwner(actor);
        await this.assertAnotherOwner(actor.id);
      }
      await this.repo.deleteMember(actor.id, userId);
      await this.outbox.write({ workspaceId: actor.id, type: 'member.removed', data: { ...presentMember(member) } });
    }).finally(() => this.workspaces.invalidateAccess(actor.id));
  }

  /** Updates the account of a member (name, e-mail) and, when given, the role. */
  async updateUser(actor: WorkspaceAccess, userId: string, patch: { name?: string; email?: string; role?: string }): Promise<MembershipEntity> {
    await this.get(actor.id, userId);
    if (patch.role !== undefined) await this.changeRole(actor, userId, patch.role);
    if (patch.name !== undefined || patch.email !== undefined) await this.users.updateProfile(userId, patch);
    return this.get(actor.id, userId);
  }

  private async insert(actor: WorkspaceAccess, userId: string, role: string): Promise<MembershipEntity> {
    const workspaceId = actor.id;
    await this.entitlements.assertCanCreate(actor, 'members');
    const now = new Date();
    try {
      await this.repo.insertMember(Object.assign(new MembershipEntity(), { workspaceId, userId, role, createdAt: now, updatedAt: now }));
    } catch (err) {
      if (isUniqueViolation(err)) throw ApiError.conflict('This user is already a member of the workspace.', { email: ['is already a member'] });
      throw err;
    }
    const member = await this.get(workspaceId, userId);
    await this.outbox.write({ workspaceId, type: 'member.added', data: { ...presentMember(member) } });
    return member;
  }

  private async assertRole(workspaceId: string, role: string): Promise<void> {
    if (!(await this.roles.scopesOf(workspaceId, role))) {
      throw ApiError.validation({ role: ['must be owner, admin, member, viewer or the id of a custom role of this workspace'] });
    }
  }

  private assertOwner(actor: WorkspaceAccess): void {
    if (actor.role !== 'owner') throw ApiError.forbidden(ONLY_OWNERS);
  }

  private async assertAnotherOwner(workspaceId: string): Promise<void> {
    if ((await this.repo.lockAndCountOwners(workspaceId)) <= 1) {
      throw ApiError.conflict('A workspace keeps at least one owner: make someone else owner first.');
    }
  }
}
