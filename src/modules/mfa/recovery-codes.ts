import { createHmac, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** Ten new recovery codes, `xxxx-xxxx-xxxx` (60 random bits each, no look-alike characters). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(12);
    const chars = [...bytes].map((b) => ALPHABET[b & 31]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}

/** What a user may type: any case, with or without the dashes and spaces. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

/**
 * How a recovery code is stored: HMAC-SHA256 under the server's key, bound to its user. 60 bits
 * would fall to brute force as a bare SHA-256 of a leaked table; without the key they do not.
 */
export function hashRecoveryCode(key: Buffer, userId: string, code: string): Buffer {
  return createHmac('sha256', key).update(`tessera-recovery-code:${userId}:${normalizeRecoveryCode(code)}`).digest();
}
