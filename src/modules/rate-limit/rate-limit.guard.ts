import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import { ApiError, clientIp, ErrorCode, RequestLike } from '@tessera/common';
import { GcraLimiter, GcraResult } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { AuthenticatedRequest } from '../auth/principal';
import { apiCallCounter, meteredWorkspaceOf } from '../entitlements/api-call-meter';
import { EntitlementsService } from '../entitlements/entitlements.service';
import { failOpen } from './fail-open';
import { RateLimitKind, ROUTE_LIMIT_METADATA, RouteLimit, SKIP_RATE_LIMIT_METADATA } from './route-limit.decorator';
import { capacityOf } from './tiers';

type LimitedRequest = RequestLike & AuthenticatedRequest & { body?: { email?: unknown } };
type HeaderTarget = { header?: (name: string, value: string) => unknown; setHeader?: (name: string, value: string) => unknown };

/** The bucket a request counts against: the API key, else the user, else the client address. */
export function bucketOf(req: LimitedRequest): string {
  const p = req.principal;
  if (p?.kind === 'api_key') return `key:${p.credentialId}`;
  if (p?.userId) return `user:${p.userId}`;
  return `ip:${clientIp(req)}`;
}

/** What a route is held to, read once per route from its decorators. */
interface RoutePlan {
  tier: boolean;
  /** The route's own limit and the bucket prefix it counts in (`Controller.handler`). */
  route?: RouteLimit & { name: string };
}

const TIER_WINDOW_MS = 60_000;

/**
 * The rate limit (API.md, "Rate limits"), after the AuthGuard so that the caller and its tier are
 * known: the caller's tier bucket, shared by every route (API key, else user, else address), which
 * also meters the API call in the same Redis script (one round trip); then the route's own limit
 * where it has one (login, password forgot, pixel), per address (and e-mail). GCRA in Redis, exact
 * across processes. Answers in the contract's envelope and headers; if Redis does not answer, lets
 * the request through (fail open), logs it and counts it. A call no tier script counted (a route
 * off the tier bucket, limits turned off, Redis not answering) is metered here too: every
 * authenticated call that passes the global guards counts against its workspace's api_calls.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly log = new Logger(RateLimitGuard.name);
  private readonly plans = new WeakMap<object, RoutePlan>();

  constructor(
    private readonly limiter: GcraLimiter,
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly entitlements: EntitlementsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const req = http.getRequest<LimitedRequest>();
    let metered = false;
    if (this.config.rateLimitEnabled) {
      const plan = this.planOf(context);
      if (plan.tier) metered = await this.checkTier(req, http.getResponse<HeaderTarget>());
      if (plan.route) await this.checkRoute(req, plan.route);
    }
    if (!metered) {
      const workspaceId = meteredWorkspaceOf(req);
      if (workspaceId) this.entitlements.meterApiCall(workspaceId);
    }
    return true;
  }

  private planOf(context: ExecutionContext): RoutePlan {
    const handler = context.getHandler();
    let plan = this.plans.get(handler);
    if (!plan) {
      const skipped = this.reflector.getAllAndOverride<RateLimitKind[] | undefined>(SKIP_RATE_LIMIT_METADATA, [handler, context.getClass()]) ?? [];
      const route = skipped.includes('route') ? undefined : this.reflector.get<RouteLimit | undefined>(ROUTE_LIMIT_METADATA, handler);
      plan = { tier: !skipped.includes('tier'), route: route && { ...route, name: `${context.getClass().name}.${handler.name}` } };
      this.plans.set(handler, plan);
    }
    return plan;
  }

  /** Checks the caller's tier bucket; true when its script also counted the API call. */
  private async checkTier(req: LimitedRequest, res: HeaderTarget): Promise<boolean> {
    const p = req.principal;
    const limit = capacityOf(p?.rateLimitTier ?? p?.workspace?.tier ?? 'free');
    const meter = apiCallCounter(req);
    const result = await failOpen(this.limiter.check(`tier:${bucketOf(req)}`, limit, TIER_WINDOW_MS, meter), this.log);
    if (!result) return false;
    const resetSeconds = Math.ceil(result.resetMs / 1000);
    const set = (name: string, value: string | number) => (res.header ? res.header(name, String(value)) : res.setHeader?.(name, String(value)));
    set('X-RateLimit-Limit', limit);
    set('X-RateLimit-Remaining', result.remaining);
    set('X-RateLimit-Reset', Math.ceil((Date.now() + result.resetMs) / 1000));
    set('RateLimit-Policy', `${limit};w=${TIER_WINDOW_MS / 1000}`);
    set('RateLimit', `limit=${limit}, remaining=${result.remaining}, reset=${resetSeconds}`);
    // The earlier IETF draft's separate fields, which clients of seed 001 read; reset is in seconds.
    set('RateLimit-Limit', limit);
    set('RateLimit-Remaining', result.remaining);
    set('RateLimit-Reset', resetSeconds);
    if (!result.allowed) throw this.limited(result, limit, TIER_WINDOW_MS, `Rate limit of ${limit} requests per ${TIER_WINDOW_MS / 1000} s reached`);
    return meter !== undefined;
  }

  private async checkRoute(req: LimitedRequest, route: RouteLimit & { name: string }): Promise<void> {
    // The e-mail comes from a body no pipe has validated yet: hashed, so that its size is not the key's.
    const email = route.by === 'ip+email' && typeof req.body?.email === 'string' ? `:${createHash('sha256').update(req.body.email.trim().toLowerCase()).digest('base64url')}` : '';
    const windowMs = route.windowSeconds * 1000;
    const result = await failOpen(this.limiter.check(`route:${route.name}:${clientIp(req)}${email}`, route.limit, windowMs), this.log);
    if (result && !result.allowed) throw this.limited(result, route.limit, windowMs, `This route allows ${route.limit} requests per ${route.windowSeconds} s`);
  }

  private limited(result: GcraResult, limit: number, windowMs: number, what: string): ApiError {
    const retryAfter = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    const resetAt = Math.ceil((Date.now() + result.resetMs) / 1000);
    return new ApiError(
      429,
      ErrorCode.RATE_LIMITED,
      `${what}; retry in ${retryAfter} s.`,
      { retry_after: retryAfter, limit, remaining: 0, reset_at: new Date(resetAt * 1000).toISOString() },
      { 'Retry-After': String(retryAfter) },
    );
  }
}
