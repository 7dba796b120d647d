import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AuthenticatedRequest } from '../auth/principal';
import { EntitlementsService } from './entitlements.service';

/** Counts every authenticated request against its workspace's api_calls (one Redis HINCRBY, not awaited). */
@Injectable()
export class ApiCallMeterInterceptor implements NestInterceptor {
  constructor(private readonly entitlements: EntitlementsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    const workspaceId = principal?.workspace?.id ?? principal?.boundWorkspaceId;
    if (workspaceId) this.entitlements.meterApiCall(workspaceId);
    return next.handle();
  }
}
