import { CallHandler, ExecutionContext, INestApplication, Injectable, NestInterceptor, RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, ROUTE_ARGS_METADATA, SSE_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { EnvelopeInterceptor, OWN_PROTOCOL_METADATA, RequestLike, routeStatus } from '@tessera/common';
import { Observable } from 'rxjs';
import { AuditInterceptor, auditedPerRequest } from './modules/audit/audit.interceptor';
import { AUDITED_METADATA, AuditedOptions } from './modules/audit/audited.decorator';
import { PUBLIC_METADATA } from './modules/auth/authenticated.decorator';
import { IdempotencyInterceptor } from './modules/idempotency/idempotency.interceptor';

/** The methods whose routes write: kept for replay (Idempotency-Key) and written to the audit log. */
const WRITES = new Set<RequestMethod>([RequestMethod.POST, RequestMethod.PUT, RequestMethod.PATCH, RequestMethod.DELETE, RequestMethod.ALL]);

/**
 * What a write goes through, outermost first: idempotency (keeps and replays the final envelope),
 * the envelope (around what the audit interceptor saw as the handler's result), audit.
 */
@Injectable()
export class RequestPipelineInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyInterceptor,
    private readonly envelope: EnvelopeInterceptor,
    private readonly audit: AuditInterceptor,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const audited: CallHandler = { handle: () => this.audit.intercept(context, next) };
    const enveloped: CallHandler = { handle: () => this.envelope.intercept(context, audited) };
    return this.idempotency.intercept(context, enveloped);
  }
}

type Handler = (...args: unknown[]) => unknown;

/**
 * Wires what every route's answer goes through, once per app, before its routes are registered
 * (before `app.init()`). There is no global interceptor: in Nest an interceptor, even one that only
 * maps the result, costs every request an observable chain, an async resource per layer, a subject
 * for the handler's result and a watch for the client leaving.
 * - A write (POST, PUT, PATCH, DELETE) gets RequestPipelineInterceptor as its first interceptor,
 *   unless that would have nothing to do but the envelope: a public route (no credential, so no
 *   Idempotency-Key owner) that the audit log does not record per request (the pixel's track).
 * - A read (GET, HEAD, OPTIONS), and such a write, returns its result in the envelope, as the envelope interceptor
 *   would (the same `answer`), from a wrapper around its handler that asks Nest for the request
 *   as one more argument after the handler's own.
 * - A route that speaks its own protocol (@OwnProtocol), or streams server-sent events, is left as it is.
 * The wrappers are the app's own controller instances' methods (Nest routes to the instance's
 * method and reads the route from the prototype's): another app in the same process (the tests
 * run several) has its own. They carry the handler's name and metadata (guards, scopes, limits),
 * so that nothing else sees a change. The API-call meter is not here: the rate-limit guard counts
 * every call that passes it.
 */
export function wireRequestPipeline(app: INestApplication): void {
  const reflector = app.get(Reflector);
  const envelope = app.get(EnvelopeInterceptor);
  const writes = app.get(RequestPipelineInterceptor);
  const scanner = new MetadataScanner();
  for (const module of app.get(ModulesContainer).values()) {
    for (const host of module.controllers.values()) {
      const { instance, metatype } = host;
      if (!instance || !metatype) continue;
      // A request-scoped controller is made anew per request, without these wrappers.
      if (!host.isDependencyTreeStatic()) throw new Error(`${metatype.name}: request-scoped controllers are not wired into the request pipeline`);
      const controller = instance as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(controller))) {
        const handler = Object.getPrototypeOf(controller)[name] as Handler;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined || Object.hasOwn(controller, name)) continue;
        if (reflector.get(OWN_PROTOCOL_METADATA, handler) || Reflect.getMetadata(SSE_METADATA, handler)) continue;
        const audited = auditedPerRequest(reflector.get<AuditedOptions | false | undefined>(AUDITED_METADATA, handler));
        let wrapper: Handler;
        if (WRITES.has(method) && (audited || !isPublic(reflector, handler, metatype as object))) {
          wrapper = renamed(name, function (this: unknown, ...args: unknown[]) {
            return handler.apply(this, args);
          });
          copyMetadata(handler, wrapper);
          Reflect.defineMetadata(INTERCEPTORS_METADATA, [writes, ...((Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[]) ?? [])], wrapper);
        } else {
          const status = routeStatus(reflector, handler, RequestMethod[method]);
          const message = envelope.messageOf(handler, status);
          const at = requestArgument(metatype as object, name);
          wrapper = renamed(name, async function (this: unknown, ...args: unknown[]) {
            return envelope.answer(args[at] as RequestLike, status, message, await handler.apply(this, args));
          });
          copyMetadata(handler, wrapper);
        }
        controller[name] = wrapper;
      }
    }
  }
}

function isPublic(reflector: Reflector, handler: Handler, controller: object): boolean {
  return reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, [handler, controller as Function]) === true;
}

/** Where a read's wrapper finds the request among the handler's arguments: after its own (set once per class and method). */
function requestArgument(controller: object, name: string): number {
  const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, { index: number }>;
  const own = params[REQUEST_ARGUMENT];
  if (own) return own.index;
  const at = Object.values(params).reduce((n, p) => Math.max(n, p.index + 1), 0);
  Reflect.defineMetadata(ROUTE_ARGS_METADATA, { ...params, [REQUEST_ARGUMENT]: { index: at, data: undefined, pipes: [] } }, controller, name);
  return at;
}

/** The key of the wrapper's request argument in Nest's route-arguments metadata (`type:index` form, type REQUEST). */
const REQUEST_ARGUMENT = `${RouteParamtypes.REQUEST}:pipeline`;

function renamed(name: string, fn: Handler): Handler {
  return Object.defineProperty(fn, 'name', { value: name });
}

function copyMetadata(from: Handler, to: Handler): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
}
