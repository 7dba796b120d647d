import { availableParallelism } from 'node:os';
import { deriveKey32, isAddressOrCidr, parseKey32, type TrustProxy } from '@tessera/common';
import type { PoolSettings } from '@tessera/database';
import { QueueName, Queues } from '@tessera/queue';
import { Tier, TIERS } from '../modules/auth/principal';

/**
 * Configuration, read once at boot and validated: a bad or missing variable stops the process
 * with one line naming it. `.env.example` lists every variable.
 */
export interface AppConfig {
  nodeEnv: 'development' | 'test' | 'production';
  port: number;
  /** Address the API listens on: loopback unless HOST opens it (containers set 0.0.0.0). */
  host: string;
  /** API processes behind the one port (API_PROCESSES; default: the number of cores). Each has its own pool. */
  apiProcesses: number;
  httpAdapter: 'express' | 'fastify';
  databaseUrl: string;
  /** Pool size and the time limits of every PostgreSQL connection. */
  database: PoolSettings;
  redisUrl: string;
  jwtSecret: string;
  /** AES-256-GCM key for data at rest (idempotent answers in Redis). */
  encryptionKey: Buffer;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Which proxies' X-Forwarded-* headers count: none, the nearest n hops, or these addresses/CIDRs. */
  trustProxy: TrustProxy;
  publicUrl?: string;
  bodyLimitBytes: number;
  /** smtp:// or smtps:// URL; without it e-mail goes to the development mailbox. */
  smtpUrl?: string;
  mailFrom: string;
  /** Off only for load tests and suites that exercise other things; on in every real deployment. */
  rateLimitEnabled: boolean;
  /** Tiers a tenant may pick itself; any other is set by a platform operator. */
  selfServeTiers: readonly Tier[];
  /** Webhook URLs may be http:// and private or loopback addresses: development and tests only. */
  webhooksAllowPrivateUrls: boolean;
  webhooks: WebhookSettings;
  /** The queues a worker process serves (WORKER_QUEUES, default all): e.g. webhook delivery on its own machines. */
  workerQueues: QueueName[];
  /** How long a browser session (the session cookie) lasts from sign-in (SESSION_TTL_HOURS, 168 = 7 days). */
  sessionTtlHours: number;
  /**
   * Origins whose pages may make state-changing calls with the session cookie (ALLOWED_ORIGINS);
   * empty: only the API's own origin (PUBLIC_URL's, else the request's).
   */
  allowedOrigins: string[];
  /** Passkeys (WebAuthn): the relying party and the origins a ceremony may come from. */
  webauthn: { rpId: string; rpName: string; origins: string[] };
  /** How long one MCP gateway call to a remote server may take, connection to answer (MCP_TIMEOUT_MS, 30 s). */
  mcpTimeoutMs: number;
  /** The built-in OAuth 2.1 / OpenID Connect provider at /oauth. */
  oauth: OAuthSettings;
  /** SSO: an identity provider's issuer may be http:// and a private or loopback address (development and tests only). */
  ssoAllowPrivateIssuers: boolean;
}

export interface OAuthSettings {
  /** The issuer identifier: PUBLIC_URL + /oauth, else this server's own address (HOST, PORT) + /oauth. */
  issuer: string;
  /** Lifetime of an OAuth access token (OAUTH_ACCESS_TOKEN_TTL_SECONDS, 900). */
  accessTokenTtlSeconds: number;
  /** Lifetime of each OAuth refresh token; every refresh rotates it (OAUTH_REFRESH_TOKEN_TTL_DAYS, 30). */
  refreshTokenTtlDays: number;
}

/** How the worker delivers webhooks. */
export interface WebhookSettings {
  /** One delivery attempt, connection to last byte (WEBHOOKS_TIMEOUT_MS, 15 s). */
  timeoutMs: number;
  /** Delay before each retry, in seconds (WEBHOOKS_RETRY_SCHEDULE; Svix's by default). Its length is the number of retries. */
  retrySchedule: number[];
  /** Deliveries, attempts and relayed events older than this are purged (WEBHOOKS_RETENTION_DAYS, 30). */
  retentionDays: number;
  /** An endpoint failing with no success for this long is disabled (WEBHOOKS_DISABLE_AFTER_HOURS, 120 = 5 days). */
  disableAfterHours: number;
  /** Delivery jobs one worker process runs at once (WEBHOOKS_CONCURRENCY, 100); each endpoint is capped by its max_in_flight. */
  concurrency: number;
  /** BullMQ lock of a delivery job (WEBHOOKS_LOCK_MS, 60 s): must outlast timeoutMs by a margin, or a stalled-job re-run could send twice. */
  lockDurationMs: number;
}

