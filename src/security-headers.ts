/** One year, as seed 004 says; sent on HTTPS responses only (browsers ignore it over HTTP). */
export const HSTS_HEADER = 'max-age=31536000; includeSubDomains';

import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * helmet's headers for every response, on Express and Fastify alike.
 * The Content-Security-Policy admits exactly what the two pages the API serves need: Swagger UI at
 * /docs (its own scripts, inline styles, data: images) and bull-board at /admin/queues (its own
 * scripts, a JSON config block, inline styles and Google Fonts). No inline script runs anywhere.
 * HSTS is left to isSecureRequest (only over HTTPS, directly or through a trusted proxy).
 */
export const HELMET_OPTIONS = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
      fontSrc: ["'self'", 'https://fonts.gstatic.com', 'data:'],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
    },
  },
  frameguard: { action: 'deny' as const },
  strictTransportSecurity: false,
};

/**
 * CORS for the first-party pages of ALLOWED_ORIGINS: credentials (the session cookie) and the CSRF
 * header. Every OPTIONS is answered as a preflight (204), as Express's `cors` does: @fastify/cors
 * otherwise answers one without Origin or Access-Control-Request-Method with a text 400.
 */
export function corsOptions(origins: string[]) {
  return {
    origin: origins,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Api-Key', 'X-CSRF-Token', 'X-Workspace-ID', 'X-Api-Version', 'X-Request-ID', 'Idempotency-Key'],
    exposedHeaders: ['X-Request-ID', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After', 'Idempotent-Replayed'],
    maxAge: 600,
    strictPreflight: false,
  };
}

/**
 * The CORS headers of an actual (not preflight) answer to `origin`, as the CORS middleware sets
 * them with these options: for an answer written before that middleware runs (the Express
 * bootstrap's front door). Nothing but Vary for an origin that is not allowed.
 */
export function corsAnswerHeaders(options: ReturnType<typeof corsOptions>, origin: string | undefined): Record<string, string> {
  if (origin === undefined || !options.origin.includes(origin)) return { Vary: 'Origin' };
  return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', 'Access-Control-Expose-Headers': options.exposedHeaders.join(','), Vary: 'Origin' };
}

/**
 * The headers helmet sets with HELMET_OPTIONS, worked out once at boot. They depend on nothing in
 * the request, and building them per request is what @fastify/helmet does (it calls helmet() and
 * parses the CSP again on every request: 3 % of a list request's CPU in bench:api's profile).
 */
export function securityHeaders(): ReadonlyArray<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = [];
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => void headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  helmet(HELMET_OPTIONS)({} as IncomingMessage, res as unknown as ServerResponse, () => undefined);
  return headers;
}
