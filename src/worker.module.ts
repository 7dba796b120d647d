import { DynamicModule, Module } from '@nestjs/common';
import { bullModules, QueueName, Queues } from '@tessera/queue';
import { AppConfig } from './config/config';
import { InfrastructureModule } from './infrastructure.module';
import { AccountsModule } from './modules/accounts/accounts.module';
import { PurgeSessionsProcessor } from './modules/accounts/purge-sessions.processor';
import { AuditModule } from './modules/audit/audit.module';
import { AuthModule } from './modules/auth/auth.module';
import { EntitlementsModule } from './modules/entitlements/entitlements.module';
import { FlushApiCallsProcessor } from './modules/entitlements/flush-api-calls.processor';
import { MailModule } from './modules/mail/mail.module';
import { MfaModule } from './modules/mfa/mfa.module';
import { PasskeysModule } from './modules/passkeys/passkeys.module';
import { BrowserSessionsModule } from './modules/sessions/browser-sessions.module';
import { MailProcessor } from './modules/mail/mail.processor';
import { OAuthModule } from './modules/oauth/oauth.module';
import { PixelWorkerModule } from './modules/pixel/pixel-worker.module';
import { WebhookWorkerModule } from './modules/webhooks/webhook-worker.module';
import { WorkspacesModule } from './modules/workspaces/workspaces.module';

/**
 * The worker process: BullMQ processors over the same services as the API, no HTTP. It serves the
 * queues WORKER_QUEUES names (all by default), so each kind of work can run on its own processes.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    const serves = (queue: QueueName) => config.workerQueues.includes(queue);
    return {
      module: WorkerModule,
      imports: [
        InfrastructureModule.forRoot(config),
        ...bullModules(config.redisUrl, [Queues.maintenance, Queues.mail, Queues.metering]),
        AuditModule,
        AuthModule,
        AccountsModule,
        BrowserSessionsModule,
        MfaModule,
        PasskeysModule,
        WorkspacesModule,
        EntitlementsModule,
        MailModule,
        // The maintenance job purges the OAuth provider's expired tokens and retired keys.
        OAuthModule,
        ...(serves(Queues.webhooks) ? [WebhookWorkerModule.forRoot(config)] : []),
        ...(serves(Queues.pixel) ? [PixelWorkerModule] : []),
      ],
      providers: [
        ...(serves(Queues.maintenance) ? [PurgeSessionsProcessor] : []),
        ...(serves(Queues.mail) ? [MailProcessor] : []),
        ...(serves(Queues.metering) ? [FlushApiCallsProcessor] : []),
      ],
    };
  }
}
