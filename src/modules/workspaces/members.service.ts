import { Injectable, OnModuleInit } from '@nestjs/common';
import { ApiError, ListQuery, Page } from '@tessera/common';
import { isUniqueViolation, Outbox } from '@tessera/database';
import { EntitlementsService, WorkspaceRef } from '../entitlements/entitlements.service';
import { assertCanDelegate } from '../auth/delegation';
import { Principal, WorkspaceAccess } from '../auth/principal';
import { outranksForAccount, rankOf } from '../auth/roles';
import { RolesService } from '../roles/roles.service';
import { hashPassword } from '../users/password-hasher';
import { UsersService } from '../users/users.service';
import { MembershipEntity } from './membership.entity';
import { WorkspacesService } from './workspaces.service';
import { presentMember } from './workspace.presenter';
import { WorkspacesRepository } from './workspaces.repository';

const ONLY_OWNERS = 'Only an owner can grant the owner role or change an owner.';

/** The workspace of a workspace route (the guard has resolved it before any service runs). */
export function workspaceOf(principal: Principal): WorkspaceAccess {
  if (!principal.workspace) throw ApiError.unauthorized();
  return principal.workspace;
}

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

  /**
   * Checks that `principal` may give `role` in its workspace: the role exists, only an owner gives
   * owner, and the role's scopes are all held by the granter (API.md, "Delegation").
   */
  async assertCanGrant(principal: Principal, role: string): Promise<void> {
    const ws = workspaceOf(principal);
    const scopes = await this.roles.scopesOf(ws.id, role);
    if (!scopes) throw ApiError.validation({ role: ['must be owner, admin, member, viewer or the id of a custom role of this workspace'] });
    if (role === 'owner') this.assertOwner(ws);
    assertCanDelegate(principal, scopes);
  }

  /**
   * Makes an account a member inside the caller's transaction (an accepted invitation, a new
   * account): counts against the `members` entitlement and writes `member.added`.
   */
  async join(ws: WorkspaceRef, userId: string, role: string): Promise<MembershipEntity> {
    await this.entitlements.assertCanCreate(ws, 'members');
    const now = new Date();
    try {
      await this.repo.insertMember(Object.assign(new MembershipEntity(), { workspaceId: ws.id, userId, role, createdAt: now, updatedAt: now }));
    } catch (err) {
      if (isUniqueViolation(err)) throw ApiError.conflict('This user is already a member of the workspace.', { email: ['is already a member'] });
      throw err;
    }
    const member = await this.get(ws.id, userId);
    await this.outbox.write({ workspaceId: ws.id, type: 'member.added', data: { ...presentMember(member) } });
    return member;
  }

  /** 409 when the role of an open invitation was deleted since it was sent. */
  async assertRoleStillExists(workspaceId: string, role: string): Promise<void> {
    if (!(await this.roles.scopesOf(workspaceId, role))) throw ApiError.conflict('The role of this invitation no longer exists: ask for a new invitation.');
  }

  isMember(workspaceId: string, userId: string): Promise<boolean> {
    return this.repo.findMember(workspaceId, userId).then((m) => m !== null);
  }

  /** Creates an account and makes it a member, in one transaction. */
  async createUser(principal: Principal, input: { name: string; email: string; password: string; role?: string }): Promise<MembershipEntity> {
    const ws = workspaceOf(principal);
    const role = input.role ?? 'member';
    await this.assertCanGrant(principal, role);
    const passwordHash = await hashPassword(input.password);
    return this.repo
      .transaction(async () => {
        const user = await this.users.create({ ...input, passwordHash });
        return this.join(ws, user.id, role);
      })
      .finally(() => this.workspaces.invalidateAccess(ws.id));
  }

  async changeRole(principal: Principal, userId: string, role: string): Promise<MembershipEntity> {
    const ws = workspaceOf(principal);
    await this.assertCanGrant(principal, role);
    return this.repo.transaction(async () => {
      const member = await this.get(ws.id, userId);
      if (member.role === role) return member;
      if (member.role === 'owner' || role === 'owner') this.assertOwner(ws);
      this.assertNotOutranked(ws, member);
      if (userId === principal.userId && rankOf(role) > rankOf(member.role)) throw ApiError.forbidden('You cannot raise your own role.');
      if (member.role === 'owner') await this.assertAnotherOwner(ws.id);
      await this.repo.updateMemberRole(ws.id, userId, role);
      return this.get(ws.id, userId);
    }).finally(() => this.workspaces.invalidateAccess(ws.id));
  }

  async remove(principal: Principal, userId: string): Promise<void> {
    const ws = workspaceOf(principal);
    await this.repo.transaction(async () => {
      const member = await this.get(ws.id, userId);
      if (member.role === 'owner') {
        this.assertOwner(ws);
        await this.assertAnotherOwner(ws.id);
      }
      this.assertNotOutranked(ws, member);
      await this.repo.deleteMember(ws.id, userId);
      await this.outbox.write({ workspaceId: ws.id, type: 'member.removed', data: { ...presentMember(member) } });
    }).finally(() => this.workspaces.invalidateAccess(ws.id));
  }

  /**
   * Updates the account of a member (name, e-mail) and, when given, the role. A new e-mail is
   * allowed only for an account that belongs to this workspace alone and that the caller
   * outranks: the e-mail is the key to the account (password reset), and it is global.
   */
  async updateUser(principal: Principal, userId: string, patch: { name?: string; email?: string; role?: string }): Promise<MembershipEntity> {
    const ws = workspaceOf(principal);
    const member = await this.get(ws.id, userId);
    const newEmail = patch.email?.trim().toLowerCase();
    const emailChanges = newEmail !== undefined && newEmail !== member.user!.email;
    if (emailChanges && !outranksForAccount(await this.accountRankRole(principal), member.role)) {
      throw ApiError.forbidden('Only a role that outranks this user may change its e-mail; the user changes it in PATCH /api/v1/me.');
    }
    // One transaction: a refused e-mail leaves the role unchanged too.
    await this.repo
      .transaction(async () => {
        if (emailChanges) {
          // The account row is locked so that no invitation is accepted between the count and the change.
          await this.users.lockForUpdate(userId);
          if ((await this.repo.countMembershipsOfUser(userId)) > 1) {
            throw ApiError.forbidden('This account belongs to other workspaces too: only its owner can change its e-mail.');
          }
        }
        if (patch.role !== undefined) await this.changeRole(principal, userId, patch.role);
        if (patch.name !== undefined || emailChanges) await this.users.updateProfile(userId, { name: patch.name, email: emailChanges ? newEmail : undefined });
      })
      .finally(() => this.workspaces.invalidateAccess(ws.id));
    return this.get(ws.id, userId);
  }

  /**
   * The role that ranks the caller for account changes. A workspace API key (seed 001's PUT
   * /users) stands where the member who made it stands today, never above admin: a key never
   * outranks its maker, and a maker who left the workspace leaves a key that outranks nobody.
   */
  private async accountRankRole(principal: Principal): Promise<string | null> {
    const ws = workspaceOf(principal);
    if (principal.kind !== 'api_key') return ws.role;
    const makerRole = await this.repo.apiKeyMakerRole(ws.id, principal.credentialId);
    return makerRole === 'owner' ? 'admin' : makerRole;
  }

  /** Nobody changes or removes a member whose role stands above their own. */
  private assertNotOutranked(ws: WorkspaceAccess, member: MembershipEntity): void {
    if (rankOf(member.role) > rankOf(ws.role)) throw ApiError.forbidden('This member outranks you.');
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
