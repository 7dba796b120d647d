import { DynamicModule, Module } from '@nestjs/common';
import { bullModules, Queues } from '@tessera/queue';
import { AppConfig } from './config/config';
import { InfrastructureModule } from './infrastructure.module';
import { AuthModule } from './modules/auth/auth.module';
import { MailProcessor } from './modules/auth/mail.processor';
import { AuditModule } from './modules/audit/audit.module';
import { EntitlementsModule } from './modules/entitlements/entitlements.module';
import { FlushApiCallsProcessor } from './modules/entitlements/flush-api-calls.processor';
import { PurgeSessionsProcessor } from './modules/auth/purge-sessions.processor';
import { WorkspacesModule } from './modules/workspaces/workspaces.module';

/** The worker process: BullMQ processors over the same services as the API, no HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [InfrastructureModule.forRoot(config), ...bullModules(config.redisUrl, [Queues.maintenance, Queues.mail, Queues.metering]), AuditModule, AuthModule, WorkspacesModule, EntitlementsModule],
      providers: [PurgeSessionsProcessor, MailProcessor, FlushApiCallsProcessor],
    };
  }
}