/** Svix's schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];
/** What a delivery job's lock must exceed the HTTP timeout by. */
export const WEBHOOK_LOCK_MARGIN_MS = 15_000;

function retrySchedule(env: Env): number[] {
  const v = env.WEBHOOKS_RETRY_SCHEDULE;
  if (v === undefined || v.trim() === '') return [...DEFAULT_RETRY_SCHEDULE];
  const list = v.split(',').map((s) => s.trim());
  if (list.length > 20 || !list.every((s) => /^\d+(\.\d+)?$/.test(s) && Number(s) <= 86_400)) {
    throw new ConfigError(`WEBHOOKS_RETRY_SCHEDULE must be a comma list of at most 20 delays in seconds, each at most 86400 (got "${v}")`);
  }
  return list.map(Number);
}

function webhookSettings(env: Env): WebhookSettings {
  const timeoutMs = int(env, 'WEBHOOKS_TIMEOUT_MS', 15_000, 100, 120_000);
  const lockDurationMs = int(env, 'WEBHOOKS_LOCK_MS', Math.max(60_000, timeoutMs + 2 * WEBHOOK_LOCK_MARGIN_MS), 1_000, 3_600_000);
  if (lockDurationMs < timeoutMs + WEBHOOK_LOCK_MARGIN_MS) {
    throw new ConfigError(
      `WEBHOOKS_LOCK_MS (${lockDurationMs}) must exceed WEBHOOKS_TIMEOUT_MS (${timeoutMs}) by at least ${WEBHOOK_LOCK_MARGIN_MS} ms: a job lock that lapses mid-request lets a second worker send the same delivery again`,
    );
  }
  return {
    timeoutMs,
    retrySchedule: retrySchedule(env),
    retentionDays: int(env, 'WEBHOOKS_RETENTION_DAYS', 30, 1, 3650),
    disableAfterHours: int(env, 'WEBHOOKS_DISABLE_AFTER_HOURS', 120, 1, 8760),
    concurrency: int(env, 'WEBHOOKS_CONCURRENCY', 100, 1, 1000),
    lockDurationMs,
  };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const v = env[name] ?? fallback;
  if (!values.includes(v as T)) throw new ConfigError(`${name} must be one of ${values.join(', ')} (got "${v}")`);
  return v as T;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${v}")`);
  return n;
}

function url(env: Env, name: string, protocols: string[]): string {
  const v = env[name];
  if (!v) throw new ConfigError(`${name} is required (${protocols.join(' or ')} URL); npm start sets it for you`);
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) throw new ConfigError(`${name} must be a ${protocols.join(' or ')} URL`);
  return v;
}

function tiers(env: Env, name: string, fallback: string): Tier[] {
  const v = (env[name] || fallback).trim();
  if (v === 'all') return [...TIERS];
  const list = v.split(',').map((t) => t.trim());
  const bad = list.find((t) => !TIERS.includes(t as Tier));
  if (bad !== undefined) throw new ConfigError(`${name} must be "all" or a comma list of ${TIERS.join(', ')} (got "${bad}")`);
  return list as Tier[];
}

/** TRUST_PROXY: false, true (the one nearest proxy), a hop count, or proxy addresses/CIDRs. */
function trustProxy(env: Env): TrustProxy {
  const v = (env.TRUST_PROXY ?? '').trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return 1;
  if (/^\d{1,3}$/.test(v)) return Number(v) || false;
  const entries = v.split(',').map((e) => e.trim());
  if (entries.every(isAddressOrCidr)) return entries;
  throw new ConfigError(`TRUST_PROXY must be true, false, a hop count or a comma list of proxy addresses/CIDRs (got "${v}")`);
}

function hostOf(env: Env): string {
  const v = env.HOST || '127.0.0.1';
  // An IPv4 or IPv6 literal, or a host name: whatever listen() accepts, but no URL, port or spaces.
  if (!/^[A-Za-z0-9.:_-]+$/.test(v) || v.length > 253) throw new ConfigError(`HOST must be an address or host name to listen on, e.g. 127.0.0.1 or 0.0.0.0 (got "${v}")`);
  return v;
}

