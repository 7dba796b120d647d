import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EnvelopeInterceptor, OWN_PROTOCOL_METADATA } from '@tessera/common';
import { Observable } from 'rxjs';
import { AuditInterceptor } from './modules/audit/audit.interceptor';
import { ApiCallMeterInterceptor } from './modules/entitlements/api-call-meter.interceptor';
import { IdempotencyInterceptor } from './modules/idempotency/idempotency.interceptor';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The app's interceptors as one global interceptor, in the order they always ran (outermost
 * first): idempotency, envelope, audit, API-call meter. Registered one by one, each costs a layer
 * of Nest's interceptor chain on every request even when it only passes the call on; composed here,
 * a read (GET, HEAD) goes through the envelope and the meter only, and never enters the
 * idempotency or audit machinery. A route that speaks its own protocol (@OwnProtocol) is only metered.
 */
@Injectable()
export class RequestPipelineInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly idempotency: IdempotencyInterceptor,
    private readonly envelope: EnvelopeInterceptor,
    private readonly audit: AuditInterceptor,
    private readonly meter: ApiCallMeterInterceptor,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const metered: CallHandler = { handle: () => this.meter.intercept(context, next) };
    const method = context.getType() === 'http' ? context.switchToHttp().getRequest<{ method: string }>().method : '';
    if (!MUTATING.has(method)) return this.envelope.intercept(context, metered);
    if (this.reflector.get<boolean>(OWN_PROTOCOL_METADATA, context.getHandler())) return metered.handle();
    const audited: CallHandler = { handle: () => this.audit.intercept(context, metered) };
    const enveloped: CallHandler = { handle: () => this.envelope.intercept(context, audited) };
    return this.idempotency.intercept(context, enveloped);
  }
}
