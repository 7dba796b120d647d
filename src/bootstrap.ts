import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { assignRequestId, configureHttp, isTrustedProxy } from '@tessera/common';
import { AppModule } from './app.module';
import { AppConfig } from './config/config';
import { setupOpenApi } from './openapi';

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
    });
    app = await NestFactory.create(module, adapter, { bufferLogs: true });
  } else {
    const express = await NestFactory.create<NestExpressApplication>(module, { bufferLogs: true, bodyParser: false });
    express.useBodyParser('json', { limit: config.bodyLimitBytes });
    express.set('trust proxy', isTrustedProxy);
    express.disable('x-powered-by');
    app = express;
  }
  app.useLogger(app.get(Logger));
  app.setGlobalPrefix('api/v1');
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}
