import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Logger } from '@nestjs/common';
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

/**
 * Logs a producer queue's connection errors, at most once every 10 s per queue. Without a
 * listener each reconnection attempt during a Redis outage is an "unhandled error event".
 */
export function logQueueErrors(queue: { name: string; on(event: 'error', listener: (err: Error) => void): unknown }, logger: Logger = new Logger('Queue')): void {
  let last = 0;
  queue.on('error', (err: Error) => {
    if (Date.now() - last > 10_000) logger.warn({ queue: queue.name, err: err.message }, 'Redis connection error on a producer queue (retrying)');
    last = Date.now();
  });
}
