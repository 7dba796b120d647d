import { randomBytes } from 'node:crypto';
import { seal } from '@tessera/common';
import { describe, expect, it } from 'vitest';
import { liveSecrets } from './endpoint-secrets';

describe(liveSecrets.name, () => {
  const key = randomBytes(32);
  const id = 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8';
  const now = new Date('2026-01-15T10:30:00.000Z');
  const endpoint = (previousExpiresAt: Date | null) => ({
    id,
    secretSealed: seal(key, 'whsec_new', id),
    previousSecretSealed: previousExpiresAt ? seal(key, 'whsec_old', id) : null,
    previousSecretExpiresAt: previousExpiresAt,
  });

  it('should sign with the current secret alone outside a rotation', () => {
    expect(liveSecrets(key, endpoint(null), now)).toEqual(['whsec_new']);
  });

  it('should add the previous secret while its grace lasts, and drop it once it ended', () => {
    expect(liveSecrets(key, endpoint(new Date(now.getTime() + 1)), now)).toEqual(['whsec_new', 'whsec_old']);
    expect(liveSecrets(key, endpoint(now), now)).toEqual(['whsec_new']);
  });

  it('should throw if a secret was sealed for another endpoint', () => {
    expect(() => liveSecrets(key, { ...endpoint(null), id: 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V9' }, now)).toThrow();
  });

  it('should still throw for a copied secret once its own endpoint has opened it (opened secrets are kept per endpoint)', () => {
    const own = endpoint(null);
    expect(liveSecrets(key, own, now)).toEqual(['whsec_new']);
    expect(() => liveSecrets(key, { ...own, id: 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V9' }, now)).toThrow();
  });
});
