import { BullModule } from '@nestjs/bullmq';
import { DynamicModule } from '@nestjs/common';
import type { QueueOptions, RedisOptions as BullRedisOptions } from 'bullmq';
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

/**
 * Options of a queue an API process only adds to: its own connection fails a command at once
 * while Redis is unreachable (no offline queue, one retry) instead of holding the request, so the
 * route can answer 503. Workers keep bullModules' connection, which waits for Redis to return.
 */
export function producerQueueOptions(redisUrl: string): Pick<QueueOptions, 'connection'> {
  return { connection: redisOptions(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 }) as BullRedisOptions };
}
