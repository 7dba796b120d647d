import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignRequestId } from '@tessera/common';
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
            customProps: (req: IncomingMessage & { id?: unknown }) => ({ request_id: req.id }),
            // Only what a reader needs: never headers (credentials) nor bodies (passwords).
            serializers: {
              req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
              res: (res: { statusCode: number }) => ({ status: res.statusCode }),
            },
            redact: ['req.headers', 'password', 'token', 'refresh_token', 'access_token'],
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
