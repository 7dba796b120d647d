import { Inject, Injectable } from '@nestjs/common';
import { MicroBatcher } from '@tessera/common';
import { REDIS } from '@tessera/queue';
import type Redis from 'ioredis';

/**
 * Admission of delivery jobs, atomic across every worker process; one call answers for a batch of
 * deliveries (4 keys and 4 arguments each, in order). For each:
 * 1. in-flight slots (a sorted set of delivery id → lease end): expired leases are dropped first, so
 *    the slots of a killed worker come back on their own; a delivery that holds a slot keeps it;
 *    when all max_in_flight are taken the delivery is parked (FIFO) and told so;
 * 2. the rate (one delivery every 1000/rate ms, no burst: never more than `rate` in any second):
 *    a delivery over the rate reserves the next free instant and is told how long to wait, so
 *    jobs waiting for the rate wake one at a time instead of as a herd; it spends that reservation
 *    when it comes back;
 * 3. then it takes a slot.
 * Answers a flat list, two numbers per delivery: {1, 0} granted, {0, waitMs} wait for the rate, {-1, 0} parked.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 1, #KEYS / 4 do
  local inflight, parked, rate, reserved = KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i]
  local member = ARGV[4 * i - 3]
  local max = tonumber(ARGV[4 * i - 2])
  local lease = tonumber(ARGV[4 * i - 1])
  local interval = tonumber(ARGV[4 * i])
  local granted, wait = 1, 0
  redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now)
  if redis.call('ZSCORE', inflight, member) then
    redis.call('ZADD', inflight, now + lease, member)
    redis.call('PEXPIRE', inflight, lease)
  elseif redis.call('ZCARD', inflight) >= max then
    redis.call('ZADD', parked, 'NX', now, member)
    redis.call('PEXPIRE', parked, 86400000)
    granted = -1
  else
    if interval > 0 then
      local at = tonumber(redis.call('HGET', reserved, member))
      if at then
        if at > now then granted, wait = 0, at - now else redis.call('HDEL', reserved, member) end
      else
        local tat = tonumber(redis.call('GET', rate))
        if tat == nil or tat < now then tat = now end
        redis.call('SET', rate, tat + interval, 'PX', math.ceil(tat + interval - now) + 1000)
        if tat > now then
          redis.call('HSET', reserved, member, tat)
          redis.call('PEXPIRE', reserved, math.ceil(tat - now) + 3600000)
          granted, wait = 0, math.ceil(tat - now)
        end
      end
    end
    if granted == 1 then
      redis.call('ZADD', inflight, now + lease, member)
      redis.call('PEXPIRE', inflight, lease)
      redis.call('ZREM', parked, member)
    end
  end
  out[2 * i - 1] = granted
  out[2 * i] = wait
end
return out
`;

/**
 * Frees slots (2 keys and 1 argument each) and hands back, for each, the longest-parked delivery
 * of that endpoint to wake ('' when none waits).
 */
const RELEASE = `
local out = {}
for i = 1, #KEYS / 2 do
  redis.call('ZREM', KEYS[2 * i - 1], ARGV[i])
  local next = redis.call('ZPOPMIN', KEYS[2 * i])
  out[i] = next[1] or ''
end
return out
`;

const REPARK = `redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) return 1`;

/** Whether the endpoint has a free in-flight slot (expired leases dropped first): 1 or 0. */
const HAS_ROOM = `
local t = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then return 1 end
return 0
`;

const FORGET = `redis.call('ZREM', KEYS[1], ARGV[1]) redis.call('HDEL', KEYS[2], ARGV[1]) return 1`;

