import type { IncomingMessage, ServerResponse } from 'node:http';
import { newId } from './ids';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's own X-Request-ID when it is sane (what the request id then is), else undefined. */
export function callerRequestId(headers: Record<string, string | string[] | undefined>): string | undefined {
  const given = headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : undefined;
}

/**
 * The request's id: the caller's X-Request-ID when it is sane, else a new `req_…`. Memoised on the
 * raw request so that every layer (the HTTP platform, the logger, the envelope) sees one value.
 */
export function assignRequestId(req: IncomingMessage & { id?: unknown }, res?: ServerResponse): string {
  if (typeof req.id !== 'string') {
    req.id = callerRequestId(req.headers) ?? newId('req');
  }
  const id = req.id as string;
  if (res && !res.headersSent && !res.hasHeader('X-Request-ID')) res.setHeader('X-Request-ID', id);
  return id;
}

const LOGGED_PRINCIPAL = Symbol('loggedPrincipal');
type WithLoggedPrincipal = { [LOGGED_PRINCIPAL]?: string; raw?: object };

/**
 * Records who is calling on Node's own request object (Fastify's request wraps it as `raw`), where
 * the request log line, written when the response finishes, reads it.
 */
export function notePrincipalForLog(req: object, principalId: string): void {
  const target = ((req as WithLoggedPrincipal).raw ?? req) as WithLoggedPrincipal;
  target[LOGGED_PRINCIPAL] = principalId;
}

export function loggedPrincipal(rawReq: object): string | undefined {
  return (rawReq as WithLoggedPrincipal)[LOGGED_PRINCIPAL];
}
