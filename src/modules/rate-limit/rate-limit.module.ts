import { ExecutionContext, Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import Redis from 'ioredis';
import { clientIp, RequestLike } from '@tessera/common';
import { GcraThrottlerStorage, REDIS } from '@tessera/queue';
import { AuthenticatedRequest } from '../auth/principal';
import { FailedAuthLimiter } from './failed-auth.limiter';
import { RateLimitGuard } from './rate-limit.guard';
import { ROUTE_LIMIT_METADATA, RouteLimit } from './route-limit.decorator';
import { capacityOf } from './tiers';

type Req = RequestLike & AuthenticatedRequest & { body?: { email?: unknown } };

const reflector = new Reflector();
const routeLimit = (ctx: ExecutionContext) => reflector.get<RouteLimit | undefined>(ROUTE_LIMIT_METADATA, ctx.getHandler());

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [REDIS],
      useFactory: (redis: Redis) => ({
        storage: new GcraThrottlerStorage(redis),
        setHeaders: false,
        throttlers: [
          {
            // The caller's tier: its requests per minute plus burst.
            name: 'default',
            ttl: 60_000,
            limit: (ctx: ExecutionContext) => {
              const p = ctx.switchToHttp().getRequest<Req>().principal;
              return capacityOf(p?.rateLimitTier ?? p?.workspace?.tier ?? 'free');
            },
          },
          {
            // A route's own limit (login, password forgot, pixel), where it has one.
            name: 'route',
            skipIf: (ctx: ExecutionContext) => !routeLimit(ctx),
            ttl: (ctx: ExecutionContext) => (routeLimit(ctx)?.windowSeconds ?? 60) * 1000,
            limit: (ctx: ExecutionContext) => routeLimit(ctx)?.limit ?? 1,
            getTracker: (req: Record<string, unknown>, ctx: ExecutionContext) => {
              const r = req as unknown as Req;
              const email = routeLimit(ctx)?.by === 'ip+email' && typeof r.body?.email === 'string' ? `:${r.body.email.trim().toLowerCase()}` : '';
              return `${ctx.getClass().name}.${ctx.getHandler().name}:${clientIp(r)}${email}`;
            },
          },
        ],
      }),
    }),
  ],
  providers: [RateLimitGuard, FailedAuthLimiter],
  exports: [RateLimitGuard, FailedAuthLimiter],
})
export class RateLimitModule {}
