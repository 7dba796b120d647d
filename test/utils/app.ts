import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { inject } from 'vitest';
import { createApp } from '../../src/bootstrap';
import { AppConfig, loadConfig } from '../../src/config/config';
import { WorkerModule } from '../../src/worker.module';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    HTTP_ADAPTER: process.env.HTTP_ADAPTER ?? 'express',
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    JWT_SECRET: TEST_JWT_SECRET,
    PORT: '0',
    API_PROCESSES: '1',
    // Most suites make many requests from one address; test/e2e/rate-limits turns limits on.
    RATE_LIMIT_ENABLED: 'false',
    // Webhook receivers in tests listen on 127.0.0.1; test/e2e/webhooks turns it off to check the
    // refusals. Production refuses to boot with it, so a suite booting production goes without.
    ...(overrides.NODE_ENV === 'production' ? {} : { WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' }),
    // npm test runs the whole suite once more with a pool of one connection: any code path that
    // needs a second connection while holding one then fails instead of passing by luck.
    ...(process.env.DATABASE_POOL_MAX ? { DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX } : {}),
    ...overrides,
  });
}

export interface TestApp {
  app: INestApplication;
  /** Base URL of the listening server, e.g. http://127.0.0.1:41234 */
  url: string;
  /** supertest against the real server (works on both HTTP platforms). */
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

/** Boots the real API (the same bootstrap as production) on a free port. */
export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  const app = await createApp(config);
  // PORT 0 (the default here): any free port. A spec that needs its URL in advance (the OAuth
  // provider's issuer) picks a free port and passes it, with PUBLIC_URL.
  await app.listen(config.port, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return { app, url, http: () => request(url), close: () => app.close() };
}

/** Boots the real worker process's module (mail, maintenance, webhook delivery): it makes tokens and "sends" mail to the development mailbox. */
export async function startTestWorker(overrides: Record<string, string> = {}): Promise<INestApplicationContext> {
  const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(testConfig(overrides)), { logger: false, abortOnError: false });
  await worker.init();
  return worker;
}
