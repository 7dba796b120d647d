import { HttpException } from '@nestjs/common';

export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  TENANT_CONTEXT_MISSING: 'TENANT_CONTEXT_MISSING',
  CANNOT_RETRY: 'CANNOT_RETRY',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  MFA_REQUIRED: 'MFA_REQUIRED',
  FEATURE_LIMIT_REACHED: 'FEATURE_LIMIT_REACHED',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  IDEMPOTENCY_IN_PROGRESS: 'IDEMPOTENCY_IN_PROGRESS',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  REQUEST_HEADER_FIELDS_TOO_LARGE: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  VALIDATION_ERROR: 'VALIDATION_ERROR',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  BAD_GATEWAY: 'BAD_GATEWAY',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  GATEWAY_TIMEOUT: 'GATEWAY_TIMEOUT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Field → messages, the shape of `meta.errors`. */
export type FieldErrors = Record<string, string[]>;

/**
 * The one error type domain code throws. The exception filter renders it as the contract's
 * envelope: `status`, `code`, `message`, and `meta` merged into the response's meta.
 */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: ErrorCode,
    message: string,
    readonly meta: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message, status);
  }

  static badRequest(message: string, errors?: FieldErrors): ApiError {
    return new ApiError(400, ErrorCode.BAD_REQUEST, message, errors ? { errors } : {});
  }
  static unauthorized(message = 'Authentication required: the credential is missing, malformed, expired or revoked.'): ApiError {
    return new ApiError(401, ErrorCode.UNAUTHORIZED, message);
  }
  static forbidden(message: string, requiredScopes?: string[]): ApiError {
    return new ApiError(403, ErrorCode.FORBIDDEN, message, requiredScopes ? { required_scopes: requiredScopes } : {});
  }
  static notFound(what = 'Resource'): ApiError {
    return new ApiError(404, ErrorCode.NOT_FOUND, `${what} not found.`);
  }
  static conflict(message: string, errors?: FieldErrors): ApiError {
    return new ApiError(409, ErrorCode.CONFLICT, message, errors ? { errors } : {});
  }
  static validation(errors: FieldErrors, message = 'The request body is invalid.'): ApiError {
    return new ApiError(422, ErrorCode.VALIDATION_ERROR, message, { errors });
  }
}
