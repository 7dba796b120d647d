import { Global, Inject, Injectable, Module, OnApplicationShutdown, DynamicModule } from '@nestjs/common';
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
          useFactory: () =>
            new Redis(redisOptions(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: 2000, lazyConnect: false })),
        },
        RedisCloser,
        CredentialCache,
      ],
      exports: [REDIS, CredentialCache],
    };
  }
}
