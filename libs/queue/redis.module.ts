import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { CredentialCache } from './credential-cache';
import { redisOptions } from './redis';
import { REDIS } from './redis.tokens';

export { REDIS };

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** One shared ioredis client for the process (rate limits, idempotency, caches, pub/sub publish). */
@Global()
@Module({})
export class RedisModule {
  static forRoot(url: string): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        {
          provide: REDIS,
          useFactory: () => {
            // Auto-pipelining: the commands of concurrent requests issued in one event-loop tick
            // (a rate-limit script each, mostly) leave in one socket write instead of one each.
            const redis = new Redis(redisOptions(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: 2000, lazyConnect: false, enableAutoPipelining: true }));
            // ioredis reconnects by itself; without a listener each failed attempt is an "unhandled error".
            const logger = new Logger('Redis');
            let last = 0;
            redis.on('error', (err: Error) => {
              if (Date.now() - last > 10_000) logger.warn({ err: err.message }, 'Redis connection error (retrying)');
              last = Date.now();
            });
            return redis;
          },
        },
        RedisCloser,
        CredentialCache,
      ],
      exports: [REDIS, CredentialCache],
    };
  }
}
