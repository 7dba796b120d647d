import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiError, ErrorCode } from './errors';
import { RequestLike } from './http';
import { assignRequestId } from './request-id';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.BAD_REQUEST,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  422: ErrorCode.VALIDATION_ERROR,
  429: ErrorCode.RATE_LIMITED,
  503: ErrorCode.SERVICE_UNAVAILABLE,
};

interface Rendered {
  status: number;
  code: string;
  message: string;
  meta: Record<string, unknown>;
  headers: Record<string, string>;
}

/** PostgreSQL's "Key (email)=(a@b.c) already exists." → { email: ['has already been taken'] }. */
function uniqueViolationErrors(detail: unknown): Record<string, string[]> | undefined {
  const m = typeof detail === 'string' ? /^Key \(([^)]+)\)=/.exec(detail) : null;
  if (!m) return undefined;
  const fields = m[1].split(',').map((f) => f.trim()).filter((f) => f !== 'workspace_id');
  return Object.fromEntries((fields.length ? fields : ['id']).map((f) => [f, ['has already been taken']]));
}

/**
 * PostgreSQL errors that mean "saturated, try again shortly", not "your request is wrong": the
 * statement, lock and idle-in-transaction timeouts, deadlocks and serialisation failures, too
 * many connections, a server shutting down.
 */
const TRANSIENT_PG_CODES = new Set(['57014', '55P03', '25P03', '40P01', '40001', '53300', '57P01', '57P03']);
const RETRY_AFTER_SECONDS = 2;

/** Whether an error says the database is saturated or unreachable rather than that the request is bad. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; driverError?: { code?: unknown; message?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  if (typeof code === 'string' && (TRANSIENT_PG_CODES.has(code) || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT')) return true;
  const message = String(e?.driverError?.message ?? e?.message ?? '');
  // node-postgres's pool acquire timeout, and a connection that died under a query.
  return /timeout exceeded when trying to connect|Connection terminated/i.test(message);
}

/**
 * A connection reset while the client's own socket is gone is the client leaving mid-body (Fastify
 * reports it so), not the database: a 4xx that no one reads, and no error in the log.
 */
function clientWentAway(err: unknown, req: RequestLike & { raw?: RequestLike }): Rendered | undefined {
  const socket = ((req.raw ?? req) as { socket?: { destroyed?: boolean } | null }).socket;
  if ((err as { code?: unknown } | null)?.code !== 'ECONNRESET' || !socket?.destroyed) return undefined;
  return { status: 400, code: ErrorCode.BAD_REQUEST, message: 'The client closed the connection before the end of the body.', meta: {}, headers: {} };
}

/** A stored answer to send again as it was (an idempotent replay): status, body and headers. */
export class ReplayedResponse extends HttpException {
  constructor(
    readonly replayStatus: number,
    readonly replayBody: unknown,
    readonly replayHeaders: Record<string, string>,
  ) {
    super('replay', replayStatus);
  }
}

/**
 * What of an unhandled error reaches the log: its kind, message, code and stack, never the rest of
 * its fields (a driver's error carries the statement's parameters: e-mails, tokens, bodies).
 */
function loggableError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err, message: String(err) };
  const code = (err as { code?: unknown; driverError?: { code?: unknown } }).code ?? (err as { driverError?: { code?: unknown } }).driverError?.code;
  return { type: err.name, message: err.message, ...(code !== undefined && { code: String(code) }), stack: err.stack };
}

