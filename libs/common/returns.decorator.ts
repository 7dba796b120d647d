import { applyDecorators, HttpCode, SetMetadata, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorEnvelopeDto, LinksDto, ListMetaDto, MetaDto } from './envelope';

export const MESSAGE_METADATA = 'tessera:message';
export const OWN_PROTOCOL_METADATA = 'tessera:own-protocol';
const HTTP_CODE_METADATA = '__httpCode__';

/** The status a route answers with on success: its @HttpCode (set by @Returns), else Nest's default. */
export function routeStatus(reflector: Reflector, handler: Function, method: string): number {
  return reflector.get<number>(HTTP_CODE_METADATA, handler) ?? (method === 'POST' ? 201 : 200);
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'BAD_REQUEST: malformed JSON or a bad query parameter (meta.errors).',
  401: 'UNAUTHORIZED: missing, malformed, expired or revoked credential.',
  403: 'FORBIDDEN: the credential lacks a scope or the role a permission (meta.required_scopes), or a write made with the session cookie lacks its Origin or X-CSRF-Token; MFA_REQUIRED: the workspace requires multi-factor sign-in and this user has not turned TOTP on.',
  404: 'NOT_FOUND: missing, or in another workspace.',
  405: 'METHOD_NOT_ALLOWED: the route does not offer this method (Allow header).',
  409: 'CONFLICT: a unique field is taken, or the state does not allow it (meta.errors).',
  413: 'PAYLOAD_TOO_LARGE: the body is over 1 MB.',
  422: 'VALIDATION_ERROR: the body fails validation (meta.errors, per field).',
  429: 'RATE_LIMITED: over a limit (meta.retry_after; Retry-After header).',
  502: 'BAD_GATEWAY: a remote server this call reaches failed or answered wrongly (meta.remote).',
  503: 'SERVICE_UNAVAILABLE: a dependency is down.',
  504: 'GATEWAY_TIMEOUT: a remote server this call reaches did not answer in time (meta.timeout_ms).',
};

/** Documents error answers of a route in the error envelope. */
export function ApiErrors(...statuses: number[]): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorEnvelopeDto),
    ...statuses.map((status) =>
      ApiResponse({ status, description: ERROR_DESCRIPTIONS[status] ?? 'Error.', schema: { $ref: getSchemaPath(ErrorEnvelopeDto) } }),
    ),
  );
}

export interface ReturnsOptions {
  status?: 200 | 201 | 202 | 204;
  /** The route returns a Page of `type`. */
  list?: boolean;
  /** The route returns a plain array of `type` (no pagination). */
  array?: boolean;
  /** Error statuses this route answers besides the ones its guard and body already document. */
  errors?: number[];
}

/**
 * One decorator for what a route answers: its HTTP status, the envelope's `message`, and the
 * OpenAPI response (the envelope around `type`, or around a list of it with pagination).
 */
export function Returns(type: Type | null, message: string, options: ReturnsOptions = {}): MethodDecorator {
  const status = options.status ?? 200;
  const decorators: Array<ClassDecorator | MethodDecorator | PropertyDecorator> = [SetMetadata(MESSAGE_METADATA, message)];
  if (options.status) decorators.push(HttpCode(status));
  if (status === 204) {
    decorators.push(ApiResponse({ status, description: message }));
  } else {
    const data = type
      ? options.list || options.array
        ? { type: 'array', items: { $ref: getSchemaPath(type) } }
        : { $ref: getSchemaPath(type) }
      : { type: 'object', nullable: true };
    const meta = options.list ? ListMetaDto : MetaDto;
    decorators.push(
      ApiExtraModels(...(type ? [type] : []), MetaDto, ListMetaDto, LinksDto),
      ApiResponse({
        status,
        description: message,
        schema: {
          type: 'object',
          required: ['success', 'status', 'code', 'message', 'data', 'meta'],
          properties: {
            success: { type: 'boolean', example: true },
            status: { type: 'integer', example: status },
            code: { type: 'string', example: status === 201 ? 'CREATED' : 'OK' },
            message: { type: 'string', example: message },
            data,
            meta: { $ref: getSchemaPath(meta) },
            ...(options.list ? { links: { $ref: getSchemaPath(LinksDto) } } : {}),
          },
        },
      }),
    );
  }
  if (options.errors?.length) decorators.push(ApiErrors(...options.errors));
  return applyDecorators(...(decorators as MethodDecorator[]));
}

/**
 * The route speaks another protocol on the wire and writes its own answers (MCP's JSON-RPC at
 * /mcp): they are not wrapped in the envelope, Idempotency-Key does not apply (the protocol
 * carries its own request ids, and a replayed answer would carry another request's) and the route
 * writes its own audit rows. Guards, rate limits, metering and the envelope of errors still apply.
 */
export function OwnProtocol(): MethodDecorator {
  return SetMetadata(OWN_PROTOCOL_METADATA, true);
}
