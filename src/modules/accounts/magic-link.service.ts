import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { ApiError, clientIp, hashSecret, newId, newSecret, ownOrigin, RequestLike } from '@tessera/common';
import { JobPayloads, Jobs, Queues } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { MailJobs } from '../mail/mail-jobs';
import { MailService } from '../mail/mail.service';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { isAllowedOrigin } from '../sessions/session-cookies';
import { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { MagicLinkEntity } from './magic-link.entity';
import { MagicLinksRepository } from './magic-links.repository';

export const MAGIC_LINK_PREFIX = 'tsr_ml_';
const MAGIC_LINK_PATTERN = /^tsr_ml_[A-Za-z0-9_-]{43}$/;
export const MAGIC_LINK_TTL_MS = 15 * 60 * 1000;
export const MAGIC_LINK_PATH = '/api/v1/auth/magic-link/verify';

/**
 * Passwordless sign-in by e-mail. Like a password reset, the request only queues a job (the same
 * work whether or not the account exists, so neither the answer nor its timing says which); the
 * worker makes a single-use token, valid 15 minutes and stored hashed, and mails the link. The
 * link opens a page that spends nothing; its POST spends the token, from the API's own origin
 * only. A token that does not open counts as a failed authentication of the client's address.
 */
@Injectable()
export class MagicLinkService implements OnModuleInit {
  constructor(
    private readonly mailJobs: MailJobs,
    private readonly repo: MagicLinksRepository,
    private readonly users: UsersService,
    private readonly mail: MailService,
    private readonly failedAuth: FailedAuthLimiter,
    @InjectQueue(Queues.mail) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.mailJobs.handle(Jobs.sendMagicLink, (job) => this.sendLink(job.email));
  }

  async request(email: string, requestId: string | null): Promise<void> {
    const payload: JobPayloads[typeof Jobs.sendMagicLink] = { email: email.trim().toLowerCase(), requestId };
    await this.queue.add(Jobs.sendMagicLink, payload, { removeOnComplete: true });
  }

  /** Run by the worker. */
  async sendLink(email: string): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user) return;
    await this.repo.expireOpen(user.id);
    const token = newSecret(MAGIC_LINK_PREFIX);
    const now = new Date();
    await this.repo.insert(Object.assign(new MagicLinkEntity(), { id: newId('mgl'), userId: user.id, tokenHash: hashSecret(token), expiresAt: new Date(now.getTime() + MAGIC_LINK_TTL_MS), usedAt: null, createdAt: now }));
    const base = this.config.publicUrl ?? `http://localhost:${this.config.port}`;
    await this.mail.send({
      to: user.email,
      subject: 'Your Tessera sign-in link',
      text: [
        `Hello ${user.name},`,
        '',
        'Open this link within 15 minutes and press "Sign in" to sign in to Tessera (it works once):',
        '',
        `${base}${MAGIC_LINK_PATH}?token=${token}`,
        '',
        'If you did not ask for it, ignore this message: nobody can sign in without the link.',
      ].join('\n'),
    });
  }

  /**
   * The account a link's token signs in (the token is spent), or 401; 429 once the address has
   * failed too often. Only a request from the link's page (the API's own origin) or an allowed
   * first-party page (ALLOWED_ORIGINS) spends it, else 403: another site could otherwise sign a
   * visitor's browser in to an account of its own (login CSRF) with a link mailed to itself.
   */
  async consume(token: string, req: RequestLike): Promise<UserEntity> {
    if (!isAllowedOrigin(req, [ownOrigin(req), ...this.config.allowedOrigins])) {
      throw ApiError.forbidden("Cross-site request refused: a sign-in link's token is taken only from the link's own page or an allowed page (ALLOWED_ORIGINS), with its Origin.");
    }
    const ip = clientIp(req);
    await this.failedAuth.assertAllowed(ip);
    const userId = MAGIC_LINK_PATTERN.test(token) ? await this.repo.consume(hashSecret(token)) : null;
    if (!userId) {
      await this.failedAuth.recordFailure(ip);
      throw ApiError.unauthorized('This sign-in link is invalid, expired or was already used: ask for a new one.');
    }
    return this.users.findById(userId);
  }

  /** Password reset: links mailed before it no longer sign in. */
  expireOpen(userId: string): Promise<void> {
    return this.repo.expireOpen(userId);
  }

  purgeExpired(): Promise<number> {
    return this.repo.purgeExpired();
  }
}
