import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { ApiError, ListQuery, newId, Page } from '@tessera/common';
import { isUniqueViolation, Outbox } from '@tessera/database';
import { JobPayloads, Jobs, Queues } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { Principal } from '../auth/principal';
import { MailService } from '../mail/mail.service';
import { UsersService } from '../users/users.service';
import { InvitationEntity } from './invitation.entity';
import { InvitationsRepository } from './invitations.repository';
import { MembersService, workspaceOf } from './members.service';
import { MembershipEntity } from './membership.entity';
import { presentInvitation } from './workspace.presenter';
import { MailJobs } from '../mail/mail-jobs';
import { WorkspacesService } from './workspaces.service';

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Membership of an existing account is by invitation (API.md): the workspace invites, the account
 * accepts or declines. Nobody is added to a workspace, nor put under its control, without consent.
 */
@Injectable()
export class InvitationsService implements OnModuleInit {
  constructor(
    private readonly mailJobs: MailJobs,
    private readonly repo: InvitationsRepository,
    private readonly members: MembersService,
    private readonly users: UsersService,
    private readonly workspaces: WorkspacesService,
    private readonly mail: MailService,
    private readonly outbox: Outbox,
    @InjectQueue(Queues.mail) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The mail worker hands this service's job to it: the message is written where its data lives. */
  onModuleInit(): void {
    this.mailJobs.handle(Jobs.sendInvitation, (job) => this.sendInvitationMail(job.invitationId));
  }

  /** Invites an existing account by e-mail; the mail leaves through the worker. */
  async invite(principal: Principal, email: string, role: string): Promise<InvitationEntity> {
    const ws = workspaceOf(principal);
    await this.members.assertCanGrant(principal, role);
    // A key's invitation is its maker's: acceptance checks that they may still grant the role.
    const inviter = await this.members.actor(principal);
    const user = await this.users.findByEmail(email.trim());
    if (!user) throw ApiError.validation({ email: ['no account uses this e-mail; create it with POST /api/v1/users'] });
    const now = new Date();
    const invitation = Object.assign(new InvitationEntity(), {
      id: newId('inv'),
      workspaceId: ws.id,
      userId: user.id,
      email: user.email,
      role,
      status: 'pending',
      invitedBy: inviter.userId,
      expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      createdAt: now,
      updatedAt: now,
    });
    await this.repo.transaction(async () => {
      if (await this.members.isMember(ws.id, user.id)) throw ApiError.conflict('This user is already a member of the workspace.', { email: ['is already a member'] });
      await this.repo.expireStale(ws.id, user.id);
      try {
        await this.repo.insert(invitation);
      } catch (err) {
        if (isUniqueViolation(err)) throw ApiError.conflict('This user already has a pending invitation to the workspace.', { email: ['is already invited'] });
        throw err;
      }
      await this.outbox.write({ workspaceId: ws.id, type: 'member.invited', data: { ...presentInvitation(invitation) } });
    });
    const payload: JobPayloads[typeof Jobs.sendInvitation] = { invitationId: invitation.id };
    await this.queue.add(Jobs.sendInvitation, payload, { removeOnComplete: true });
    return invitation;
  }

  listForWorkspace(workspaceId: string, list: ListQuery): Promise<Page<InvitationEntity>> {
    return this.repo.listPendingInWorkspace(workspaceId, list);
  }

  /** Withdrawing is refused to whoever could not have sent it (an owner's invitation to owner stays an owner's). */
  async withdraw(principal: Principal, id: string): Promise<void> {
    const ws = workspaceOf(principal);
    const invitation = await this.repo.findInWorkspace(ws.id, id);
    if (!invitation) throw ApiError.notFound('Invitation');
    await this.members.assertCanGrant(principal, invitation.role);
    if (!(await this.repo.close(id, 'withdrawn'))) throw ApiError.notFound('Invitation');
  }

  listForUser(userId: string, list: ListQuery): Promise<Page<InvitationEntity>> {
    return this.repo.listPendingForUser(userId, list);
  }

  /** The invitee joins: counted against the `members` entitlement, `member.added` written. */
  async accept(userId: string, id: string): Promise<MembershipEntity> {
    const invitation = await this.ownInvitation(userId, id);
    const workspace = invitation.workspace!;
    return this.repo
      .transaction(async () => {
        // The same lock as a workspace's e-mail change: it sees this membership or runs after it.
        await this.users.lockForUpdate(userId);
        if (!(await this.repo.close(id, 'accepted'))) throw this.notOpen();
        await this.members.assertInvitationStillGrantable(workspace.id, invitation.invitedBy, invitation.role);
        return this.members.join({ id: workspace.id, tier: workspace.tier }, userId, invitation.role);
      })
      .finally(() => this.workspaces.invalidateAccess(workspace.id));
  }

  async decline(userId: string, id: string): Promise<void> {
    await this.ownInvitation(userId, id);
    if (!(await this.repo.close(id, 'declined'))) throw this.notOpen();
  }

  /** Run by the worker. */
  async sendInvitationMail(invitationId: string): Promise<void> {
    const invitation = await this.repo.findById(invitationId);
    if (!invitation || invitation.status !== 'pending') return;
    const inviter = invitation.invitedBy ? await this.users.findById(invitation.invitedBy).catch(() => null) : null;
    const base = this.config.publicUrl ?? `http://localhost:${this.config.port}`;
    await this.mail.send({
      to: invitation.email,
      subject: `You are invited to ${invitation.workspace!.name} on Tessera`,
      text: [
        `${inviter ? inviter.name : 'Someone'} invited you to the workspace "${invitation.workspace!.name}" as ${invitation.role}.`,
        '',
        `The invitation ${invitation.id} is valid until ${invitation.expiresAt.toISOString()}. Signed in to Tessera:`,
        '',
        `POST ${base}/api/v1/me/invitations/${invitation.id}/accept`,
        `POST ${base}/api/v1/me/invitations/${invitation.id}/decline`,
        '',
        'If you do not know this workspace, decline it or let it expire: nothing changes until you accept.',
      ].join('\n'),
    });
  }

  /** Another account's invitation is not found, whatever its id. */
  private async ownInvitation(userId: string, id: string): Promise<InvitationEntity> {
    const invitation = await this.repo.findForUser(userId, id);
    if (!invitation) throw ApiError.notFound('Invitation');
    return invitation;
  }

  private notOpen(): ApiError {
    return ApiError.conflict('This invitation is no longer open: it was answered, withdrawn or has expired.');
  }
}
