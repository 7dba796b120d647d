import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors';
import { inRequestContext } from './logging';
import { assignRequestId } from './request-id';

export const API_VERSION = '1';

/**
 * Runs before routing on both HTTP platforms (it only uses Node's own request and response):
 * gives the request its id, answers X-Api-Version (only "1" exists; another value is a 400), and
 * refuses a NUL character (%00) in the URL before any guard or handler reads a path parameter or
 * query value: PostgreSQL refuses NUL in text. In the path it names nothing (404), in the query
 * it is a bad parameter (400).
 */
@Injectable()
export class ApiHeadersMiddleware implements NestMiddleware {
  use(req: IncomingMessage & { id?: unknown }, res: ServerResponse, next: (error?: unknown) => void): void {
    const requestId = assignRequestId(req, res);
    res.setHeader('X-Api-Version', API_VERSION);
    const asked = req.headers['x-api-version'];
    if (asked !== undefined && asked !== API_VERSION) {
      return next(ApiError.badRequest(`Unsupported X-Api-Version "${String(asked)}": only "${API_VERSION}" exists.`, { 'X-Api-Version': [`must be ${API_VERSION}`] }));
    }
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    if (/%00/.test(queryAt === -1 ? url : url.slice(0, queryAt))) return next(ApiError.notFound());
    if (queryAt !== -1 && /%00/.test(url.slice(queryAt))) {
      const bad = [...new URLSearchParams(url.slice(queryAt + 1))].filter(([name, value]) => `${name}${value}`.includes('\u0000')).map(([name]) => name);
      return next(ApiError.badRequest('Query parameters must not contain a NUL character.', Object.fromEntries(bad.map((name) => [name, ['must not contain a NUL character']]))));
    }
    // Here, after the body parsers on Express: the context reaches the guards, the handler and the filter.
    inRequestContext(requestId, next);
  }
}
