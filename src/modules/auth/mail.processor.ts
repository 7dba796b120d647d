import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { JobPayloads, Jobs, Queues } from '@tessera/queue';
import { InvitationsService } from '../workspaces/invitations.service';
import { EmailChangeService } from './email-change.service';
import { PasswordResetService } from './password-reset.service';

/** E-mail jobs: each one names what to mail; the service that owns it writes the message. */
@Processor(Queues.mail)
export class MailProcessor extends WorkerHost {
  constructor(
    private readonly resets: PasswordResetService,
    private readonly invitations: InvitationsService,
    private readonly emailChanges: EmailChangeService,
  ) {
    super();
  }

  async process(job: Job): Promise<void> {
    switch (job.name) {
      case Jobs.sendPasswordReset:
        return this.resets.sendResetMail((job.data as JobPayloads[typeof Jobs.sendPasswordReset]).email);
      case Jobs.sendInvitation:
        return this.invitations.sendInvitationMail((job.data as JobPayloads[typeof Jobs.sendInvitation]).invitationId);
      case Jobs.sendEmailChange:
        return this.emailChanges.sendConfirmationMail((job.data as JobPayloads[typeof Jobs.sendEmailChange]).emailChangeId);
      default:
        throw new Error(`no handler for job ${job.name}`);
    }
  }
}
