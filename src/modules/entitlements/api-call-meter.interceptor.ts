import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AuthenticatedRequest } from '../auth/principal';
import { isApiCallMetered, meteredWorkspaceOf } from './api-call-meter';
import { EntitlementsService } from './entitlements.service';

/**
 * Counts every authenticated request against its workspace's api_calls (one Redis HINCRBY, not
 * awaited), unless the rate limiter already counted it in its own script (the usual case).
 */
@Injectable()
export class ApiCallMeterInterceptor implements NestInterceptor {
  constructor(private readonly entitlements: EntitlementsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (isApiCallMetered(req)) return next.handle();
    const workspaceId = meteredWorkspaceOf(req);
    if (workspaceId) this.entitlements.meterApiCall(workspaceId);
    return next.handle();
  }
}
