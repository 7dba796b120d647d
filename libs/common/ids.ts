import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type IdPrefix =
  | 'usr' | 'ws' | 'key' | 'pat' | 'role' | 'whk' | 'dlv' | 'evt' | 'pst' | 'seo'
  | 'req' | 'ses' | 'aud' | 'rst' | 'px' | 'mcp' | 'inv' | 'emc' | 'att' | 'src' | 'inb'
  | 'bss' | 'mfc' | 'mgl' | 'pky'
  | 'oac' | 'oag' | 'osk' | 'sso' | 'iss';

/**
 * CSPRNG bytes taken from a pooled buffer (one system call per 4 KiB, not one per id): every id of
 * a request, an attempt or an event needs 10 of them, and ids are made on the hottest paths.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function takeRandom(bytes: number): number {
  if (poolOffset + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += bytes;
  return at;
}

/** 40 bits of the pool from `at` as 8 Crockford base32 characters (40 bits fit a double exactly). */
function base32Of40Bits(at: number): string {
  let n = pool[at] * 2 ** 32 + pool.readUInt32BE(at + 1);
  let out = '';
  for (let i = 0; i < 8; i++) {
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
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const at = takeRandom(10);
  return `${prefix}_${time}${base32Of40Bits(at)}${base32Of40Bits(at + 5)}`;
}

const ID_SHAPE = /^([a-z]{2,4})_[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `value` is an id of the given type; anything else can be answered with 404 at once. */
export function isId(prefix: IdPrefix, value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = ID_SHAPE.exec(value);
  return m !== null && m[1] === prefix;
}