/**
 * The one place a failure becomes an HTTP answer: every error, whoever threw it (our code, Nest,
 * the HTTP platform's body parser, the database driver), leaves in the contract's envelope.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<RequestLike & { raw?: RequestLike }>();
    const res = ctx.getResponse();
    if (exception instanceof ReplayedResponse) {
      for (const [name, value] of Object.entries(exception.replayHeaders)) httpAdapter.setHeader(res, name, value);
      httpAdapter.reply(res, exception.replayBody ?? undefined, exception.replayStatus);
      return;
    }
    const { status, body, headers } = this.answer(exception, req);
    for (const [name, value] of Object.entries(headers)) httpAdapter.setHeader(res, name, value);
    httpAdapter.reply(res, body, status);
  }

  /** The status, envelope and headers an exception is answered with. */
  answer(exception: unknown, req: RequestLike & { raw?: RequestLike }): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
    const { httpAdapter } = this.adapterHost;
    const requestId = req.id ?? assignRequestId((req.raw ?? req) as never);
    const r = clientWentAway(exception, req) ?? this.render(exception, httpAdapter.getRequestMethod(req), httpAdapter.getRequestUrl(req));

    if (r.status >= 500) {
      this.logger.error({ err: loggableError(exception), request_id: requestId }, `${r.code}: unhandled error`);
    }
    return {
      status: r.status,
      headers: r.headers,
      body: {
        success: false,
        status: r.status,
        code: r.code,
        message: r.message,
        data: null,
        meta: { request_id: requestId, timestamp: new Date().toISOString(), ...r.meta },
      },
    };
  }

  private render(exception: unknown, method: string, url: string): Rendered {
    if (exception instanceof ApiError) {
      return { status: exception.getStatus(), code: exception.code, message: exception.message, meta: exception.meta, headers: exception.headers };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (status === 404 && /^Cannot /.test(exception.message)) {
        return this.client(404, `No route ${method} ${url.split('?')[0]}.`);
      }
      if (status === 503 && typeof response === 'object' && response !== null) {
        const { status: _s, ...checks } = response as Record<string, unknown>;
        return { status, code: ErrorCode.SERVICE_UNAVAILABLE, message: 'A dependency is unavailable.', meta: checks, headers: {} };
      }
      if (status < 500) return this.client(status, this.messageOf(response, exception.message));
      return this.internal();
    }
    if (isDatabaseUnavailable(exception)) {
      return {
        status: 503,
        code: ErrorCode.SERVICE_UNAVAILABLE,
        message: 'The database is saturated or unavailable; retry shortly.',
        meta: { retry_after: RETRY_AFTER_SECONDS },
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      };
    }
    const driverError = exception as { code?: unknown; detail?: unknown; driverError?: { code?: unknown; detail?: unknown } };
    const pg = driverError?.driverError ?? driverError;
    if (pg?.code === '23505') {
      return { status: 409, code: ErrorCode.CONFLICT, message: 'A unique field is already taken.', meta: { errors: uniqueViolationErrors(pg.detail) ?? {} }, headers: {} };
    }
    // Text PostgreSQL cannot store (a NUL character, an invalid byte sequence) that got past the
    // validation pipe and apiHeadersProblem: the request is wrong, not the server.
    if (pg?.code === '22021' || pg?.code === '22P05') return this.client(400, 'The request contains characters that cannot be stored.');
    // Errors the HTTP platforms raise before any handler runs (body parsers: malformed JSON, body
    // too large, wrong content type) carry their own 4xx status.
    const raw = exception as { status?: unknown; statusCode?: unknown; type?: unknown; code?: unknown };
    const status = typeof raw?.statusCode === 'number' ? raw.statusCode : typeof raw?.status === 'number' ? raw.status : undefined;
    if (status !== undefined && status >= 400 && status < 500) {
      if (status === 400) return this.client(400, 'The request body is not valid JSON.');
      if (status === 413) return this.client(413, 'The request body is larger than the 1 MB limit.');
      if (status === 415) return this.client(415, 'Send the request body as application/json.');
      return this.client(status, 'The request could not be processed.');
    }
    return this.internal();
  }

  private client(status: number, message: string): Rendered {
    return { status, code: CODE_BY_STATUS[status] ?? ErrorCode.BAD_REQUEST, message, meta: {}, headers: {} };
  }

  private internal(): Rendered {
    return { status: 500, code: ErrorCode.INTERNAL_ERROR, message: 'An unexpected error occurred. Quote the request id when reporting it.', meta: {}, headers: {} };
  }

  private messageOf(response: unknown, fallback: string): string {
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const m = (response as { message: unknown }).message;
      if (typeof m === 'string') return m;
      if (Array.isArray(m)) return m.join('; ');
    }
    return fallback;
  }
}
