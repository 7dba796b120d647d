import { SetMetadata } from '@nestjs/common';

export const ROUTE_LIMIT_METADATA = 'tessera:route-limit';
export const SKIP_RATE_LIMIT_METADATA = 'tessera:skip-rate-limit';

export interface RouteLimit {
  limit: number;
  windowSeconds: number;
  /** What the bucket is: the client IP, or the IP and the e-mail in the body. */
  by: 'ip' | 'ip+email';
}

/** A limit of this route on top of the caller's tier limit (login, password forgot, pixel). */
export function RouteLimit(limit: RouteLimit): MethodDecorator {
  return SetMetadata(ROUTE_LIMIT_METADATA, limit);
}

/** Which limits a route or controller is not held to: the caller's tier bucket, the route's own limit, or both. */
export type RateLimitKind = 'tier' | 'route';

/** The route (or every route of the controller) is not counted against these limits. */
export function SkipRateLimit(...kinds: RateLimitKind[]): MethodDecorator & ClassDecorator {
  return SetMetadata(SKIP_RATE_LIMIT_METADATA, kinds);
}
