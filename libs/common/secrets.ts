import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A bearer secret: a recognisable prefix and 32 bytes (256 bits) from the CSPRNG, base64url. */
export function newSecret(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/**
 * SHA-256 of a random secret. Secrets here carry 256 random bits, so a fast hash is enough to
 * store them safely (no KDF needed, unlike passwords) and lets a lookup use a unique index.
 */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function equalHashes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
