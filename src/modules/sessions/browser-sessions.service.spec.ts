import { describe, expect, it } from 'vitest';
import { hashSecret, RequestLike } from '@tessera/common';
import type { AppConfig } from '../../config/config';
import type { CredentialCache } from '@tessera/queue';
import { BrowserSessionsService } from './browser-sessions.service';
import type { BrowserSessionsRepository } from './browser-sessions.repository';
import { BrowserSessionEntity } from './browser-session.entity';

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

  describe('signedInUser', () => {
    const secret = `tsr_ses_${'A'.repeat(43)}`;
    const session = Object.assign(new BrowserSessionEntity(), { id: 'bss_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', userId: 'usr_1', workspaceId: null, authMethod: 'password', expiresAt: new Date(Date.now() + 60_000) });
    const repo = { findLiveByHash: async (hash: Buffer) => (hash.equals(hashSecret(secret)) ? session : null), touch: async () => undefined } as unknown as BrowserSessionsRepository;
    const cache = { lookup: (_key: string, load: () => Promise<unknown>) => load() } as unknown as CredentialCache;
    const pages = new BrowserSessionsService(repo, cache, { encryptionKey: Buffer.alloc(32, 1) } as AppConfig);
    const page = (cookie: string, tls: boolean): RequestLike => ({ method: 'GET', headers: { cookie }, socket: { remoteAddress: '127.0.0.1', encrypted: tls } as RequestLike['socket'] });

    it('should read the cookie the guard reads: __Host-tessera_session over HTTPS, tessera_session over HTTP', async () => {
      expect(await pages.signedInUser(page(`__Host-tessera_session=${secret}`, true))).toMatchObject({ id: session.id, userId: 'usr_1' });
      expect(await pages.signedInUser(page(`tessera_session=${secret}`, false))).toMatchObject({ id: session.id });
    });

    it('should not read a session cookie without the prefix over HTTPS (a sibling subdomain can plant one)', async () => {
      expect(await pages.signedInUser(page(`tessera_session=${secret}`, true))).toBeNull();
      expect(await pages.signedInUser(page(`__Host-tessera_session=${secret}`, false))).toBeNull();
    });
  });
});
