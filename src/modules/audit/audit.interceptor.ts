import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, Observable, tap, throwError } from 'rxjs';
import { clientIp, header, RequestLike } from '@tessera/common';
import { AuthenticatedRequest } from '../auth/principal';
import { AUDITED_METADATA, AuditedOptions } from './audited.decorator';
import { AuditEvent, AuditService } from './audit.service';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type AuditedRequest = RequestLike & AuthenticatedRequest & { params?: Record<string, string>; body?: unknown; route?: { path?: string }; routeOptions?: { url?: string } };

function idOf(value: unknown): string | null {
  if (value && typeof value === 'object') {
    const v = value as { id?: unknown; user?: { id?: unknown }; user_id?: unknown };
    if (typeof v.id === 'string') return v.id;
    if (typeof v.user_id === 'string') return v.user_id;
    if (typeof v.user?.id === 'string') return v.user.id;
  }
  return null;
}

/** Whether the interceptor records a route's requests: not @NotAudited, nor audited by its service. */
export function auditedPerRequest(options: AuditedOptions | false | undefined): options is AuditedOptions | undefined {
  return options !== false && !options?.byService;
}

/** Records every successful mutating request, and the failures a route asks for, in the audit log. */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AuditedRequest>();
    if (context.getType() !== 'http' || !MUTATING.has(req.method)) return next.handle();
    const options = this.reflector.get<AuditedOptions | false | undefined>(AUDITED_METADATA, context.getHandler());
    if (!auditedPerRequest(options)) return next.handle();
    const action = options?.action ?? `${req.method.toLowerCase()} ${context.getClass().name.replace(/Controller$/, '')}.${context.getHandler().name}`;
    return next.handle().pipe(
      tap((result) => this.audit.record(this.event(req, action, options?.targetType ?? null, result))),
      catchError((err: unknown) => {
        if (options?.onFailure) this.audit.record(this.event(req, options.onFailure, options.targetType, null));
        return throwError(() => err);
      }),
    );
  }

  private event(req: AuditedRequest, action: string, targetType: string | null, result: unknown): AuditEvent {
    const principal = req.principal;
    const params = req.params ?? {};
    const resultId = idOf(result);
    const bodyEmail = typeof (req.body as { email?: unknown })?.email === 'string' ? (req.body as { email: string }).email : undefined;
    return {
      workspaceId: principal?.workspace?.id ?? (typeof params.id === 'string' && params.id.startsWith('ws_') ? params.id : null),
      actorType: principal?.kind ?? (resultId?.startsWith('usr_') ? 'user' : 'anonymous'),
      actorId: principal?.kind === 'api_key' ? principal.credentialId : (principal?.userId ?? (resultId?.startsWith('usr_') ? resultId : null)),
      action,
      targetType,
      targetId: params.user_id ?? params.id ?? resultId,
      ip: clientIp(req as RequestLike & { socket?: { remoteAddress?: string } }),
      userAgent: header(req, 'user-agent') ?? null,
      requestId: req.id ?? null,
      metadata: bodyEmail && !principal ? { email: bodyEmail } : {},
    };
  }
}
