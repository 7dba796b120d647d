import { DataSourceOptions } from 'typeorm';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { CredentialsRolesAudit1764000100000 } from './migrations/1764000100000-credentials-roles-audit';
import { PostsEventsEntitlements1764000200000 } from './migrations/1764000200000-posts-events-entitlements';
import { Invitations1764000300000 } from './migrations/1764000300000-invitations';
import { PlatformOperators1764000400000 } from './migrations/1764000400000-platform-operators';
import { RevokedAccessTokens1764000500000 } from './migrations/1764000500000-revoked-access-tokens';
import { Webhooks1764000600000 } from './migrations/1764000600000-webhooks';
import { WebhookDeliveries1764000700000 } from './migrations/1764000700000-webhook-deliveries';
import { EventsNotify1764000750000 } from './migrations/1764000750000-events-notify';
import { InboundWebhooks1764000800000 } from './migrations/1764000800000-inbound-webhooks';
import { WebhookEndpointStats1765000000000 } from './migrations/1765000000000-webhook-endpoint-stats';
import { SignInSessionsMfaPasskeys1765300000000 } from './migrations/1765300000000-sign-in-sessions-mfa-passkeys';
import { McpServers1765200000000 } from './migrations/1765200000000-mcp-servers';
import { OAuthProvider1765400000000 } from './migrations/1765400000000-oauth-provider';
import { SsoConnections1765400100000 } from './migrations/1765400100000-sso-connections';
import { EmailVerified1765400200000 } from './migrations/1765400200000-email-verified';
import { SeoReportsPixel1765100000000 } from './migrations/1765100000000-seo-reports-pixel';
import { OpenDeliveriesByEndpoint1765500000000 } from './migrations/1765500000000-open-deliveries-by-endpoint';
import { EventsNotifyOnRows1765600000000 } from './migrations/1765600000000-events-notify-on-rows';

/** Every migration, in order. New ones are appended here. */
export const migrations = [
  InitialSchema1764000000000,
  CredentialsRolesAudit1764000100000,
  PostsEventsEntitlements1764000200000,
  Invitations1764000300000,
  PlatformOperators1764000400000,
  RevokedAccessTokens1764000500000,
  Webhooks1764000600000,
  WebhookDeliveries1764000700000,
  EventsNotify1764000750000,
  InboundWebhooks1764000800000,
  WebhookEndpointStats1765000000000,
  SignInSessionsMfaPasskeys1765300000000,
  McpServers1765200000000,
  OAuthProvider1765400000000,
  SsoConnections1765400100000,
  EmailVerified1765400200000,
  SeoReportsPixel1765100000000,
  OpenDeliveriesByEndpoint1765500000000,
  EventsNotifyOnRows1765600000000,
];

/** The pool and the time limits every connection gets: nothing waits on PostgreSQL forever. */
export interface PoolSettings {
  /** Connections per process. */
  max: number;
  /** How long a query waits for a free connection before it fails (then answered 503). */
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

export const DEFAULT_POOL: PoolSettings = { max: 20, acquireTimeoutMs: 5_000, statementTimeoutMs: 15_000, lockTimeoutMs: 5_000, idleInTransactionTimeoutMs: 30_000 };

/** Connection startup options of every pool: see dataSourceOptions. */
export const PLAN_OPTIONS = '-c plan_cache_mode=force_custom_plan';

/** Connection options shared by the API, the worker, the migration runner and the tests. */
export function dataSourceOptions(url: string, pool: PoolSettings = DEFAULT_POOL): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    // node-postgres Pool and connection settings. Two API processes and a worker stay well under
    // max_connections (100) at the default size.
    extra: {
      max: pool.max,
      connectionTimeoutMillis: pool.acquireTimeoutMs,
      statement_timeout: pool.statementTimeoutMs,
      lock_timeout: pool.lockTimeoutMs,
      idle_in_transaction_session_timeout: pool.idleInTransactionTimeoutMs,
      // Every hot read is a named statement filtered by workspace_id = $1. Tenants differ in size by
      // orders of magnitude, so PostgreSQL's generic plan (chosen after five executions, costed for
      // an average tenant) can scan a million rows of one tenant to count another's thousand: plan
      // each execution for its own parameters; the parse is still saved. (Unnamed statements, all
      // of TypeORM's, are planned per execution whatever this says.) The worker's batch statements
      // too: a generic plan made while a table was small (a fresh database, the worker's first
      // minutes) kept scanning it whole once it had grown, five times slower until autovacuum ran.
      options: PLAN_OPTIONS,
    },
  } as DataSourceOptions;
}
