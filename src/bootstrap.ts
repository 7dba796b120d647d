import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { INestApplication, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { assignRequestId, configureHttp, ErrorCode, isTrustedProxy, newId } from '@tessera/common';
import { AppModule } from './app.module';
import { isQueuesDashboardPath, QUEUES_DASHBOARD_PATH, QueuesDashboardGate } from './modules/admin/queues-dashboard.gate';
import { AppConfig } from './config/config';
import { setupOpenApi } from './openapi';

/**
 * A request Node's HTTP parser refuses before any framework sees it (headers past its 16 KiB
 * limit, malformed syntax, a NUL in a header) is answered by Node with an empty body; this
 * answers it in the contract's envelope instead, on the raw socket. Node's own rules otherwise:
 * nothing on a dead socket or mid-response, 408 without a body for a request that timed out.
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
      `X-Request-ID: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Fastify's router refuses some URLs before any route runs: a path segment past maxParamLength
 * (414 by default) or one that does not decode (400). Answered in the envelope; an over-long
 * segment is no id this API issued, so it is a 404 like any id of the wrong shape.
 */
function answerRouterError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const [status, code, message] =
    err.code === 'FST_ERR_BAD_URL' ? [400, ErrorCode.BAD_REQUEST, 'The request URL is not valid.'] : [404, ErrorCode.NOT_FOUND, 'Resource not found.'];
  const body = JSON.stringify({ success: false, status, code, message, data: null, meta: { request_id: req.id, timestamp: new Date().toISOString() } });
  reply.header('X-Request-ID', req.id);
  reply.header('Content-Type', 'application/json; charset=utf-8');
  reply.code(status).send(body);
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
      frameworkErrors: answerRouterError,
    });
    app = await NestFactory.create(module, adapter, { bufferLogs: true });
    // After routing, before bull-board's routes (registered at init) see the request.
    const gate = app.get(QueuesDashboardGate);
    adapter.getInstance().addHook('onRequest', async (req, reply) => {
      if (!isQueuesDashboardPath(req.url) && !(req.routeOptions.url ?? '').startsWith(QUEUES_DASHBOARD_PATH)) return;
      if (await gate.allows(req.headers)) return;
      const body = dashboardNotFound(req.raw, req.id);
      return reply.header('X-Request-ID', req.id).header('Content-Type', 'application/json; charset=utf-8').code(404).send(body);
    });
  } else {
    const { ExpressAdapter: BoardAdapter } = await import('@bull-board/express');
    const module = AppModule.forRoot(config, { queuesDashboard: BoardAdapter });
    const express = await NestFactory.create<NestExpressApplication>(module, { bufferLogs: true, bodyParser: false });
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
    express.set('trust proxy', isTrustedProxy);
    express.disable('x-powered-by');
    (express.getHttpServer() as Server).on('clientError', answerClientError);
    app = express;
  }
  app.useLogger(app.get(Logger));
  // bull-board is a web page at /admin/queues, outside the API (its session route stays under /api/v1).
  app.setGlobalPrefix('api/v1', { exclude: [{ path: QUEUES_DASHBOARD_PATH.slice(1), method: RequestMethod.ALL }] });
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}
