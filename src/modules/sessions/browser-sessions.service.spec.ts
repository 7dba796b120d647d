import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config/config';
import type { CredentialCache } from '@tessera/queue';
import { BrowserSessionsService } from './browser-sessions.service';
import type { BrowserSessionsRepository } from './browser-sessions.repository';

describe(BrowserSessionsService.name, () => {
  // The CSRF token needs no storage: only the key from the configuration.
  const sut = new BrowserSessionsService({} as BrowserSessionsRepository, {} as CredentialCache, { encryptionKey: Buffer.alloc(32, 1) } as AppConfig);

  it('should accept a session\'s own CSRF token from a form field, and nothing else', () => {
    const token = sut.csrfToken('bss_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8');
    expect(sut.isCsrfToken('bss_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', token)).toBe(true);
    expect(sut.isCsrfToken('bss_01JD2V6ZQ8W3M9Q7R4T5Y6U7V9', token)).toBe(false);
    for (const wrong of [undefined, 42, '', `${token}x`, token.slice(1), ['x']]) expect(sut.isCsrfToken('bss_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', wrong)).toBe(false);
  });

  it('should refuse a malformed cookie secret without looking it up', async () => {
    expect(await sut.verify('garbage')).toBeNull();
    expect(sut.isVerified('garbage')).toBe(false);
  });
});
