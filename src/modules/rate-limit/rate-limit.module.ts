import { Module } from '@nestjs/common';
import Redis from 'ioredis';
import { GcraLimiter, REDIS } from '@tessera/queue';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { FailedAuthLimiter } from './failed-auth.limiter';
import { RateLimitGuard } from './rate-limit.guard';

@Module({
  // The guard counts the API calls its script did not (a route off the tier bucket, limits off).
  imports: [EntitlementsModule],
  providers: [{ provide: GcraLimiter, inject: [REDIS], useFactory: (redis: Redis) => new GcraLimiter(redis) }, RateLimitGuard, FailedAuthLimiter],
  exports: [GcraLimiter, RateLimitGuard, FailedAuthLimiter],
})
export class RateLimitModule {}
