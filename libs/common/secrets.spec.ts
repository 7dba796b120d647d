import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey32, parseKey32, seal, unseal } from './secrets';

describe(seal.name, () => {
  const key = randomBytes(32);

  it('should round-trip and never show the plaintext', () => {
    const sealed = seal(key, 'sk_live_secret', 'ctx');
    expect(sealed).not.toContain('sk_live_secret');
    expect(unseal(key, sealed, 'ctx').toString('utf8')).toBe('sk_live_secret');
    expect(seal(key, 'same', 'ctx')).not.toBe(seal(key, 'same', 'ctx'));
  });

  it('should throw for another key, another context or an altered value', () => {
    const sealed = seal(key, 'payload', 'a');
    expect(() => unseal(randomBytes(32), sealed, 'a')).toThrow();
    expect(() => unseal(key, sealed, 'b')).toThrow();
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => unseal(key, `v1.${raw.toString('base64url')}`, 'a')).toThrow();
  });
});

describe(parseKey32.name, () => {
  it('should read hex and base64 of 32 bytes and refuse anything else', () => {
    const key = randomBytes(32);
    expect(parseKey32(key.toString('hex'))).toEqual(key);
    expect(parseKey32(key.toString('base64'))).toEqual(key);
    expect(parseKey32(key.toString('base64url'))).toEqual(key);
    for (const bad of ['', 'short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), 'x'.repeat(64)]) expect(parseKey32(bad)).toBeNull();
  });

  it('should derive distinct keys per purpose', () => {
    expect(deriveKey32('s'.repeat(32), 'a')).toHaveLength(32);
    expect(deriveKey32('s'.repeat(32), 'a')).not.toEqual(deriveKey32('s'.repeat(32), 'b'));
  });
});
