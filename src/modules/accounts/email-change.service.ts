import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { ApiError, hashSecret, newId, newSecret } from '@tessera/common';
import { JobPayloads, Jobs, Queues } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { MailService } from '../mail/mail.service';
import { UsersService } from '../users/users.service';
import { EmailChangeEntity } from './email-change.entity';
import { MailJobs } from '../mail/mail-jobs';
import { EmailChangesRepository } from './email-changes.repository';

const CONFIRM_PREFIX = 'tsr_emc_';
const CONFIRM_TTL_MS = 24 * 3600 * 1000;

/**
 * An account's own e-mail change: the e-mail is the key to the account (password reset), so the
 * new address must prove it is reachable and the current password must be known. Until the token
 * mailed to the new address comes back, the e-mail stays as it is.
 */
@Injectable()
export class EmailChangeService implements OnModuleInit {
  constructor(
    private readonly mailJobs: MailJobs,
    private readonly repo: EmailChangesRepository,
    private readonly users: UsersService,
    private readonly mail: MailService,
    @InjectQueue(Queues.mail) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The mail worker hands this service's job to it: the message is written where its data lives. */
  onModuleInit(): void {
    this.mailJobs.handle(Jobs.sendEmailChange, (job) => this.sendConfirmationMail(job.emailChangeId));
  }

  /** Records the pending change (the caller has verified the password) and queues the mail. */
  async request(userId: string, newEmail: string): Promise<void> {
    const email = newEmail.trim().toLowerCase();
    const now = new Date();
    const change = Object.assign(new EmailChangeEntity(), { id: newId('emc'), userId, newEmail: email, tokenHash: null, expiresAt: new Date(now.getTime() + CONFIRM_TTL_MS), usedAt: null, createdAt: now });
    await this.repo.transaction(async () => {
      await this.repo.expireOpen(userId);
      await this.repo.insert(change);
    });
    const payload: JobPayloads[typeof Jobs.sendEmailChange] = { emailChangeId: change.id };
    await this.queue.add(Jobs.sendEmailChange, payload, { removeOnComplete: true });
  }

  /** Run by the worker: makes the single-use token, stores its hash, mails it to the new address. */
  async sendConfirmationMail(emailChangeId: string): Promise<void> {
    const change = await this.repo.findOpen(emailChangeId);
    if (!change) return;
    const token = newSecret(CONFIRM_PREFIX);
    await this.repo.setTokenHash(change.id, hashSecret(token));
    const base = this.config.publicUrl ?? `http://localhost:${this.config.port}`;
    await this.mail.send({
      to: change.newEmail,
      subject: 'Confirm your new Tessera e-mail address',
      text: [
        'Someone asked to move a Tessera account to this address. If it was you, confirm within 24 hours, signed in to the account:',
        '',
        token,
        '',
        `POST ${base}/api/v1/me/email/confirm with {"token": "<token>"}`,
        '',
        'If it was not you, ignore this message: nothing changes.',
      ].join('\n'),
    });
  }

  async confirm(userId: string, token: string): Promise<void> {
    // One transaction: if the address was taken meanwhile (409), the token stays unused.
    await this.repo.transaction(async () => {
      const email = token.startsWith(CONFIRM_PREFIX) ? await this.repo.consume(userId, hashSecret(token)) : null;
      if (!email) throw ApiError.validation({ token: ['is invalid, expired or already used'] });
      await this.users.updateProfile(userId, { email });
      await this.users.markEmailVerified(userId);
    });
  }
}