/**
 * ENCRYPTION_KEY: 32 bytes, hex or base64. Production refuses to boot without one; development and
 * test derive one from JWT_SECRET (HKDF) so a bare checkout still runs, at the price that rotating
 * JWT_SECRET there also makes stored idempotent answers unreadable (they are then ignored).
 */
function encryptionKeyOf(env: Env, nodeEnv: AppConfig['nodeEnv'], jwtSecret: string): Buffer {
  const v = env.ENCRYPTION_KEY;
  if (v) {
    const key = parseKey32(v);
    if (!key) throw new ConfigError('ENCRYPTION_KEY must be 32 bytes written as 64 hex digits or base64 (e.g. openssl rand -base64 32)');
    return key;
  }
  if (nodeEnv === 'production') throw new ConfigError('ENCRYPTION_KEY is required in production (32 bytes, hex or base64; e.g. openssl rand -base64 32)');
  return deriveKey32(jwtSecret, 'tessera/encryption-key/v1');
}

/** WEBHOOKS_ALLOW_PRIVATE_URLS: in production it would let any tenant reach the internal network. */
function webhooksAllowPrivateUrls(env: Env, nodeEnv: AppConfig['nodeEnv']): boolean {
  const allow = oneOf(env, 'WEBHOOKS_ALLOW_PRIVATE_URLS', ['true', 'false'] as const, 'false') === 'true';
  if (allow && nodeEnv === 'production') throw new ConfigError('WEBHOOKS_ALLOW_PRIVATE_URLS=true is refused in production: it lets webhooks reach private and loopback addresses');
  return allow;
}

/**
 * The provider's issuer: PUBLIC_URL + /oauth in any real deployment (clients compare it character
 * for character); without PUBLIC_URL, the address the API listens on (localhost for 0.0.0.0 or ::).
 */
function oauthIssuer(publicUrl: string | undefined, host: string, port: number): string {
  if (publicUrl) return `${publicUrl.replace(/\/+$/, '')}/oauth`;
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}/oauth`;
}

/** SSO_ALLOW_PRIVATE_ISSUERS: in production it would let a workspace owner make the API call into the internal network. */
function ssoAllowPrivateIssuers(env: Env, nodeEnv: AppConfig['nodeEnv']): boolean {
  const allow = oneOf(env, 'SSO_ALLOW_PRIVATE_ISSUERS', ['true', 'false'] as const, 'false') === 'true';
  if (allow && nodeEnv === 'production') throw new ConfigError('SSO_ALLOW_PRIVATE_ISSUERS=true is refused in production: it lets SSO issuers be private and loopback addresses');
  return allow;
}

/** WORKER_QUEUES: "all" or a comma list of queue names. */
function workerQueues(env: Env): QueueName[] {
  const all = Object.values(Queues);
  const v = (env.WORKER_QUEUES || 'all').trim();
  if (v === 'all') return all;
  const list = [...new Set(v.split(',').map((q) => q.trim()))];
  const bad = list.find((q) => !all.includes(q as QueueName));
  if (bad !== undefined) throw new ConfigError(`WORKER_QUEUES must be "all" or a comma list of ${all.join(', ')} (got "${bad}")`);
  return list as QueueName[];
}

/** ALLOWED_ORIGINS: a comma list of origins (scheme://host[:port], nothing after it). */
function allowedOrigins(env: Env): string[] {
  const v = (env.ALLOWED_ORIGINS ?? '').trim();
  if (!v) return [];
  return v.split(',').map((entry) => {
    const e = entry.trim();
    let origin: string | null = null;
    try {
      const u = new URL(e);
      if ((u.protocol === 'https:' || u.protocol === 'http:') && u.origin === e.replace(/\/$/, '')) origin = u.origin;
    } catch {
      origin = null;
    }
    if (!origin) throw new ConfigError(`ALLOWED_ORIGINS must be a comma list of origins such as https://app.example.com (got "${e}")`);
    return origin;
  });
}

