import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { ApiError, hashSecret, newId, newSecret } from '@tessera/common';
import { JobPayloads, Jobs, Queues } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { AuditService } from '../audit/audit.service';
import { MailService } from '../mail/mail.service';
import { OAuthGrantsService } from '../oauth/oauth-grants.service';
import { TokensService } from '../tokens/tokens.service';
import { UsersService } from '../users/users.service';
import { PasswordResetEntity } from './password-reset.entity';
import { PasswordResetsRepository } from './password-resets.repository';
import { MailJobs } from '../mail/mail-jobs';
import { SessionsService } from './sessions.service';
import { MfaService } from '../mfa/mfa.service';
import { MagicLinkService } from './magic-link.service';

const RESET_PREFIX = 'tsr_rst_';
const RESET_TTL_MS = 60 * 60 * 1000;

/**
 * Password reset: the request only queues a job (the same work whether or not the account exists,
 * so nothing can be learnt from the answer or its timing); the worker makes a single-use token,
 * valid an hour and stored hashed, and mails it.
 */
@Injectable()
export class PasswordResetService implements OnModuleInit {
  constructor(
    private readonly mailJobs: MailJobs,
    private readonly repo: PasswordResetsRepository,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly oauthGrants: OAuthGrantsService,
    private readonly audit: AuditService,
    private readonly mail: MailService,
    private readonly mfa: MfaService,
    private readonly magicLinks: MagicLinkService,
    @InjectQueue(Queues.mail) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The mail worker hands this service's job to it: the message is written where its data lives. */
  onModuleInit(): void {
    this.mailJobs.handle(Jobs.sendPasswordReset, (job) => this.sendResetMail(job.email));
  }

  async request(email: string, requestId: string | null): Promise<void> {
    const payload: JobPayloads[typeof Jobs.sendPasswordReset] = { email: email.trim().toLowerCase(), requestId };
    await this.queue.add(Jobs.sendPasswordReset, payload, { removeOnComplete: true });
  }

  /** Run by the worker. */
  async sendResetMail(email: string): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user) return;
    await this.repo.expireOpen(user.id);
    const token = newSecret(RESET_PREFIX);
    const now = new Date();
    await this.repo.insert(
      Object.assign(new PasswordResetEntity(), { id: newId('rst'), userId: user.id, tokenHash: hashSecret(token), expiresAt: new Date(now.getTime() + RESET_TTL_MS), usedAt: null, createdAt: now }),
    );
    const base = this.config.publicUrl ?? `http://localhost:${this.config.port}`;
    await this.mail.send({
      to: user.email,
      subject: 'Reset your Tessera password',
      text: [
        `Hello ${user.name},`,
        '',
        'Someone asked to reset the password of your Tessera account. If it was you, use this token within 60 minutes:',
        '',
        token,
        '',
        `POST ${base}/api/v1/auth/password/reset with {"token": "<token>", "password": "<new password>"}`,
        '',
        'If it was not you, ignore this message: your password stays as it is.',
      ].join('\n'),
    });
  }

  /**
   * Account recovery: whoever held the old password may also have made tokens with it, so every
   * session (token and browser sign-ins) and every personal access token of the account ends (API keys belong to workspaces
   * and stay). The audit log says how many.
   */
  async reset(token: string, password: string, requestId: string | null = null): Promise<void> {
    const userId = token.startsWith(RESET_PREFIX) ? await this.repo.consume(hashSecret(token)) : null;
    if (!userId) throw ApiError.validation({ token: ['is invalid, expired or already used'] });
    await this.users.setPassword(userId, password);
    // The token came back from the account's mailbox: its address is proven.
    await this.users.markEmailVerified(userId);
    const sessionsRevoked = await this.sessions.revokeAllForUser(userId);
    // Nor does a second step begun with the old password, or a sign-in link mailed before.
    await this.mfa.expireChallenges(userId);
    await this.magicLinks.expireOpen(userId);
    const tokensRevoked = await this.tokens.revokeAllForUser(userId);
    // Apps the account authorized act with its powers too: a takeover must not keep them.
    const authorizationsRevoked = await this.oauthGrants.revokeAllForUser(userId);
    this.audit.record({
      workspaceId: null,
      actorType: 'user',
      actorId: userId,
      action: 'auth.credentials.revoked_all',
      targetType: 'user',
      targetId: userId,
      requestId,
      metadata: { reason: 'password_reset', sessions_revoked: sessionsRevoked, tokens_revoked: tokensRevoked, authorizations_revoked: authorizationsRevoked },
    });
  }
}
