import { SetMetadata } from '@nestjs/common';

export const ROUTE_LIMIT_METADATA = 'tessera:route-limit';

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
