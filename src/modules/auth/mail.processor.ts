import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { JobPayloads, Jobs, Queues } from '@tessera/queue';
import { PasswordResetService } from './password-reset.service';

/** E-mail jobs: make the reset token and mail it. */
@Processor(Queues.mail)
export class MailProcessor extends WorkerHost {
  constructor(private readonly resets: PasswordResetService) {
    super();
  }

  async process(job: Job): Promise<void> {
    if (job.name !== Jobs.sendPasswordReset) throw new Error(`no handler for job ${job.name}`);
    const { email } = job.data as JobPayloads[typeof Jobs.sendPasswordReset];
    await this.resets.sendResetMail(email);
  }
}
