import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type IdPrefix =
  | 'usr' | 'ws' | 'key' | 'pat' | 'role' | 'whk' | 'dlv' | 'evt' | 'pst' | 'seo'
  | 'req' | 'ses' | 'aud' | 'rst' | 'px' | 'mcp' | 'inv' | 'emc' | 'att' | 'src' | 'inb' | 'iss';

/**
 * A ULID (48-bit millisecond time + 80 random bits, Crockford base32) behind a type prefix.
 * Ids sort by creation time, which keeps cursor pagination on `id` cheap, while the 80 random
 * bits leave nothing to guess from a neighbour's id.
 */
export function newId(prefix: IdPrefix, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  let random = '';
  // 80 bits = 16 base32 characters, 5 bits at a time.
  let acc = 0n;
  for (const b of bytes) acc = (acc << 8n) | BigInt(b);
  for (let i = 0; i < 16; i++) {
    random = ALPHABET[Number(acc & 31n)] + random;
    acc >>= 5n;
  }
  return `${prefix}_${time}${random}`;
}

const ID_SHAPE = /^([a-z]{2,4})_[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `value` is an id of the given type; anything else can be answered with 404 at once. */
export function isId(prefix: IdPrefix, value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = ID_SHAPE.exec(value);
  return m !== null && m[1] === prefix;
}