/** WEBAUTHN_RP_ID (a host name, default PUBLIC_URL's or localhost) and the origins passkeys are used from. */
function webauthnSettings(env: Env, publicUrl: string | undefined, origins: string[], port: number): AppConfig['webauthn'] {
  const rpId = env.WEBAUTHN_RP_ID || (publicUrl ? new URL(publicUrl).hostname : 'localhost');
  if (!/^[a-z0-9.-]{1,253}$/i.test(rpId)) throw new ConfigError(`WEBAUTHN_RP_ID must be a host name such as example.com (got "${rpId}")`);
  const rpName = env.WEBAUTHN_RP_NAME || 'Tessera';
  return { rpId, rpName, origins: origins.length ? origins : [publicUrl ? new URL(publicUrl).origin : `http://localhost:${port}`] };
}

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const jwtSecret = env.JWT_SECRET ?? '';
  if (jwtSecret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters (npm start generates one under .data/)');
  const publicUrl = env.PUBLIC_URL || undefined;
  if (publicUrl) url(env, 'PUBLIC_URL', ['http', 'https']);
  const apiProcesses = int(env, 'API_PROCESSES', nodeEnv === 'test' ? 1 : availableParallelism(), 1, 64);
  const port = int(env, 'PORT', 3000, 0, 65535);
  const origins = allowedOrigins(env);
  const host = hostOf(env);
  return {
    nodeEnv,
    port,
    host,
    apiProcesses,
    httpAdapter: oneOf(env, 'HTTP_ADAPTER', ['express', 'fastify'] as const, 'express'),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres', 'postgresql']),
    database: {
      // 20 per process, fewer when many API processes would together pass PostgreSQL's default
      // max_connections (100): about 60 connections for the API processes, the rest for the worker.
      max: int(env, 'DATABASE_POOL_MAX', Math.min(20, Math.max(4, Math.floor(60 / apiProcesses))), 1, 1000),
      acquireTimeoutMs: int(env, 'DATABASE_ACQUIRE_TIMEOUT_MS', 5_000, 100, 600_000),
      statementTimeoutMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 100, 3_600_000),
      lockTimeoutMs: int(env, 'DATABASE_LOCK_TIMEOUT_MS', 5_000, 100, 3_600_000),
      idleInTransactionTimeoutMs: int(env, 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 30_000, 1_000, 3_600_000),
    },
    redisUrl: url(env, 'REDIS_URL', ['redis', 'rediss']),
    jwtSecret,
    encryptionKey: encryptionKeyOf(env, nodeEnv, jwtSecret),
    accessTokenTtlSeconds: int(env, 'ACCESS_TOKEN_TTL_SECONDS', 900, 60, 86_400),
    refreshTokenTtlDays: int(env, 'REFRESH_TOKEN_TTL_DAYS', 30, 1, 365),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, nodeEnv === 'test' ? 'warn' : 'info'),
    trustProxy: trustProxy(env),
    publicUrl,
    bodyLimitBytes: 1024 * 1024,
    smtpUrl: env.SMTP_URL ? url(env, 'SMTP_URL', ['smtp', 'smtps']) : undefined,
    mailFrom: env.MAIL_FROM || 'Tessera <no-reply@tessera.local>',
    rateLimitEnabled: oneOf(env, 'RATE_LIMIT_ENABLED', ['true', 'false'] as const, 'true') === 'true',
    selfServeTiers: tiers(env, 'SELF_SERVE_TIERS', 'free'),
    webhooksAllowPrivateUrls: webhooksAllowPrivateUrls(env, nodeEnv),
    webhooks: webhookSettings(env),
    workerQueues: workerQueues(env),
    sessionTtlHours: int(env, 'SESSION_TTL_HOURS', 168, 1, 8760),
    allowedOrigins: origins,
    webauthn: webauthnSettings(env, publicUrl, origins, port),
    mcpTimeoutMs: int(env, 'MCP_TIMEOUT_MS', 30_000, 100, 120_000),
    oauth: {
      issuer: oauthIssuer(publicUrl, host, port),
      accessTokenTtlSeconds: int(env, 'OAUTH_ACCESS_TOKEN_TTL_SECONDS', 900, 60, 86_400),
      refreshTokenTtlDays: int(env, 'OAUTH_REFRESH_TOKEN_TTL_DAYS', 30, 1, 365),
    },
    ssoAllowPrivateIssuers: ssoAllowPrivateIssuers(env, nodeEnv),
  };
}

/**
 * How long a revocation mark (CredentialCache.revoke) must live: past the last access token that
 * may have been signed for the revoked session or credential, whatever ACCESS_TOKEN_TTL_SECONDS is.
 */
export function revocationMarkSeconds(config: Pick<AppConfig, 'accessTokenTtlSeconds'>): number {
  return config.accessTokenTtlSeconds + 60;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
