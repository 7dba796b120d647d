import type { Tier } from '../auth/principal';

export const FEATURES = ['posts', 'api_calls', 'members', 'webhooks', 'storage', 'seo_reports'] as const;
export type Feature = (typeof FEATURES)[number];

/** How a feature is counted: live resources, or a consumable counted per month or in total. */
export const FEATURE_KINDS: Record<Feature, { kind: 'resource' | 'consumable'; period: 'month' | 'total'; unit: string }> = {
  posts: { kind: 'resource', period: 'total', unit: 'posts' },
  members: { kind: 'resource', period: 'total', unit: 'members' },
  webhooks: { kind: 'resource', period: 'total', unit: 'endpoints' },
  api_calls: { kind: 'consumable', period: 'month', unit: 'requests' },
  seo_reports: { kind: 'consumable', period: 'month', unit: 'reports' },
  storage: { kind: 'consumable', period: 'total', unit: 'bytes' },
};

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** The plan table: each tier's limit per feature (null: unlimited). Overrides per workspace live in the database. */
export const PLAN_LIMITS: Record<Tier, Record<Feature, number | null>> = {
  free: { posts: 100, api_calls: 10_000, members: 3, webhooks: 2, storage: 100 * MB, seo_reports: 10 },
  starter: { posts: 1_000, api_calls: 100_000, members: 10, webhooks: 10, storage: GB, seo_reports: 100 },
  pro: { posts: 10_000, api_calls: 1_000_000, members: 25, webhooks: 25, storage: 10 * GB, seo_reports: 500 },
  business: { posts: 100_000, api_calls: 5_000_000, members: 100, webhooks: 50, storage: 100 * GB, seo_reports: 2_000 },
  agency: { posts: 500_000, api_calls: 20_000_000, members: 500, webhooks: 100, storage: 500 * GB, seo_reports: 10_000 },
  enterprise: { posts: null, api_calls: null, members: null, webhooks: null, storage: null, seo_reports: null },
};

/** The period a usage counter belongs to: the calendar month (UTC) for monthly features. */
export function periodOf(feature: Feature, now = new Date()): string {
  return FEATURE_KINDS[feature].period === 'month' ? now.toISOString().slice(0, 7) : 'total';
}

/** When a monthly feature's usage starts again from zero. */
export function resetAtOf(feature: Feature, now = new Date()): Date | null {
  if (FEATURE_KINDS[feature].period !== 'month') return null;
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}
