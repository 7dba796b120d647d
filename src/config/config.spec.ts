import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

const base = { DATABASE_URL: 'postgres://u:p@localhost:5432/db', REDIS_URL: 'redis://localhost:6379', JWT_SECRET: 'x'.repeat(32) };

describe(loadConfig.name, () => {
  it('should apply defaults', () => {
    const sut = loadConfig(base);
    expect(sut).toMatchObject({ port: 3000, httpAdapter: 'express', nodeEnv: 'development', accessTokenTtlSeconds: 900, trustProxy: false, host: '127.0.0.1' });
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
      [{ ...base, HOST: 'http://0.0.0.0:3000' }, /^HOST/],
    ];
    for (const [env, message] of cases) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
  });
});
