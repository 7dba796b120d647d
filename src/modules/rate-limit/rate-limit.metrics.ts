/** Counters of this process, reported by GET /api/v1/health. */
export const rateLimitMetrics = { failOpen: 0 };
