import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppLogger } from '@tessera/common';
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
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl, config.database), autoLoadEntities: true }),
        RedisModule.forRoot(config.redisUrl),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, { provide: AppLogger, useValue: new AppLogger(config.logLevel) }, Database, Outbox],
      exports: [APP_CONFIG, AppLogger, Database, Outbox],
    };
  }
}