type FairnessCommands = {
  tesseraWebhookAcquire(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Promise<number[]>;
  tesseraWebhookRelease(numberOfKeys: number, ...keysThenArgs: string[]): Promise<string[]>;
  tesseraWebhookRepark(parked: string, member: string, score: number): Promise<number>;
  tesseraWebhookForget(parked: string, reserved: string, member: string): Promise<number>;
  tesseraWebhookHasRoom(inflight: string, max: number): Promise<number>;
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
  /** The admissions and releases asked for at once go to Redis together: one script call per batch. */
  private readonly admissions: MicroBatcher<{ endpoint: EndpointLimits; deliveryId: string; leaseMs: number }, Admission>;
  private readonly releases: MicroBatcher<{ endpointId: string; deliveryId: string }, string | null>;

  constructor(@Inject(REDIS) redis: Redis) {
    // No fixed key count: a batch passes 4 keys per admission, 2 per release.
    redis.defineCommand('tesseraWebhookAcquire', { lua: ACQUIRE });
    redis.defineCommand('tesseraWebhookRelease', { lua: RELEASE });
    redis.defineCommand('tesseraWebhookRepark', { numberOfKeys: 1, lua: REPARK });
    redis.defineCommand('tesseraWebhookForget', { numberOfKeys: 2, lua: FORGET });
    redis.defineCommand('tesseraWebhookHasRoom', { numberOfKeys: 1, lua: HAS_ROOM });
    this.commands = redis as unknown as FairnessCommands;
    this.admissions = new MicroBatcher((items) => this.acquireMany(items), { maxBatch: 200, maxInFlight: 1 });
    this.releases = new MicroBatcher((items) => this.releaseMany(items), { maxBatch: 200, maxInFlight: 1 });
  }

  /** Takes a slot for `deliveryId` for `leaseMs` (the job's lock: a dead worker's slot comes back when it lapses). */
  acquire(endpoint: EndpointLimits, deliveryId: string, leaseMs: number): Promise<Admission> {
    return this.admissions.submit({ endpoint, deliveryId, leaseMs });
  }

  /** Frees the slot; returns the parked delivery to wake in its place, if one waits. */
  release(endpointId: string, deliveryId: string): Promise<string | null> {
    return this.releases.submit({ endpointId, deliveryId });
  }

  /** Puts a delivery that could not be woken (its job was still running) back at the head of the line. */
  async repark(endpointId: string, deliveryId: string): Promise<void> {
    await this.commands.tesseraWebhookRepark(keys(endpointId).parked, deliveryId, 0);
  }

  /** Whether a delivery asking now would find a free in-flight slot (its rate aside). */
  async hasRoom(endpoint: EndpointLimits): Promise<boolean> {
    return (await this.commands.tesseraWebhookHasRoom(keys(endpoint.id).inflight, endpoint.maxInFlight)) === 1;
  }

  /**
   * Takes a delivery out of its endpoint's parked line and rate schedule: for an admission that
   * was asked for and is not waited on. Else a freed slot would wake a job that no longer waits.
   */
  async forget(endpointId: string, deliveryId: string): Promise<void> {
    const k = keys(endpointId);
    await this.commands.tesseraWebhookForget(k.parked, k.reserved, deliveryId);
  }

  private async acquireMany(items: ReadonlyArray<{ endpoint: EndpointLimits; deliveryId: string; leaseMs: number }>): Promise<Admission[]> {
    const keyList: string[] = [];
    const args: Array<string | number> = [];
    for (const { endpoint, deliveryId, leaseMs } of items) {
      const k = keys(endpoint.id);
      keyList.push(k.inflight, k.parked, k.rate, k.reserved);
      args.push(deliveryId, endpoint.maxInFlight, leaseMs, endpoint.rateLimitPerSecond ? 1000 / endpoint.rateLimitPerSecond : 0);
    }
    const out = await this.commands.tesseraWebhookAcquire(keyList.length, ...keyList, ...args);
    return items.map((_, i): Admission => {
      const granted = out[2 * i];
      if (granted === 1) return { kind: 'granted' };
      if (granted === 0) return { kind: 'rate', waitMs: out[2 * i + 1] };
      return { kind: 'parked' };
    });
  }

  private async releaseMany(items: ReadonlyArray<{ endpointId: string; deliveryId: string }>): Promise<Array<string | null>> {
    const keyList: string[] = [];
    for (const { endpointId } of items) {
      const k = keys(endpointId);
      keyList.push(k.inflight, k.parked);
    }
    const out = await this.commands.tesseraWebhookRelease(keyList.length, ...keyList, ...items.map((x) => x.deliveryId));
    return out.map((next) => next || null);
  }
}
