import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { INestApplication, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { API_VERSION, ApiError, ApiExceptionFilter, apiHeadersProblem, AppLogger, assignRequestId, inRequestContext, configureHttp, ErrorCode, isSecureRequest, isTrustedProxy, newId, RequestLike } from '@tessera/common';
import { wireRequestPipeline } from './request-pipeline';
import { AppModule } from './app.module';
import { isQueuesDashboardPath, QUEUES_DASHBOARD_PATH, QueuesDashboardGate } from './modules/admin/queues-dashboard.gate';
import { MAGIC_LINK_PATH } from './modules/accounts/magic-link.service';
import { AppConfig } from './config/config';
import { MCP_SERVER_PATH } from './modules/mcp/mcp-server.controller';
import { PIXEL_CORS_PATHS, PIXEL_TRACK_PATH } from './modules/pixel/pixel.controller';
import { INBOUND_BODY_LIMIT_BYTES, INBOUND_BODY_TOO_LARGE, INBOUND_PATH_PREFIX } from './modules/webhooks/inbound/inbound-route';
import { OAuthProviderService } from './modules/oauth/oauth-provider.service';
import { setupOpenApi } from './openapi';
import { corsAnswerHeaders, corsOptions, HSTS_HEADER, securityHeaders } from './security-headers';

/**
 * What every request meets first, before anything else runs: helmet's headers (fixed at boot) and,
 * over HTTPS, HSTS, so that every answer carries them; its line in the request log; its id and the
 * API-version and NUL checks. When those fail, the answer to send (the envelope, as the filter makes it).
 */
type FrontAnswer = { status: number; headers: Record<string, string>; body: string };
function frontDoor(app: INestApplication): (req: IncomingMessage, res: ServerResponse) => FrontAnswer | undefined {
  const headers = securityHeaders();
  const logger = app.get(AppLogger);
  const filter = app.get(ApiExceptionFilter);
  return (req, res) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    if (isSecureRequest(req)) res.setHeader('Strict-Transport-Security', HSTS_HEADER);
    logger.logRequest(req, res);
    const problem = apiHeadersProblem(req, res);
    if (!problem) return undefined;
    const answer = filter.answer(problem, req as unknown as RequestLike);
    return { status: answer.status, headers: { ...answer.headers, 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(answer.body) };
  };
}

/** The front door's fixed headers as raw header lines, for what is answered on the socket itself. */
const RAW_SOCKET_HEADERS = [...securityHeaders(), ['X-Api-Version', API_VERSION] as const].map(([name, value]) => `${name}: ${value}\r\n`).join('');

/**
 * A request Node's HTTP parser refuses before any framework sees it (headers past its 16 KiB
 * limit, malformed syntax, a NUL in a header) is answered by Node with an empty body; this
 * answers it in the contract's envelope instead, on the raw socket, with the headers of every
 * answer. Node's own rules otherwise: nothing on a dead socket or mid-response, 408 without a
 * body for a request that timed out.
 */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  const inResponse = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (err.code === 'ECONNRESET' || !socket.writable || inResponse) {
    socket.destroy();
    return;
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    return;
  }
  const [status, reason, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', ErrorCode.REQUEST_HEADER_FIELDS_TOO_LARGE, 'The request headers are larger than the 16 KiB limit.']
      : [400, 'Bad Request', ErrorCode.BAD_REQUEST, 'The request is not valid HTTP/1.1.'];
  const requestId = newId('req');
  const body = JSON.stringify({ success: false, status, code, message, data: null, meta: { request_id: requestId, timestamp: new Date().toISOString() } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${RAW_SOCKET_HEADERS}X-Request-ID: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const inboundTooLarge = () => new ApiError(413, ErrorCode.PAYLOAD_TOO_LARGE, INBOUND_BODY_TOO_LARGE);

/** A body as raw bytes, refused (413 in the envelope) as soon as it passes the inbound limit. */
function readInboundBody(stream: Readable, contentLength: string | string[] | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(contentLength) > INBOUND_BODY_LIMIT_BYTES) {
      // Read off and drop the rest, so that the client gets to read the answer.
      stream.resume();
      reject(inboundTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: Error | null) => {
      stream.off('data', onData).off('end', onEnd).off('error', onAborted).off('close', onAborted);
      if (err) {
        stream.resume();
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > INBOUND_BODY_LIMIT_BYTES) done(inboundTooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => done(null);
    // A client that went away: a 4xx for the log, never a 500 (nor a 503 for its ECONNRESET). A
    // stream in between (Fastify's preParsing cap) may fail with our own answer: that one is kept.
    const onAborted = (err?: unknown) => done(err instanceof ApiError ? err : ApiError.badRequest('The client closed the connection before the end of the body.'));
    stream.on('data', onData).on('end', onEnd).on('error', onAborted).on('close', onAborted);
  });
}

/** Where both platforms put the inbound route's body as received (Nest's RawBodyRequest convention). */
type WithRawBody = { rawBody?: Buffer };

/**
 * Express: the inbound route (providers' signed callbacks) gets its body as raw bytes, whatever
 * its content type, before the JSON parser could take it (which then skips a body already read).
 */
function rawInboundBodyOnExpress(app: NestExpressApplication): void {
  app.use(INBOUND_PATH_PREFIX.replace(/\/$/, ''), (req: IncomingMessage & WithRawBody, _res: unknown, next: (err?: unknown) => void) => {
    readInboundBody(req, req.headers['content-length']).then((body) => {
      req.rawBody = body;
      next();
    }, next);
  });
}

type FastifyRequestLike = WithRawBody & { routeOptions?: { url?: string }; is404?: boolean; headers: Record<string, string | string[] | undefined> };
type FastifyDone = (err: Error | null, body?: unknown) => void;

/**
 * Fastify's body parsers. The inbound route's body is capped at 256 KB (answered with our 413) and
 * kept as raw bytes as it streams in, before any content-type parser; there, JSON is not parsed (a
 * body that is not valid JSON is still a callback to verify) and any content type is accepted. The
 * pixel's track route also reads JSON sent as text/plain (a beacon). Every other route parses as
 * before (JSON with Fastify's own parser, text/plain as a string, any unknown type 415).
 */
function bodyParsersOnFastify(app: NestFastifyApplication, bodyLimit: number): void {
  const instance = app.getHttpAdapter().getInstance();
  const isInbound = (req: FastifyRequestLike) => req.routeOptions?.url?.startsWith(INBOUND_PATH_PREFIX) === true;
  instance.addHook('onRoute', (route) => {
    if (!route.url.startsWith(INBOUND_PATH_PREFIX)) return;
    route.bodyLimit = INBOUND_BODY_LIMIT_BYTES;
    const keepRaw = async (req: FastifyRequestLike, _reply: unknown, payload: Readable) => {
      if (Number(req.headers['content-length']) > INBOUND_BODY_LIMIT_BYTES) throw inboundTooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      return payload.pipe(
        new Transform({
          transform(chunk: Buffer, _enc, callback) {
            size += chunk.length;
            if (size > INBOUND_BODY_LIMIT_BYTES) return callback(inboundTooLarge());
            chunks.push(chunk);
            callback(null, chunk);
          },
          flush(callback) {
            req.rawBody = Buffer.concat(chunks, size);
            callback();
          },
        }),
      );
    };
    route.preParsing = [...(route.preParsing ? ([] as unknown[]).concat(route.preParsing) : []), keepRaw] as typeof route.preParsing;
  });
  const { onProtoPoisoning, onConstructorPoisoning } = instance.initialConfig as { onProtoPoisoning?: 'error' | 'remove' | 'ignore'; onConstructorPoisoning?: 'error' | 'remove' | 'ignore' };
  const json = instance.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  // Through Nest, which otherwise registers its own application/json parser at init. Fastify's
  // default parser takes a Buffer as well as a string (its typings say string; Nest passes Buffers too).
  app.useBodyParser<Server>('application/json', { bodyLimit }, (req, body, done) => (isInbound(req) ? done(null, body) : json(req, body as unknown as string, done)));
  instance.removeContentTypeParser('text/plain');
  instance.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit }, (req: FastifyRequestLike, body: string | Buffer, done: FastifyDone) =>
    req.routeOptions?.url === PIXEL_TRACK_PATH ? json(req as never, body as string, done) : done(null, body),
  );
  instance.addContentTypeParser('*', (req: FastifyRequestLike, payload: Readable, done: FastifyDone) => {
    if (isInbound(req)) readInboundBody(payload, undefined).then((body) => done(null, body), done);
    // What Fastify answers without a catch-all parser: the route's 404, else 415.
    else if (req.is404) done(null, undefined);
    else done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }));
  });
}

