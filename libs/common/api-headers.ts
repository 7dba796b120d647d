import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors';
import { hasUsableBaseUrl, RequestLike } from './http';
import { assignRequestId } from './request-id';

export const API_VERSION = '1';

/**
 * What every request is checked for before routing, on both HTTP platforms (only Node's own
 * request and response are used; the bootstrap calls it first): gives the request its id, answers
 * X-Api-Version (only "1" exists; another value is a 400), refuses a Host that makes no URL
 * (400: links and origins are built from it), and refuses a NUL character (%00) in the
 * URL before any guard or handler reads a path parameter or query value: PostgreSQL refuses NUL in
 * text. In the path it names nothing (404), in the query it is a bad parameter (400). Returns the
 * error to answer with, if any.
 */
export function apiHeadersProblem(req: IncomingMessage & { id?: unknown }, res: ServerResponse): ApiError | undefined {
  assignRequestId(req, res);
  res.setHeader('X-Api-Version', API_VERSION);
  const asked = req.headers['x-api-version'];
  if (asked !== undefined && asked !== API_VERSION) {
    return ApiError.badRequest(`Unsupported X-Api-Version "${String(asked)}": only "${API_VERSION}" exists.`, { 'X-Api-Version': [`must be ${API_VERSION}`] });
  }
  if (!hasUsableBaseUrl(req as unknown as RequestLike)) {
    return ApiError.badRequest('The Host header is not a valid host.', { Host: ['must be a host name or address, with an optional port'] });
  }
  const url = req.url ?? '';
  if (!url.includes('%00')) return undefined;
  const queryAt = url.indexOf('?');
  if ((queryAt === -1 ? url : url.slice(0, queryAt)).includes('%00')) return ApiError.notFound();
  const bad = [...new URLSearchParams(url.slice(queryAt + 1))].filter(([name, value]) => `${name}${value}`.includes('\u0000')).map(([name]) => name);
  return ApiError.badRequest('Query parameters must not contain a NUL character.', Object.fromEntries(bad.map((name) => [name, ['must not contain a NUL character']])));
}
