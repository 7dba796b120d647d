import type { Tier } from '../auth/principal';

/** Requests per minute and burst on top, per tier (API.md, "Rate limits"). */
export const TIER_LIMITS: Record<Tier, { perMinute: number; burst: number }> = {
  free: { perMinute: 60, burst: 0 },
  starter: { perMinute: 1_000, burst: 0.2 },
  pro: { perMinute: 5_000, burst: 0.3 },
  business: { perMinute: 10_000, burst: 0.4 },
  agency: { perMinute: 20_000, burst: 0.5 },
  enterprise: { perMinute: 100_000, burst: 1 },
};

/** How many requests a bucket of this tier holds: the per-minute rate plus its burst. */
export function capacityOf(tier: Tier): number {
  const { perMinute, burst } = TIER_LIMITS[tier];
  return Math.round(perMinute * (1 + burst));
}
