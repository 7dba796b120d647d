import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignRequestId, loggedPrincipal } from '@tessera/common';

/** The one log line of a finished request. */
function requestLine(req: IncomingMessage, res: ServerResponse, fields: { duration_ms: number }) {
  return { method: req.method, url: req.url, status: res.statusCode, duration_ms: fields.duration_ms, principal_id: loggedPrincipal(req) ?? null };
}
import { Database, dataSourceOptions, Outbox } from '@tessera/database';
import { RedisModule } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from './config/config';

/** What the API and the worker share: configuration, logs, PostgreSQL and Redis. */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: InfrastructureModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: (req: IncomingMessage, res: ServerResponse) => assignRequestId(req, res),
            // Lean on purpose (measured in bench:api): one child logger per request, bound to the
            // request id only, so every line of the request carries it; one line when the response
            // finishes with method, url, status, duration and who called. Never headers
            // (credentials) nor bodies (passwords), never the whole request object.
            quietReqLogger: true,
            quietResLogger: true,
            // pino-http still binds `req` to a second child logger on every request; unwrapped, its
            // serializer gets the raw request and drops it, instead of first copying it into pino's
            // full request object (headers, query, addresses) that no line here prints.
            wrapSerializers: false,
            serializers: { req: () => undefined, res: () => undefined },
            customAttributeKeys: { reqId: 'request_id', responseTime: 'duration_ms' },
            customSuccessObject: requestLine,
            customErrorObject: (req: IncomingMessage, res: ServerResponse, err: Error, fields: { duration_ms: number }) => ({
              ...requestLine(req, res, fields),
              err: { type: err.name, message: err.message },
            }),
            redact: ['password', 'token', 'refresh_token', 'access_token'],
            autoLogging: { ignore: (req: IncomingMessage) => req.url === '/api/v1/health' },
          },
        }),
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl, config.database), autoLoadEntities: true }),
        RedisModule.forRoot(config.redisUrl),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, Database, Outbox],
      exports: [APP_CONFIG, Database, Outbox],
    };
  }
}
