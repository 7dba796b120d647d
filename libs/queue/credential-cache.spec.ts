import type Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CredentialCache } from './credential-cache';

describe(CredentialCache.name, () => {
  const sut = () => new CredentialCache({} as Redis);

  it('should not ask the database twice for an unknown hash within the miss TTL', async () => {
    const cache = sut();
    let loads = 0;
    const load = async () => {
      loads++;
      return null;
    };
    expect(await cache.lookup('unknown', load)).toBeNull();
    expect(await cache.lookup('unknown', load)).toBeNull();
    expect(loads).toBe(1);
    expect(cache.has('unknown')).toBe(false);
  });

  it('should still load a hash it has not seen, next to a cached miss', async () => {
    const cache = sut();
    await cache.lookup('unknown', async () => null);
    const key = { id: 'key_1', expiresAt: null };
    expect(await cache.lookup('new', async () => key)).toEqual(key);
    expect(cache.has('new')).toBe(true);
  });
});
