import { describe, expect, it } from 'vitest';
import { AppConfig } from '../../config/config';
import { DeliveryProcessor } from './delivery.processor';

describe(DeliveryProcessor.name, () => {
  const sut = (webhooks: Partial<AppConfig['webhooks']>) =>
    new DeliveryProcessor({} as never, {} as never, {} as never, {} as never, { webhooks: { timeoutMs: 15_000, lockDurationMs: 60_000, ...webhooks } } as AppConfig);

  it('should refuse to start with a job lock that the HTTP timeout plus 15 s could outlast', () => {
    expect(() => sut({ timeoutMs: 30_000, lockDurationMs: 40_000 }).onModuleInit()).toThrow(/could deliver twice/);
    expect(() => sut({ timeoutMs: 15_000, lockDurationMs: 29_999 }).onModuleInit()).toThrow();
  });

  it('should start with a lock of at least the timeout plus 15 s', () => {
    expect(() => sut({ timeoutMs: 15_000, lockDurationMs: 30_000 }).onModuleInit()).not.toThrow();
    expect(() => sut({}).onModuleInit()).not.toThrow();
  });
});