/** Whether a request is for `path` (as Express routes it: any case, a trailing slash) with a body of `type`. */
function isBodyOn(req: IncomingMessage, path: string, type: RegExp): boolean {
  return (req.url ?? '').split('?')[0].replace(/\/+$/, '').toLowerCase() === path && type.test(req.headers['content-type'] ?? '');
}

/**
 * The bodies Express reads besides JSON, each on one route only. HTML forms on the magic link's
 * route, whose page posts a form. JSON sent as text/plain on the pixel's track route, where a page's
 * `navigator.sendBeacon(url, JSON.stringify(event))` sends it so (a type that needs no CORS
 * preflight, so the beacon survives the page closing). (Fastify parses forms on every route, with
 * Nest's default parser; a DTO refuses what it does not name.)
 */
const isMagicLinkForm = (req: IncomingMessage) => isBodyOn(req, MAGIC_LINK_PATH, /^application\/x-www-form-urlencoded\s*(;|$)/i);
const isPixelBeacon = (req: IncomingMessage) => isBodyOn(req, PIXEL_TRACK_PATH, /^text\/plain\s*(;|$)/i);

/**
 * Controllers write a wildcard as Express's router (path-to-regexp) reads it, named and last:
 * `resources/*uri`. Fastify's router (find-my-way) knows only an unnamed `*` at the end: the same
 * route. Its handler reads what the wildcard matched from the request target, never from a
 * parameter, since the two routers split and decode it differently.
 */
