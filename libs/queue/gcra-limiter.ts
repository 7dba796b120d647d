import type Redis from 'ioredis';

/**
 * GCRA (the generic cell rate algorithm) in one Lua script, so a check-and-update is atomic
 * across every API process: a bucket of `limit` requests that refills evenly over `ttl`
 * (one request every ttl/limit ms). Unlike a fixed window it never lets twice the limit through
 * at a window boundary, and it keeps one number per bucket. Time is Redis's own clock.
 */
const GCRA = `
local key = KEYS[1]
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local tolerance = interval * capacity
local tat = tonumber(redis.call('GET', key))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
if new_tat - tolerance > now then
  return {0, 0, math.ceil(tat - now), math.ceil(new_tat - tolerance - now)}
end
redis.call('SET', key, new_tat, 'PX', math.ceil(new_tat - now))
if KEYS[2] then redis.call('HINCRBY', KEYS[2], ARGV[3], 1) end
return {1, math.floor((tolerance - (new_tat - now)) / interval), math.ceil(new_tat - now), 0}
`;

/** The same bucket, read without spending from it: how long until one more request would be allowed. */
const GCRA_PEEK = `
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then return {0, 0} end
return {math.max(0, math.ceil(tat + interval - interval * capacity - now)), math.ceil(tat - now)}
`;

type GcraCommands = {
  tesseraGcra(key: string, interval: number, capacity: number): Promise<[number, number, number, number]>;
  tesseraGcraCounted(key: string, counterKey: string, interval: number, capacity: number, field: string): Promise<[number, number, number, number]>;
  tesseraGcraPeek(key: string, interval: number, capacity: number): Promise<[number, number]>;
};

export interface GcraResult {
  allowed: boolean;
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Milliseconds until the next request would be allowed (0 when allowed). */
  retryAfterMs: number;
}

/** The rate limiter's store in Redis: every limit of the platform (tiers, routes, budgets) spends from it. */
export class GcraLimiter {
  constructor(private readonly redis: Redis, private readonly prefix = 'tessera:rl:') {
    this.redis.defineCommand('tesseraGcra', { numberOfKeys: 1, lua: GCRA });
    this.redis.defineCommand('tesseraGcraCounted', { numberOfKeys: 2, lua: GCRA });
    this.redis.defineCommand('tesseraGcraPeek', { numberOfKeys: 1, lua: GCRA_PEEK });
  }

  /**
   * Spends one request from the bucket. With `count`, an allowed request also adds 1 to that hash
   * field in the same script: the rate limit and a usage counter in one round trip.
   */
  async check(key: string, limit: number, windowMs: number, count?: { key: string; field: string }): Promise<GcraResult> {
    const commands = this.redis as unknown as GcraCommands;
    const [allowed, remaining, resetMs, retryAfterMs] = count
      ? await commands.tesseraGcraCounted(this.prefix + key, count.key, windowMs / limit, limit, count.field)
      : await commands.tesseraGcra(this.prefix + key, windowMs / limit, limit);
    return { allowed: allowed === 1, remaining, resetMs, retryAfterMs };
  }

  /** Whether the bucket is empty, without spending from it (retryAfterMs 0: one more would be allowed). */
  async peek(key: string, limit: number, windowMs: number): Promise<{ retryAfterMs: number; resetMs: number }> {
    const [retryAfterMs, resetMs] = await (this.redis as unknown as GcraCommands).tesseraGcraPeek(this.prefix + key, windowMs / limit, limit);
    return { retryAfterMs, resetMs };
  }
}
