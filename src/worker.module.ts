import { DynamicModule, Module } from '@nestjs/common';
import { bullModules, Queues } from '@tessera/queue';
import { AppConfig } from './config/config';
import { InfrastructureModule } from './infrastructure.module';
import { AuthModule } from './modules/auth/auth.module';
import { PurgeSessionsProcessor } from './modules/auth/purge-sessions.processor';

/** The worker process: BullMQ processors over the same services as the API, no HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [InfrastructureModule.forRoot(config), ...bullModules(config.redisUrl, [Queues.maintenance]), AuthModule],
      providers: [PurgeSessionsProcessor],
    };
  }
}
