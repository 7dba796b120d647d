import { DataSourceOptions } from 'typeorm';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { CredentialsRolesAudit1764000100000 } from './migrations/1764000100000-credentials-roles-audit';
import { PostsEventsEntitlements1764000200000 } from './migrations/1764000200000-posts-events-entitlements';

/** Every migration, in order. New ones are appended here. */
export const migrations = [InitialSchema1764000000000, CredentialsRolesAudit1764000100000, PostsEventsEntitlements1764000200000];

/** Connection options shared by the API, the worker, the migration runner and the tests. */
export function dataSourceOptions(url: string, extra: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    // Pool size per process; two API processes and a worker stay well under max_connections (100).
    extra: { max: 20 },
    ...extra,
  } as DataSourceOptions;
}
