import { BullBoardModule, BullBoardServerAdapter } from '@bull-board/nestjs';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { DynamicModule, Injectable, Module } from '@nestjs/common';
import { logQueueErrors, producerQueueOptions, Queues } from '@tessera/queue';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { QueuesDashboardController } from './queues-dashboard.controller';
import { QUEUES_DASHBOARD_PATH, QueuesDashboardGate } from './queues-dashboard.gate';

const DASHBOARD_QUEUES = Object.values(Queues);

/** The dashboard's own queue connections log their errors instead of leaving them unhandled. */
@Injectable()
class DashboardQueueErrors {
  constructor(
    @InjectQueue(Queues.maintenance) maintenance: Queue,
    @InjectQueue(Queues.mail) mail: Queue,
    @InjectQueue(Queues.metering) metering: Queue,
    @InjectQueue(Queues.webhooks) webhooks: Queue,
    @InjectQueue(Queues.pixel) pixel: Queue,
  ) {
    for (const queue of [maintenance, mail, metering, webhooks, pixel]) logQueueErrors(queue);
  }
}

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
      providers: [QueuesDashboardGate, DashboardQueueErrors],
    };
  }
}
