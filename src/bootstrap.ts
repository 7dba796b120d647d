import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { assignRequestId, configureHttp, ErrorCode, isTrustedProxy, newId } from '@tessera/common';
import { AppModule } from './app.module';
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
 * Builds the API application on the configured HTTP platform. This is the only file that knows
 * whether Express or Fastify runs: everything else uses Nest's adapter-neutral APIs.
 */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  configureHttp({ trustProxy: config.trustProxy, publicUrl: config.publicUrl });
  const module = AppModule.forRoot(config);
  let app: INestApplication;
  if (config.httpAdapter === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const adapter = new FastifyAdapter({
      bodyLimit: config.bodyLimitBytes,
      trustProxy: isTrustedProxy,
      genReqId: (req: Parameters<typeof assignRequestId>[0]) => assignRequestId(req),
      logger: false,
      clientErrorHandler: answerClientError,
    });
    app = await NestFactory.create(module, adapter, { bufferLogs: true });
  } else {
    const express = await NestFactory.create<NestExpressApplication>(module, { bufferLogs: true, bodyParser: false });
    express.useBodyParser('json', { limit: config.bodyLimitBytes });
    express.set('trust proxy', isTrustedProxy);
    express.disable('x-powered-by');
    (express.getHttpServer() as Server).on('clientError', answerClientError);
    app = express;
  }
  app.useLogger(app.get(Logger));
  app.setGlobalPrefix('api/v1');
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}