function namedWildcardsOnFastify(app: NestFastifyApplication): void {
  app.getHttpAdapter().getInstance().addHook('onRoute', (route) => {
    const url = route.url.replace(/\*[A-Za-z_$][\w$]*$/, '*');
    if (url !== route.url) Object.assign(route, { url, path: url });
  });
}

/**
 * Fastify's router refuses some URLs before any route runs: a path segment past maxParamLength
 * (414 by default) or one that does not decode (400). Answered in the envelope; an over-long
 * segment is no id this API issued, so it is a 404 like any id of the wrong shape. No hook runs
 * for it, CORS's included: an allowed origin gets its headers here, as from Express's front door.
 */
function answerRouterError(cors: ReturnType<typeof corsOptions> | undefined) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    const [status, code, message] =
      err.code === 'FST_ERR_BAD_URL' ? [400, ErrorCode.BAD_REQUEST, 'The request URL is not valid.'] : [404, ErrorCode.NOT_FOUND, 'Resource not found.'];
    const body = JSON.stringify({ success: false, status, code, message, data: null, meta: { request_id: req.id, timestamp: new Date().toISOString() } });
    if (cors) reply.headers(corsAnswerHeaders(cors, req.headers.origin));
    reply.header('X-Request-ID', req.id);
    reply.header('Content-Type', 'application/json; charset=utf-8');
    reply.code(status).send(body);
  };
}

/** Where the OAuth provider (a Koa app) is mounted. */
const OAUTH_MOUNT = '/oauth';
/** Discovery at the root, where OpenID Connect (issuer without path) and RFC 8414 (issuer /oauth) clients look. */
const OAUTH_ROOT_DISCOVERY = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/oauth'];

type MountedRequest = IncomingMessage & { originalUrl?: string };

/**
 * The provider's view of a request for it, or null when the request is not one: `url` relative to
 * /oauth, `originalUrl` the path under which the provider lives (it derives its endpoints' URLs
 * from the two). Root discovery is answered as /oauth/.well-known/openid-configuration.
 */
function oauthTarget(rawUrl: string): { url: string; originalUrl: string } | null {
  const path = rawUrl.split('?')[0];
  if (OAUTH_ROOT_DISCOVERY.includes(path)) return { url: '/.well-known/openid-configuration', originalUrl: `${OAUTH_MOUNT}/.well-known/openid-configuration` };
  if (path !== OAUTH_MOUNT && !path.startsWith(`${OAUTH_MOUNT}/`)) return null;
  return { url: rawUrl.slice(OAUTH_MOUNT.length) || '/', originalUrl: rawUrl };
}

