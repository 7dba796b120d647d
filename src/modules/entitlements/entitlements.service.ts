import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { ApiError, ErrorCode } from '@tessera/common';
import { REDIS } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import type { Tier } from '../auth/principal';
import { EntitlementsRepository } from './entitlements.repository';
import { Feature, FEATURE_KINDS, FEATURES, periodOf, PLAN_LIMITS, resetAtOf } from './plans';

import { PENDING_API_CALLS } from './api-call-meter';

export { PENDING_API_CALLS };
export const FLUSHING_API_CALLS = 'tessera:usage:flushing:api_calls';

/** Counts the live resources of a feature in a workspace (registered by the module that owns them). */
export type ResourceCounter = (workspaceId: string) => Promise<number>;

export interface WorkspaceRef {
  id: string;
  tier: Tier;
}

export interface Check {
  allowed: boolean;
  feature: Feature;
  current_usage: number;
  limit: number | null;
  available: number | null;
  reason?: 'LIMIT_EXCEEDED';
  message?: string;
  upgrade_url?: string;
}

/** What each workspace may use (plan by tier, overridden per workspace) and what it has used. */
@Injectable()
export class EntitlementsService {
  private readonly counters = new Map<Feature, ResourceCounter>();

  constructor(
    private readonly repo: EntitlementsRepository,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  registerCounter(feature: Feature, counter: ResourceCounter): void {
    this.counters.set(feature, counter);
  }

  get upgradeUrl(): string {
    return `${this.config.publicUrl ?? `http://localhost:${this.config.port}`}/billing/upgrade`;
  }

  /** The workspace's limit: its override when it has one, else its tier's. Pass `overrides` when already loaded. */
  async limit(ws: WorkspaceRef, feature: Feature, overrides?: Map<string, number | null>): Promise<number | null> {
    const o = overrides ?? (await this.repo.overrides(ws.id));
    return o.has(feature) ? o.get(feature)! : PLAN_LIMITS[ws.tier][feature];
  }

  /** A platform operator's override of one limit of a workspace (null: unlimited). */
  setOverride(workspaceId: string, feature: Feature, limit: number | null): Promise<void> {
    return this.repo.setOverride(workspaceId, feature, limit);
  }

  /** Back to the tier's limit; false when there was no override. */
  removeOverride(workspaceId: string, feature: Feature): Promise<boolean> {
    return this.repo.deleteOverride(workspaceId, feature);
  }

  async overrides(workspaceId: string): Promise<Record<string, number | null>> {
    return Object.fromEntries(await this.repo.overrides(workspaceId));
  }

  async usage(workspaceId: string, feature: Feature): Promise<number> {
    if (FEATURE_KINDS[feature].kind === 'resource') return (await this.counters.get(feature)?.(workspaceId)) ?? 0;
    const period = periodOf(feature);
    const stored = await this.repo.used(workspaceId, feature, period);
    if (feature !== 'api_calls') return stored;
    // Calls counted in Redis that the worker has not flushed to PostgreSQL yet.
    const field = `${workspaceId}|${period}`;
    const [pending, flushing] = await Promise.all([this.redis.hget(PENDING_API_CALLS, field), this.redis.hget(FLUSHING_API_CALLS, field)]);
    return stored + Number(pending ?? 0) + Number(flushing ?? 0);
  }

  async check(ws: WorkspaceRef, feature: Feature, quantity: number): Promise<Check> {
    const [used, limit] = await Promise.all([this.usage(ws.id, feature), this.limit(ws, feature)]);
    const available = limit === null ? null : Math.max(0, limit - used);
    if (limit === null || used + quantity <= limit) return { allowed: true, feature, current_usage: used, limit, available };
    return {
      allowed: false,
      feature,
      current_usage: used,
      limit,
      available,
      reason: 'LIMIT_EXCEEDED',
      message: `The ${feature} limit of this workspace's plan (${limit}) does not allow ${quantity} more.`,
      upgrade_url: this.upgradeUrl,
    };
  }

  /** Records consumable usage atomically; refuses (403) what would pass the limit, even under concurrency. */
  async record(ws: WorkspaceRef, feature: Feature, quantity: number): Promise<{ recorded: true; feature: Feature; current_usage: number; limit: number | null }> {
    if (FEATURE_KINDS[feature].kind === 'resource') {
      throw ApiError.validation({ feature: [`${feature} is counted from the resources themselves; it cannot be recorded`] });
    }
    if (quantity < 0 && feature !== 'storage') throw ApiError.validation({ quantity: ['must be positive (only storage can be released)'] });
    const limit = await this.limit(ws, feature);
    const used = await this.repo.consume(ws.id, feature, periodOf(feature), quantity, quantity < 0 ? null : limit);
    if (used === null) throw this.limitReached(feature, limit!, await this.usage(ws.id, feature));
    return { recorded: true, feature, current_usage: used, limit };
  }

  /**
   * Inside the transaction that creates a resource: locks the workspace row, counts, and refuses
   * with 403 FEATURE_LIMIT_REACHED when one more would pass the limit.
   */
  async assertCanCreate(ws: WorkspaceRef, feature: Feature): Promise<void> {
    const limit = await this.limit(ws, feature);
    if (limit === null) return;
    await this.repo.lockWorkspace(ws.id);
    const used = await this.usage(ws.id, feature);
    if (used + 1 > limit) throw this.limitReached(feature, limit, used);
  }

  async summary(ws: WorkspaceRef): Promise<Record<string, { used: number; limit: number | null; available: number | null; percentage: number | null; unit: string; reset_at?: string }>> {
    const overrides = await this.repo.overrides(ws.id);
    const entries = await Promise.all(
      FEATURES.map(async (feature) => {
        const [used, limit] = await Promise.all([this.usage(ws.id, feature), this.limit(ws, feature, overrides)]);
        const resetAt = resetAtOf(feature);
        return [
          feature,
          {
            used,
            limit,
            available: limit === null ? null : Math.max(0, limit - used),
            percentage: limit === null ? null : limit === 0 ? 100 : Math.round((used / limit) * 10_000) / 100,
            unit: FEATURE_KINDS[feature].unit,
            ...(resetAt ? { reset_at: resetAt.toISOString() } : {}),
          },
        ] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /** Counts one API call of a workspace in Redis, off the request path; the worker flushes the counts. */
  meterApiCall(workspaceId: string): void {
    this.redis.hincrby(PENDING_API_CALLS, `${workspaceId}|${periodOf('api_calls')}`, 1).catch(() => undefined);
  }

  /** Moves the counted calls to PostgreSQL in one batch (run by the worker). */
  async flushApiCalls(): Promise<number> {
    // A batch left half-done by a stopped worker is finished first.
    if (!(await this.redis.exists(FLUSHING_API_CALLS))) {
      if (!(await this.redis.renamenx(PENDING_API_CALLS, FLUSHING_API_CALLS).catch(() => 0))) return 0;
    }
    const all = await this.redis.hgetall(FLUSHING_API_CALLS);
    const byPeriod = new Map<string, Array<[string, number]>>();
    for (const [field, count] of Object.entries(all)) {
      const [workspaceId, period] = field.split('|');
      if (!byPeriod.has(period)) byPeriod.set(period, []);
      byPeriod.get(period)!.push([workspaceId, Number(count)]);
    }
    for (const [period, counts] of byPeriod) await this.repo.addMany('api_calls', period, counts);
    await this.redis.del(FLUSHING_API_CALLS);
    return Object.keys(all).length;
  }

  private limitReached(feature: Feature, limit: number, used: number): ApiError {
    return new ApiError(403, ErrorCode.FEATURE_LIMIT_REACHED, `This workspace's plan allows ${limit} ${FEATURE_KINDS[feature].unit}; upgrade to go further.`, {
      feature,
      limit,
      current_usage: used,
      upgrade_url: this.upgradeUrl,
    });
  }
}
