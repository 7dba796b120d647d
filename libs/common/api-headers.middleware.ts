import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors';
import { assignRequestId } from './request-id';

export const API_VERSION = '1';

/**
 * Runs before routing on both HTTP platforms (it only uses Node's own request and response):
 * gives the request its id, and answers X-Api-Version (only "1" exists; another value is a 400).
 */
@Injectable()
export class ApiHeadersMiddleware implements NestMiddleware {
  use(req: IncomingMessage & { id?: unknown }, res: ServerResponse, next: (error?: unknown) => void): void {
    assignRequestId(req, res);
    res.setHeader('X-Api-Version', API_VERSION);
    const asked = req.headers['x-api-version'];
    if (asked !== undefined && asked !== API_VERSION) {
      return next(ApiError.badRequest(`Unsupported X-Api-Version "${String(asked)}": only "${API_VERSION}" exists.`, { 'X-Api-Version': [`must be ${API_VERSION}`] }));
    }
    next();
  }
}