/** Whether a request's CORS is its route's own (the OAuth provider, the pixel's public routes), not ALLOWED_ORIGINS'. */
function leavesCorsToItself(rawUrl: string): boolean {
  if (oauthTarget(rawUrl)) return true;
  const queryAt = rawUrl.indexOf('?');
  return PIXEL_CORS_PATHS.has(queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt));
}

/** Hands a request to the provider (which answers it whole, in OAuth's own formats), with our request id. */
function serveOAuth(oauth: OAuthProviderService, req: MountedRequest, res: ServerResponse, target: { url: string; originalUrl: string }): Promise<void> {
  assignRequestId(req, res);
  req.originalUrl = target.originalUrl;
  req.url = target.url;
  return oauth.handle(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end();
  });
}

/** The queues dashboard to anyone but an operator: the same answer as a route that does not exist. */
function dashboardNotFound(req: IncomingMessage, requestId: string): string {
  const path = (req.url ?? '').split('?')[0];
  return JSON.stringify({
    success: false,
    status: 404,
    code: ErrorCode.NOT_FOUND,
    message: `No route ${req.method} ${path}.`,
    data: null,
    meta: { request_id: requestId, timestamp: new Date().toISOString() },
  });
}

/**
 * Builds the API application on the configured HTTP platform. This is the only file that knows
 * whether Express or Fastify runs: everything else uses Nest's adapter-neutral APIs.
 */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  configureHttp({ trustProxy: config.trustProxy, publicUrl: config.publicUrl });
  let app: INestApplication;
  if (config.httpAdapter === 'fastify') {
    const { FastifyAdapter: BoardAdapter } = await import('@bull-board/fastify');
    const module = AppModule.forRoot(config, { queuesDashboard: BoardAdapter });
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const adapter = new FastifyAdapter({
      bodyLimit: config.bodyLimitBytes,
      trustProxy: isTrustedProxy,
      genReqId: (req: Parameters<typeof assignRequestId>[0]) => assignRequestId(req),
      logger: false,
      clientErrorHandler: answerClientError,
      frameworkErrors: answerRouterError(config.allowedOrigins.length ? corsOptions(config.allowedOrigins) : undefined),
      // A request on a connection still open while the server closes is served, as on Express;
      // Fastify's own answer was a 503 outside the envelope (no meta.request_id, no Retry-After).
      return503OnClosing: false,
    });
    const fastify = await NestFactory.create<NestFastifyApplication>(module, adapter, { bufferLogs: true });
    // First of all, before Fastify's own request hooks (the adapter's CORS hook answers preflights
    // in one of them): every answer has the headers, an id and a log line. A refusal is sent by
    // the first hook of ours, after CORS, so that it carries CORS headers as on Express.
    const front = frontDoor(fastify);
    const refusals = new WeakMap<IncomingMessage, FrontAnswer>();
    adapter.getInstance().server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const answer = front(req, res);
      if (answer) refusals.set(req, answer);
    });
    adapter.getInstance().addHook('onRequest', (req, reply, done) => {
      const answer = refusals.get(req.raw);
      if (answer) reply.code(answer.status).headers(answer.headers).send(answer.body);
      else done();
    });
    // After the body is parsed, so that it holds through the guards, the handler and the filter.
    adapter.getInstance().addHook('preHandler', (req, _reply, done) => inRequestContext(req.id, done));
    bodyParsersOnFastify(fastify, config.bodyLimitBytes);
    namedWildcardsOnFastify(fastify);
    app = fastify;
    // The OAuth provider reads its own bodies: its requests leave Fastify before any parsing.
    const oauth = app.get(OAuthProviderService);
    // Both hooks below pass almost every request on at once: callback style, so that those cost no promise.
    adapter.getInstance().addHook('onRequest', (req, reply, done) => {
      const target = oauthTarget(req.raw.url ?? '');
      if (!target) return done();
      reply.hijack();
      serveOAuth(oauth, req.raw, reply.raw, target).then(() => done(), done);
    });
    // After routing, before bull-board's routes (registered at init) see the request.
    const gate = app.get(QueuesDashboardGate);
    adapter.getInstance().addHook('onRequest', (req, reply, done) => {
      if (!isQueuesDashboardPath(req.url) && !(req.routeOptions.url ?? '').startsWith(QUEUES_DASHBOARD_PATH)) return done();
      gate.allows(req.headers).then((allowed) => {
        if (allowed) return done();
        const body = dashboardNotFound(req.raw, req.id);
        reply.header('X-Request-ID', req.id).header('Content-Type', 'application/json; charset=utf-8').code(404).send(body);
      }, done);
    });
  } else {
    const { ExpressAdapter: BoardAdapter } = await import('@bull-board/express');
    const module = AppModule.forRoot(config, { queuesDashboard: BoardAdapter });
    const express = await NestFactory.create<NestExpressApplication>(module, { bufferLogs: true, bodyParser: false });
    // First, so that every answer has the headers and a log line, the dashboard gate's 404s included.
    const front = frontDoor(express);
    // CORS (app.enableCors, below) runs after this on Express, before it on Fastify: a refusal
    // here carries its headers, so that an allowed origin's page can read it, and a preflight is
    // left to it (it answers every OPTIONS), as on Fastify.
    const cors = config.allowedOrigins.length ? corsOptions(config.allowedOrigins) : undefined;
    express.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
      const answer = front(req, res);
      if (!answer || (cors && req.method === 'OPTIONS')) return next();
      res.writeHead(answer.status, { ...(cors && corsAnswerHeaders(cors, req.headers.origin)), ...answer.headers }).end(answer.body);
    });
    rawInboundBodyOnExpress(express);
    // The OAuth provider reads its own bodies: mounted before the JSON parser.
    const oauth = express.get(OAuthProviderService);
    express.use((req: MountedRequest, res: ServerResponse, next: () => void) => {
      const target = oauthTarget(req.originalUrl ?? req.url ?? '');
      if (!target) return next();
      void serveOAuth(oauth, req, res, target);
    });
    // Registered before init, so before bull-board's router (mounted at init).
    const gate = express.get(QueuesDashboardGate);
    express.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
      if (!isQueuesDashboardPath(req.url ?? '')) return next();
      gate.allows(req.headers).then(
        (allowed) => {
          if (allowed) return next();
          const requestId = assignRequestId(req, res);
          res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' }).end(dashboardNotFound(req, requestId));
        },
        () => res.writeHead(404).end(),
      );
    });
    express.useBodyParser('json', { limit: config.bodyLimitBytes });
    express.useBodyParser('urlencoded', { extended: false, limit: config.bodyLimitBytes, type: isMagicLinkForm });
    express.useBodyParser('json', { limit: config.bodyLimitBytes, type: isPixelBeacon });
    // After the body parsers, so that it holds through the guards, the handler and the filter.
    express.use((req: IncomingMessage, _res: ServerResponse, next: () => void) => inRequestContext(assignRequestId(req), next));
    express.set('trust proxy', isTrustedProxy);
    express.disable('x-powered-by');
    (express.getHttpServer() as Server).on('clientError', answerClientError);
    app = express;
  }
  app.useLogger(app.get(AppLogger));
  // First-party pages on other origins (ALLOWED_ORIGINS) call the API with the session cookie.
  // The OAuth provider answers CORS itself (to its browser apps' origins): left to it. On Express
  // it answers before CORS runs; on Fastify CORS runs in the adapter's first hooks, before the
  // provider is handed the request, and its headers made the provider skip its own. The pixel's
  // public routes answer theirs to the customer sites of each pixel: left to them too (the
  // first-party CORS answered their preflights, without the customer's origin).
  if (config.allowedOrigins.length) {
    const cors = corsOptions(config.allowedOrigins);
    app.enableCors((req: { url?: string }, callback: (err: null, options: typeof cors | { origin: false }) => void) => callback(null, leavesCorsToItself(req.url ?? '') ? { origin: false } : cors));
  }
  // bull-board is a web page at /admin/queues, outside the API (its session route stays under /api/v1);
  // the MCP server speaks MCP at /mcp, where MCP clients are pointed (its gateway stays under /api/v1/mcp).
  app.setGlobalPrefix('api/v1', {
    exclude: [
      { path: QUEUES_DASHBOARD_PATH.slice(1), method: RequestMethod.ALL },
      { path: MCP_SERVER_PATH.slice(1), method: RequestMethod.ALL },
    ],
  });
  app.enableShutdownHooks();
  wireRequestPipeline(app);
  setupOpenApi(app);
  return app;
}
