import { Module } from '@nestjs/common';
import Redis from 'ioredis';
import { GcraLimiter, REDIS } from '@tessera/queue';
import { FailedAuthLimiter } from './failed-auth.limiter';
import { RateLimitGuard } from './rate-limit.guard';

@Module({
  providers: [{ provide: GcraLimiter, inject: [REDIS], useFactory: (redis: Redis) => new GcraLimiter(redis) }, RateLimitGuard, FailedAuthLimiter],
  exports: [GcraLimiter, RateLimitGuard, FailedAuthLimiter],
})
export class RateLimitModule {}
