import { ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerGuard, ThrottlerRequest } from '@nestjs/throttler';
import { ApiError, clientIp, ErrorCode, RequestLike } from '@tessera/common';
import { GcraThrottlerStorage } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { AuthenticatedRequest } from '../auth/principal';
import { apiCallCounter, markApiCallMetered } from '../entitlements/api-call-meter';
import { failOpen } from './fail-open';

type LimitedRequest = RequestLike & AuthenticatedRequest;

/** The bucket a request counts against: the API key, else the user, else the client address. */
export function bucketOf(req: LimitedRequest): string {
  const p = req.principal;
  if (p?.kind === 'api_key') return `key:${p.credentialId}`;
  if (p?.userId) return `user:${p.userId}`;
  return `ip:${clientIp(req)}`;
}

/**
 * @nestjs/throttler's guard with GCRA storage in Redis. It runs after the AuthGuard so the tier
 * and the bucket are known; it answers in the contract's envelope and headers, and if Redis does
 * not answer it lets the request through (fail open), logs it and counts it.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly log = new Logger(RateLimitGuard.name);

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return bucketOf(req as unknown as LimitedRequest);
  }

  protected override async handleRequest({ context, limit, ttl, throttler, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    const isTier = throttler.name === 'default';
    const tracker = await getTracker(req, context);
    // The tier bucket is the caller's alone, shared by every route (API.md); generateKey would add
    // the route and give each route a bucket of its own. Route limits keep theirs.
    const key = isTier ? `tier:${tracker}` : generateKey(context, tracker, throttler.name ?? 'route');
    // The tier check also meters the API call, in the same Lua script: one Redis round trip.
    const meter = isTier ? apiCallCounter(req as unknown as LimitedRequest) : undefined;
    const result = await failOpen((this.storageService as GcraThrottlerStorage).check(key, limit, ttl, meter), this.log);
    if (!result) return true;
    if (meter) markApiCallMetered(req as unknown as LimitedRequest);
    const resetAt = Math.ceil((Date.now() + result.resetMs) / 1000);
    const window = Math.round(ttl / 1000);
    if (isTier) {
      this.setResponseHeader(res, 'X-RateLimit-Limit', limit);
      this.setResponseHeader(res, 'X-RateLimit-Remaining', result.remaining);
      this.setResponseHeader(res, 'X-RateLimit-Reset', resetAt);
      this.setResponseHeader(res, 'RateLimit-Policy', `${limit};w=${window}`);
      this.setResponseHeader(res, 'RateLimit', `limit=${limit}, remaining=${result.remaining}, reset=${Math.ceil(result.resetMs / 1000)}`);
      // The earlier IETF draft's separate fields, which clients of seed 001 read; reset is in seconds.
      this.setResponseHeader(res, 'RateLimit-Limit', limit);
      this.setResponseHeader(res, 'RateLimit-Remaining', result.remaining);
      this.setResponseHeader(res, 'RateLimit-Reset', Math.ceil(result.resetMs / 1000));
    }
    if (!result.allowed) {
      const retryAfter = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      throw new ApiError(
        429,
        ErrorCode.RATE_LIMITED,
        isTier ? `Rate limit of ${limit} requests per ${window} s reached; retry in ${retryAfter} s.` : `This route allows ${limit} requests per ${window} s; retry in ${retryAfter} s.`,
        { retry_after: retryAfter, limit, remaining: 0, reset_at: new Date(resetAt * 1000).toISOString() },
        { 'Retry-After': String(retryAfter) },
      );
    }
    return true;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return !this.config.rateLimitEnabled || context.getType() !== 'http';
  }
}
