import type { LoggerService } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import pino, { type DestinationStream, type Level, type Logger as Pino } from 'pino';
import { assignRequestId, loggedPrincipal } from './request-id';

/** The id of the request being served, for every line written while it is. */
const requestContext = new AsyncLocalStorage<string>();

/** Runs the rest of a request's handling with its id on every log line it writes. */
export function inRequestContext(requestId: string, next: () => void): void {
  requestContext.run(requestId, next);
}

/** The request that is never logged: load balancers probe it every few seconds. */
const UNLOGGED_PATH = '/api/v1/health';

/**
 * Query parameters that carry a credential: the magic link's token, the SSO callback's code and
 * state, OpenID Connect's id_token_hint, a client's secret or key. Their values never reach a log line.
 */
const SECRET_QUERY_PARAM = /token|code|state|secret|password|key|hint|signature|assertion/i;

/** The request target as logged: every value of a parameter named like a credential is `[Redacted]`. */
export function loggedUrl(url: string | undefined): string | undefined {
  const queryAt = url?.indexOf('?') ?? -1;
  if (queryAt === -1) return url;
  const query = url!.slice(queryAt + 1).replace(/(^|&)([^&=]*)=[^&]*/g, (pair, sep: string, name: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // an undecodable name is judged as it stands
    }
    return SECRET_QUERY_PARAM.test(decoded) ? `${sep}${name}=[Redacted]` : pair;
  });
  return `${url!.slice(0, queryAt)}?${query}`;
}

/**
 * The process's logger: JSON lines through pino, and Nest's LoggerService on top of it (every
 * `new Logger(Context)` of the app writes here). Lines written while a request is served carry its
 * `request_id`. Never headers (credentials) nor bodies: what is logged is what the code names, and
 * fields named like secrets are redacted anyway.
 */
export class AppLogger implements LoggerService {
  readonly pino: Pino;
  private readonly logsRequests: boolean;

  /** `destination`: standard output unless given (the specs read the lines back). */
  constructor(level: Level | 'silent', destination?: DestinationStream) {
    const options = { level, redact: ['password', 'token', 'refresh_token', 'access_token', '*.password', '*.token'] };
    this.pino = destination ? pino(options, destination) : pino(options);
    this.logsRequests = this.pino.isLevelEnabled('info');
  }

  /**
   * One line when the response is done (`request completed`, or `request aborted` when the client
   * left first): method, url, status, duration, request id and who called. Nothing else is
   * copied from the request, and no per-request logger is made: at a level that would not write
   * the line, this costs nothing.
   */
  logRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!this.logsRequests || req.url === UNLOGGED_PATH) return;
    const started = performance.now();
    // As received (routers and mounts rewrite req.url on the way), without the credentials a query may carry.
    const { method } = req;
    const url = loggedUrl(req.url);
    res.once('close', () => {
      const line = {
        request_id: assignRequestId(req),
        method,
        url,
        status: res.statusCode,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        principal_id: loggedPrincipal(req) ?? null,
      };
      if (!res.writableFinished) this.pino.warn(line, 'request aborted');
      else if (res.statusCode >= 500) this.pino.error(line, 'request failed');
      else this.pino.info(line, 'request completed');
    });
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /**
   * Nest's calling conventions: the context is the last parameter (a `new Logger(Context)` adds
   * it); an object or Error first is the line's fields, the next string its message; Nest's own
   * exception handlers call error(message, stack).
   */
  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const requestId = requestContext.getStore();
    if (requestId) fields.request_id = requestId;
    const rest = params.length ? params.slice(0, -1) : params;
    if (params.length) fields.context = params[params.length - 1];
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, ...(rest as []));
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(fields, message);
      this.pino[level](fields, ...(rest as []));
    } else if (level === 'error' && rest.length === 1 && typeof rest[0] === 'string' && /\n\s*at /.test(rest[0])) {
      fields.err = Object.assign(new Error(String(message)), { stack: rest[0] });
      this.pino[level](fields);
    } else {
      this.pino[level](fields, String(message), ...(rest as []));
    }
  }
}
