import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

const base = { DATABASE_URL: 'postgres://u:p@localhost:5432/db', REDIS_URL: 'redis://localhost:6379', JWT_SECRET: 'x'.repeat(32) };

describe(loadConfig.name, () => {
  it('should apply defaults', () => {
    const sut = loadConfig(base);
    expect(sut).toMatchObject({ port: 3000, httpAdapter: 'express', nodeEnv: 'development', accessTokenTtlSeconds: 900, trustProxy: false, host: '127.0.0.1' });
  });

  it('should take the passkeys\' relying party and origins from ALLOWED_ORIGINS, else PUBLIC_URL, else localhost', () => {
    expect(loadConfig(base)).toMatchObject({ sessionTtlHours: 168, allowedOrigins: [], webauthn: { rpId: 'localhost', rpName: 'Tessera', origins: ['http://localhost:3000'] } });
    expect(loadConfig({ ...base, PUBLIC_URL: 'https://api.example.com/' }).webauthn).toEqual({ rpId: 'api.example.com', rpName: 'Tessera', origins: ['https://api.example.com'] });
    const sut = loadConfig({ ...base, ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173', WEBAUTHN_RP_ID: 'example.com' });
    expect(sut.allowedOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(sut.webauthn).toMatchObject({ rpId: 'example.com', origins: ['https://app.example.com', 'http://localhost:5173'] });
  });

  it('should name the bad variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...base, DATABASE_URL: '' }, /^DATABASE_URL/],
      [{ ...base, DATABASE_URL: 'mysql://x' }, /^DATABASE_URL/],
      [{ ...base, REDIS_URL: 'not a url' }, /^REDIS_URL/],
      [{ ...base, JWT_SECRET: 'short' }, /^JWT_SECRET/],
      [{ ...base, PORT: '70000' }, /^PORT/],
      [{ ...base, HTTP_ADAPTER: 'koa' }, /^HTTP_ADAPTER/],
      [{ ...base, TRUST_PROXY: 'yes' }, /^TRUST_PROXY/],
      [{ ...base, TRUST_PROXY: '10.0.0.0/33' }, /^TRUST_PROXY/],
      [{ ...base, HOST: 'http://0.0.0.0:3000' }, /^HOST/],
      [{ ...base, ENCRYPTION_KEY: 'too short' }, /^ENCRYPTION_KEY/],
      [{ ...base, NODE_ENV: 'production' }, /^ENCRYPTION_KEY is required/],
      [{ ...base, ALLOWED_ORIGINS: 'app.example.com' }, /^ALLOWED_ORIGINS/],
      [{ ...base, ALLOWED_ORIGINS: 'https://app.example.com/path' }, /^ALLOWED_ORIGINS/],
      [{ ...base, ALLOWED_ORIGINS: 'ftp://app.example.com' }, /^ALLOWED_ORIGINS/],
      [{ ...base, SESSION_TTL_HOURS: '0' }, /^SESSION_TTL_HOURS/],
      [{ ...base, WEBAUTHN_RP_ID: 'https://example.com' }, /^WEBAUTHN_RP_ID/],
    ];
    for (const [env, message] of cases) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
  });

  it('should read TRUST_PROXY as false, one hop, a hop count or a list of proxies', () => {
    expect(loadConfig({ ...base, TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy).toEqual(['10.0.0.0/8', '::1']);
  });

  it('should read ENCRYPTION_KEY, else derive one outside production', () => {
    const key = Buffer.alloc(32, 7);
    expect(loadConfig({ ...base, NODE_ENV: 'production', ENCRYPTION_KEY: key.toString('base64') }).encryptionKey).toEqual(key);
    expect(loadConfig({ ...base, ENCRYPTION_KEY: key.toString('hex') }).encryptionKey).toEqual(key);
    const derived = loadConfig(base).encryptionKey;
    expect(derived).toHaveLength(32);
    expect(derived).toEqual(loadConfig(base).encryptionKey);
  });

  it('should allow private webhook URLs only outside production', () => {
    expect(loadConfig(base).webhooksAllowPrivateUrls).toBe(false);
    expect(loadConfig({ ...base, WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' }).webhooksAllowPrivateUrls).toBe(true);
    const production = { ...base, NODE_ENV: 'production', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
    expect(() => loadConfig({ ...production, WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' })).toThrow(/WEBHOOKS_ALLOW_PRIVATE_URLS=true is refused in production/);
    expect(loadConfig({ ...production, WEBHOOKS_ALLOW_PRIVATE_URLS: 'false' }).webhooksAllowPrivateUrls).toBe(false);
    expect(() => loadConfig({ ...base, WEBHOOKS_ALLOW_PRIVATE_URLS: 'yes' })).toThrow(/WEBHOOKS_ALLOW_PRIVATE_URLS must be one of/);
  });

  it('should name the OAuth issuer after PUBLIC_URL, else after the address the API listens on', () => {
    expect(loadConfig(base).oauth).toEqual({ issuer: 'http://127.0.0.1:3000/oauth', accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30 });
    expect(loadConfig({ ...base, PUBLIC_URL: 'https://api.example.com/' }).oauth.issuer).toBe('https://api.example.com/oauth');
    expect(loadConfig({ ...base, HOST: '0.0.0.0', PORT: '8080' }).oauth.issuer).toBe('http://localhost:8080/oauth');
    expect(loadConfig({ ...base, HOST: '::1' }).oauth.issuer).toBe('http://[::1]:3000/oauth');
    expect(() => loadConfig({ ...base, OAUTH_ACCESS_TOKEN_TTL_SECONDS: '5' })).toThrow(/^OAUTH_ACCESS_TOKEN_TTL_SECONDS/);
    expect(() => loadConfig({ ...base, OAUTH_REFRESH_TOKEN_TTL_DAYS: '0' })).toThrow(/^OAUTH_REFRESH_TOKEN_TTL_DAYS/);
  });

  it('should allow private SSO issuers only outside production', () => {
    expect(loadConfig(base).ssoAllowPrivateIssuers).toBe(false);
    expect(loadConfig({ ...base, SSO_ALLOW_PRIVATE_ISSUERS: 'true' }).ssoAllowPrivateIssuers).toBe(true);
    const production = { ...base, NODE_ENV: 'production', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
    expect(() => loadConfig({ ...production, SSO_ALLOW_PRIVATE_ISSUERS: 'true' })).toThrow(/SSO_ALLOW_PRIVATE_ISSUERS=true is refused in production/);
  });

  it('should take the webhook retry schedule and refuse a job lock that the HTTP timeout could outlast', () => {
    expect(loadConfig(base).webhooks).toMatchObject({ timeoutMs: 15_000, retrySchedule: [5, 300, 1800, 7200, 18000, 36000, 36000], lockDurationMs: 60_000 });
    expect(loadConfig({ ...base, WEBHOOKS_RETRY_SCHEDULE: '0.2, 0.5,1' }).webhooks.retrySchedule).toEqual([0.2, 0.5, 1]);
    expect(() => loadConfig({ ...base, WEBHOOKS_RETRY_SCHEDULE: '1,soon' })).toThrow(/^WEBHOOKS_RETRY_SCHEDULE/);
    expect(() => loadConfig({ ...base, WEBHOOKS_TIMEOUT_MS: '30000', WEBHOOKS_LOCK_MS: '40000' })).toThrow(/WEBHOOKS_LOCK_MS \(40000\) must exceed WEBHOOKS_TIMEOUT_MS \(30000\)/);
    expect(loadConfig({ ...base, WEBHOOKS_TIMEOUT_MS: '60000' }).webhooks.lockDurationMs).toBe(90_000);
  });

  it('should let a worker serve only the queues WORKER_QUEUES names', () => {
    expect(loadConfig(base).workerQueues).toEqual(['maintenance', 'mail', 'metering', 'webhooks', 'pixel']);
    expect(loadConfig({ ...base, WORKER_QUEUES: 'webhooks' }).workerQueues).toEqual(['webhooks']);
    expect(() => loadConfig({ ...base, WORKER_QUEUES: 'mail,sms' })).toThrow(/^WORKER_QUEUES must be "all" or a comma list of .* \(got "sms"\)/);
  });
});
