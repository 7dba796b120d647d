import { BullBoardModule, BullBoardServerAdapter } from '@bull-board/nestjs';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { producerQueueOptions, Queues } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { QueuesDashboardController } from './queues-dashboard.controller';
import { QUEUES_DASHBOARD_PATH, QueuesDashboardGate } from './queues-dashboard.gate';

const DASHBOARD_QUEUES = Object.values(Queues);

/**
 * bull-board over every queue, at /admin/queues, for platform operators (QueuesDashboardGate
 * decides; the HTTP platform's hook in src/bootstrap.ts asks it before bull-board sees a request).
 * The server adapter (Express or Fastify) is chosen by the bootstrap.
 */
@Module({})
export class QueuesDashboardModule {
  static forRoot(serverAdapter: new () => BullBoardServerAdapter): DynamicModule {
    return {
      module: QueuesDashboardModule,
      imports: [
        AuthModule,
        UsersModule,
        // The API only looks at and manages these queues: producers that fail fast without Redis.
        ...DASHBOARD_QUEUES.map((name) => BullModule.registerQueueAsync({ name, inject: [APP_CONFIG], useFactory: (config: AppConfig) => producerQueueOptions(config.redisUrl) })),
        BullBoardModule.forRoot({ route: QUEUES_DASHBOARD_PATH, adapter: serverAdapter, boardOptions: { uiConfig: { boardTitle: 'Tessera queues' } } }),
        BullBoardModule.forFeature(...DASHBOARD_QUEUES.map((name) => ({ name, adapter: BullMQAdapter }))),
      ],
      controllers: [QueuesDashboardController],
      providers: [QueuesDashboardGate],
    };
  }
}
