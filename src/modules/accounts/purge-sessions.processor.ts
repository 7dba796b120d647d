import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Jobs, Queues } from '@tessera/queue';
import { AccessTokensService } from '../auth/access-tokens.service';
import { MfaService } from '../mfa/mfa.service';
import { OAuthGrantsService } from '../oauth/oauth-grants.service';
import { SigningKeysService } from '../oauth/signing-keys.service';
import { PasskeysService } from '../passkeys/passkeys.service';
import { BrowserSessionsService } from '../sessions/browser-sessions.service';
import { MagicLinkService } from './magic-link.service';
import { SessionsService } from './sessions.service';

/**
 * Every hour: refresh tokens that expired more than a day ago, access-token revocations past
 * their token's life, browser sessions, MFA and WebAuthn challenges and sign-in links that ended,
 * and the OAuth provider's expired tokens, grants and retired signing keys.
 */
@Processor(Queues.maintenance)
export class PurgeSessionsProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(PurgeSessionsProcessor.name);

  constructor(
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokensService,
    private readonly browserSessions: BrowserSessionsService,
    private readonly mfa: MfaService,
    private readonly magicLinks: MagicLinkService,
    private readonly passkeys: PasskeysService,
    private readonly oauthGrants: OAuthGrantsService,
    private readonly signingKeys: SigningKeysService,
    @InjectQueue(Queues.maintenance) private readonly queue: Queue,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(Jobs.purgeExpiredSessions, { every: 3_600_000 }, { name: Jobs.purgeExpiredSessions, data: {} });
  }

  async process(job: Job): Promise<{ deleted: number }> {
    if (job.name !== Jobs.purgeExpiredSessions) throw new Error(`no handler for job ${job.name}`);
    const deleted = await this.sessions.purgeExpired();
    const revocations = await this.accessTokens.purgeExpired();
    const browserSessions = await this.browserSessions.purgeExpired();
    const mfaChallenges = await this.mfa.purgeExpired();
    const magicLinks = await this.magicLinks.purgeExpired();
    const webauthnChallenges = await this.passkeys.purgeExpiredChallenges();
    const oauth = await this.oauthGrants.purgeExpired();
    const keys = await this.signingKeys.purgeRetired();
    this.logger.log({ deleted, revocations, browserSessions, mfaChallenges, magicLinks, webauthnChallenges, oauth, keys }, 'expired sign-in state purged');
    return { deleted };
  }
}
