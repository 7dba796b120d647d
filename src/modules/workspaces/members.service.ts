import { Injectable, OnModuleInit } from '@nestjs/common';
import { ApiError, ListQuery, Page } from '@tessera/common';
import { isUniqueViolation, Outbox } from '@tessera/database';
import { EntitlementsService, WorkspaceRef } from '../entitlements/entitlements.service';
import { assertCanDelegate } from '../auth/delegation';
import { expand, grants } from '../auth/scopes';
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

  /**
   * At acceptance, 409 unless the invitation could still be sent: its role exists, and whoever
   * sent it is still a member whose role may grant it (a demoted or departed inviter's open
   * invitations grant nothing beyond what they hold now).
   */
  async assertInvitationStillGrantable(workspaceId: string, inviterId: string | null, role: string): Promise<void> {
    const scopes = await this.roles.scopesOf(workspaceId, role);
    if (!scopes) throw ApiError.conflict('The role of this invitation no longer exists: ask for a new invitation.');
    const inviter = inviterId ? await this.repo.findMember(workspaceId, inviterId) : null;
    const inviterScopes = inviter ? await this.roles.scopesOf(workspaceId, inviter.role) : null;
    const grantable = !!inviterScopes && (role !== 'owner' || inviter!.role === 'owner') && expand(scopes).every((s) => grants(inviterScopes, s));
    if (!grantable) throw ApiError.conflict('Whoever sent this invitation may no longer grant its role: ask for a new invitation.');
  }

  /**
   * Who acts, for the rules about rank: a user as their role in the workspace; a workspace API key
   * as the member who made it (or last rotated it) stands today, never above admin, so a key never
   * outranks its maker, and a maker who left leaves a key that outranks nobody.
   */
  async actor(principal: Principal): Promise<{ userId: string | null; role: string | null }> {
    const ws = workspaceOf(principal);
    if (principal.kind !== 'api_key') return { userId: principal.userId, role: ws.role };
    const maker = await this.repo.apiKeyMaker(ws.id, principal.credentialId);
    if (!maker) return { userId: null, role: null };
    return { userId: maker.userId, role: maker.role === 'owner' ? 'admin' : maker.role };
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
    const actor = await this.actor(principal);
    return this.repo.transaction(() => this.setRole(ws, actor, userId, role)).finally(() => this.workspaces.invalidateAccess(ws.id));
  }

  /** Inside the caller's transaction; the caller drops the access cache after it commits (Redis never waits inside a transaction). */
  private async setRole(ws: WorkspaceAccess, actor: { userId: string | null; role: string | null }, userId: string, role: string): Promise<MembershipEntity> {
    const member = await this.get(ws.id, userId);
    if (member.role === role) return member;
    if (member.role === 'owner' || role === 'owner') this.assertOwner(ws);
    this.assertNotOutranked(actor.role, member);
    if (userId === actor.userId && rankOf(role) > rankOf(member.role)) throw ApiError.forbidden('You cannot raise your own role.');
    if (member.role === 'owner') await this.assertAnotherOwner(ws.id);
    await this.repo.updateMemberRole(ws.id, userId, role);
    return this.get(ws.id, userId);
  }

  async remove(principal: Principal, userId: string): Promise<void> {
    const ws = workspaceOf(principal);
    const actor = await this.actor(principal);
    await this.repo.transaction(async () => {
      const member = await this.get(ws.id, userId);
      if (member.role === 'owner') {
        this.assertOwner(ws);
        await this.assertAnotherOwner(ws.id);
      }
      this.assertNotOutranked(actor.role, member);
      await this.repo.deleteMember(ws.id, userId);
      await this.outbox.write({ workspaceId: ws.id, type: 'member.removed', data: { ...presentMember(member) } });
    }).finally(() => this.workspaces.invalidateAccess(ws.id));
  }

  /**
   * Updates the account of a member (name, e-mail) and, when given, the role. The name and the
   * e-mail are the account's, shared by every workspace it belongs to (and the e-mail is the key
   * to it: password reset), so a workspace changes them only for an account that belongs to it
   * alone, that the caller outranks, and that is no platform operator.
   */
  async updateUser(principal: Principal, userId: string, patch: { name?: string; email?: string; role?: string }): Promise<MembershipEntity> {
    const ws = workspaceOf(principal);
    const member = await this.get(ws.id, userId);
    const newEmail = patch.email?.trim().toLowerCase();
    const emailChanges = newEmail !== undefined && newEmail !== member.user!.email;
    const nameChanges = patch.name !== undefined && patch.name.trim() !== member.user!.name;
    const accountChanges = emailChanges || nameChanges;
    const actor = await this.actor(principal);
    if (accountChanges && (!outranksForAccount(actor.role, member.role) || (await this.users.isOperator(userId)))) {
      throw ApiError.forbidden("Only a role that outranks this user may change its name or e-mail; the user changes them in PATCH /api/v1/me.");
    }
    // One transaction: a refused account change leaves the role unchanged too.
    await this.repo
      .transaction(async () => {
        if (accountChanges) {
          // The account row is locked so that no invitation is accepted between the count and the change.
          await this.users.lockForUpdate(userId);
          if ((await this.repo.countMembershipsOfUser(userId)) > 1) {
            throw ApiError.forbidden('This account belongs to other workspaces too: only its owner can change its name or e-mail.');
          }
        }
        if (patch.role !== undefined) {
          await this.assertCanGrant(principal, patch.role);
          await this.setRole(ws, actor, userId, patch.role);
        }
        if (accountChanges) await this.users.updateProfile(userId, { name: nameChanges ? patch.name : undefined, email: emailChanges ? newEmail : undefined });
      })
      .finally(() => this.workspaces.invalidateAccess(ws.id));
    return this.get(ws.id, userId);
  }

  /** Nobody changes or removes a member whose role stands above their own. */
  private assertNotOutranked(actorRole: string | null, member: MembershipEntity): void {
    if (rankOf(member.role) > rankOf(actorRole)) throw ApiError.forbidden('This member outranks you.');
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
