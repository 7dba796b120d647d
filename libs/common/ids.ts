import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type IdPrefix =
  | 'usr' | 'ws' | 'key' | 'pat' | 'role' | 'whk' | 'dlv' | 'evt' | 'pst' | 'seo'
  | 'req' | 'ses' | 'aud' | 'rst' | 'px' | 'mcp' | 'inv' | 'emc' | 'att' | 'src' | 'inb' | 'iss';

/** Random bytes are drawn this many at a time: one call into the CSPRNG per 409 ids, not one per id. */
const POOL_BYTES = 4090;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** `count` base32 characters of the 5 * count low bits of `n` (n < 2^53), most significant first. */
function base32(n: number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/**
 * A ULID (48-bit millisecond time + 80 random bits, Crockford base32) behind a type prefix.
 * Ids sort by creation time, which keeps cursor pagination on `id` cheap, while the 80 random
 * bits leave nothing to guess from a neighbour's id. Every request gets one (its request id), so
 * it is made without BigInt, from a pool of CSPRNG bytes.
 */
export function newId(prefix: IdPrefix, now = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const b = pool;
  const o = poolOffset;
  poolOffset += 10;
  // 80 random bits as two 40-bit halves (exact in a double), 8 characters each.
  const high = b[o] * 2 ** 32 + (((b[o + 1] << 24) | (b[o + 2] << 16) | (b[o + 3] << 8) | b[o + 4]) >>> 0);
  const low = b[o + 5] * 2 ** 32 + (((b[o + 6] << 24) | (b[o + 7] << 16) | (b[o + 8] << 8) | b[o + 9]) >>> 0);
  return `${prefix}_${base32(now, 10)}${base32(high, 8)}${base32(low, 8)}`;
}

const ID_SHAPE = /^([a-z]{2,4})_[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `value` is an id of the given type; anything else can be answered with 404 at once. */
export function isId(prefix: IdPrefix, value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = ID_SHAPE.exec(value);
  return m !== null && m[1] === prefix;
}
