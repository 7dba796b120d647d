import { BullModule } from '@nestjs/bullmq';
import { DynamicModule } from '@nestjs/common';
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { defaultJobOptions, QueueName } from './queues';
import { redisOptions } from './redis';

/** BullMQ on the given Redis, with the project's job defaults, and the named queues registered. */
export function bullModules(redisUrl: string, queues: QueueName[]): DynamicModule[] {
  return [
    BullModule.forRoot({
      // BullMQ needs maxRetriesPerRequest: null for its blocking connections.
      connection: redisOptions(redisUrl, { maxRetriesPerRequest: null }) as BullRedisOptions,
      prefix: 'tessera',
      defaultJobOptions,
    }),
    ...queues.map((name) => BullModule.registerQueue({ name })),
  ];
}
