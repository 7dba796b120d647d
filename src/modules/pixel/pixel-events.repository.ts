import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';
import type { PixelEventRecord } from '@tessera/queue';
import type { StatsInterval } from './dto/pixel.dto';
import { PAGEVIEW } from './pixel-rules';

export interface PixelStatsRows {
  /** Per bucket, then the whole range (bucket null). */
  buckets: Array<{ bucket: Date | null; pageviews: number; events: number; unique_sessions: number }>;
  topUrls: Array<{ url: string; pageviews: number }>;
  topReferrers: Array<{ referrer: string; pageviews: number }>;
}

export const TOP_N = 10;

interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

/**
 * The stats statements of one workspace over [from, to). Each is bounded by (workspace_id,
 * occurred_at), the index that keeps one workspace's stats from reading another's rows. The
 * buckets and the range's totals come from one scan: events are first grouped by (bucket,
 * session), a hash aggregate about as large as the sessions of the range, and the buckets, the
 * totals and the distinct sessions are counted from that. Buckets are date_bin from midnight UTC
 * (no time zone conversion per row).
 */
export function pixelStatsStatements(workspaceId: string, from: Date, to: Date, interval: StatsInterval): { buckets: Statement; topUrls: Statement; topReferrers: Statement } {
  const range = `workspace_id = $1 AND occurred_at >= $2 AND occurred_at < $3`;
  return {
    buckets: {
      name: 'pixel_stats_buckets',
      text: `WITH per_session AS MATERIALIZED (
               SELECT date_bin($4::interval, occurred_at, timestamptz '2000-01-01T00:00:00Z') AS bucket, session_id,
                      count(*) FILTER (WHERE event = '${PAGEVIEW}') AS pageviews,
                      count(*) FILTER (WHERE event <> '${PAGEVIEW}') AS events
                 FROM pixel_events WHERE ${range}
                GROUP BY 1, 2)
             SELECT bucket, sum(pageviews)::int AS pageviews, sum(events)::int AS events, count(session_id)::int AS unique_sessions
               FROM per_session GROUP BY bucket
             UNION ALL
             SELECT NULL, coalesce(sum(pageviews), 0)::int, coalesce(sum(events), 0)::int, count(DISTINCT session_id)::int FROM per_session`,
      values: [workspaceId, from, to, `1 ${interval}`],
    },
    topUrls: {
      name: 'pixel_stats_top_urls',
      text: `SELECT url, count(*)::int AS pageviews FROM pixel_events WHERE ${range} AND event = '${PAGEVIEW}'
              GROUP BY url ORDER BY pageviews DESC, url LIMIT ${TOP_N}`,
      values: [workspaceId, from, to],
    },
    topReferrers: {
      name: 'pixel_stats_top_referrers',
      text: `SELECT referrer_host AS referrer, count(*)::int AS pageviews FROM pixel_events WHERE ${range} AND event = '${PAGEVIEW}' AND referrer_host IS NOT NULL
              GROUP BY referrer_host ORDER BY pageviews DESC, referrer_host LIMIT ${TOP_N}`,
      values: [workspaceId, from, to],
    },
  };
}

/** Tracked events: written in batches by the worker, read per workspace over a time range (pixelStatsStatements). */
@Injectable()
export class PixelEventsRepository {
  constructor(private readonly db: Database) {}

  /**
   * One multi-row INSERT of a batch (unnest of one array per column). An event whose id is stored
   * already (the batch is being written again after a worker died) or whose workspace is gone is
   * skipped. Returns how many rows were new.
   */
  async insertMany(events: PixelEventRecord[]): Promise<number> {
    if (!events.length) return 0;
    const column = <K extends keyof PixelEventRecord>(k: K) => events.map((e) => e[k]);
    const rows = await this.db.query<Array<{ n: number }>>(
      `WITH inserted AS (
         INSERT INTO pixel_events (id, workspace_id, event, url, referrer, referrer_host, user_agent, session_id, properties, occurred_at)
         SELECT t.* FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::timestamptz[])
                AS t(id, workspace_id, event, url, referrer, referrer_host, user_agent, session_id, properties, occurred_at)
          WHERE EXISTS (SELECT 1 FROM workspaces w WHERE w.id = t.workspace_id)
         ON CONFLICT (id) DO NOTHING
         RETURNING 1)
       SELECT count(*)::int AS n FROM inserted`,
      [
        column('id'), column('workspaceId'), column('event'), column('url'), column('referrer'), column('referrerHost'), column('userAgent'), column('sessionId'),
        events.map((e) => (e.properties ? JSON.stringify(e.properties) : null)),
        column('occurredAt'),
      ],
    );
    return rows[0].n;
  }

  /** Series, totals, top URLs and top referrers of [from, to): three statements, each an index range scan of the workspace. */
  async stats(workspaceId: string, from: Date, to: Date, interval: StatsInterval): Promise<PixelStatsRows> {
    const st = pixelStatsStatements(workspaceId, from, to, interval);
    const [buckets, topUrls, topReferrers] = await Promise.all([
      this.db.rows<PixelStatsRows['buckets'][number]>(st.buckets),
      this.db.rows<PixelStatsRows['topUrls'][number]>(st.topUrls),
      this.db.rows<PixelStatsRows['topReferrers'][number]>(st.topReferrers),
    ]);
    return { buckets, topUrls, topReferrers };
  }
}
