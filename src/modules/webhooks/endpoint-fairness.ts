import { Inject, Injectable } from '@nestjs/common';
import { REDIS } from '@tessera/queue';
import type Redis from 'ioredis';

/**
 * One call per delivery job, atomic across every worker process:
 * 1. in-flight slots (a sorted set of delivery id → lease end): expired leases are dropped first, so
 *    the slots of a killed worker come back on their own; a delivery that holds a slot keeps it;
 *    when all max_in_flight are taken the delivery is parked (FIFO) and told so;
 * 2. the rate (one delivery every 1000/rate ms, no burst: never more than `rate` in any second):
 *    a delivery over the rate reserves the next free instant and is told how long to wait, so
 *    jobs waiting for the rate wake one at a time instead of as a herd; it spends that reservation
 *    when it comes back;
 * 3. then it takes a slot.
 * Returns {1, 0} granted, {0, waitMs} wait for the rate, {-1, 0} parked.
 */
const ACQUIRE = `
local inflight, parked, rate, reserved = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local member = ARGV[1]
local max = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local interval = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now)
if redis.call('ZSCORE', inflight, member) then
  redis.call('ZADD', inflight, now + lease, member)
  redis.call('PEXPIRE', inflight, lease)
  return {1, 0}
end
if redis.call('ZCARD', inflight) >= max then
  redis.call('ZADD', parked, 'NX', now, member)
  redis.call('PEXPIRE', parked, 86400000)
  return {-1, 0}
end
if interval > 0 then
  local at = tonumber(redis.call('HGET', reserved, member))
  if at then
    if at > now then return {0, at - now} end
    redis.call('HDEL', reserved, member)
  else
    local tat = tonumber(redis.call('GET', rate))
    if tat == nil or tat < now then tat = now end
    redis.call('SET', rate, tat + interval, 'PX', math.ceil(tat + interval - now) + 1000)
    if tat > now then
      redis.call('HSET', reserved, member, tat)
      redis.call('PEXPIRE', reserved, math.ceil(tat - now) + 3600000)
      return {0, math.ceil(tat - now)}
    end
  end
end
redis.call('ZADD', inflight, now + lease, member)
redis.call('PEXPIRE', inflight, lease)
redis.call('ZREM', parked, member)
return {1, 0}
`;

/** Frees the delivery's slot and hands back the longest-parked delivery, if any, to wake. */
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
local next = redis.call('ZPOPMIN', KEYS[2])
return next[1]
`;

const REPARK = `redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) return 1`;

type FairnessCommands = {
  tesseraWebhookAcquire(inflight: string, parked: string, rate: string, reserved: string, member: string, max: number, leaseMs: number, intervalMs: number): Promise<[number, number]>;
  tesseraWebhookRelease(inflight: string, parked: string, member: string): Promise<string | null>;
  tesseraWebhookRepark(parked: string, member: string, score: number): Promise<number>;
};

export type Admission = { kind: 'granted' } | { kind: 'rate'; waitMs: number } | { kind: 'parked' };

export interface EndpointLimits {
  id: string;
  maxInFlight: number;
  rateLimitPerSecond: number | null;
}

const keys = (endpointId: string) => ({
  inflight: `tessera:webhooks:inflight:${endpointId}`,
  parked: `tessera:webhooks:parked:${endpointId}`,
  rate: `tessera:webhooks:rate:${endpointId}`,
  reserved: `tessera:webhooks:reserved:${endpointId}`,
});

/**
 * Per-endpoint limits shared by every worker process: at most max_in_flight requests in flight
 * and at most rate_limit_per_second a second. A job over a limit waits in BullMQ's delayed set,
 * holding no worker slot; a parked one is woken when a slot frees.
 */
@Injectable()
export class EndpointFairness {
  private readonly commands: FairnessCommands;

  constructor(@Inject(REDIS) redis: Redis) {
    redis.defineCommand('tesseraWebhookAcquire', { numberOfKeys: 4, lua: ACQUIRE });
    redis.defineCommand('tesseraWebhookRelease', { numberOfKeys: 2, lua: RELEASE });
    redis.defineCommand('tesseraWebhookRepark', { numberOfKeys: 1, lua: REPARK });
    this.commands = redis as unknown as FairnessCommands;
  }

  /** Takes a slot for `deliveryId` for `leaseMs` (the job's lock: a dead worker's slot comes back when it lapses). */
  async acquire(endpoint: EndpointLimits, deliveryId: string, leaseMs: number): Promise<Admission> {
    const k = keys(endpoint.id);
    const interval = endpoint.rateLimitPerSecond ? 1000 / endpoint.rateLimitPerSecond : 0;
    const [granted, waitMs] = await this.commands.tesseraWebhookAcquire(k.inflight, k.parked, k.rate, k.reserved, deliveryId, endpoint.maxInFlight, leaseMs, interval);
    if (granted === 1) return { kind: 'granted' };
    if (granted === 0) return { kind: 'rate', waitMs };
    return { kind: 'parked' };
  }

  /** Frees the slot; returns the parked delivery to wake in its place, if one waits. */
  release(endpointId: string, deliveryId: string): Promise<string | null> {
    const k = keys(endpointId);
    return this.commands.tesseraWebhookRelease(k.inflight, k.parked, deliveryId);
  }

  /** Puts a delivery that could not be woken (its job was still running) back at the head of the line. */
  async repark(endpointId: string, deliveryId: string): Promise<void> {
    await this.commands.tesseraWebhookRepark(keys(endpointId).parked, deliveryId, 0);
  }
}
