import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';

/** Plan overrides and consumable usage counters, always per workspace. */
@Injectable()
export class EntitlementsRepository {
  constructor(private readonly db: Database) {}

  async overrides(workspaceId: string): Promise<Map<string, number | null>> {
    const rows: Array<{ feature: string; limit: string | null }> = await this.db.query(`SELECT feature, "limit" FROM entitlement_overrides WHERE workspace_id = $1`, [workspaceId]);
    return new Map(rows.map((r) => [r.feature, r.limit === null ? null : Number(r.limit)]));
  }

  async setOverride(workspaceId: string, feature: string, limit: number | null): Promise<void> {
    await this.db.query(
      `INSERT INTO entitlement_overrides (workspace_id, feature, "limit") VALUES ($1, $2, $3)
       ON CONFLICT (workspace_id, feature) DO UPDATE SET "limit" = EXCLUDED."limit"`,
      [workspaceId, feature, limit],
    );
  }

  async deleteOverride(workspaceId: string, feature: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH gone AS (DELETE FROM entitlement_overrides WHERE workspace_id = $1 AND feature = $2 RETURNING 1) SELECT * FROM gone`,
      [workspaceId, feature],
    );
    return rows.length === 1;
  }

  async used(workspaceId: string, feature: string, period: string): Promise<number> {
    const rows: Array<{ used: string }> = await this.db.query(`SELECT used FROM usage_counters WHERE workspace_id = $1 AND feature = $2 AND period = $3`, [workspaceId, feature, period]);
    return rows.length ? Number(rows[0].used) : 0;
  }

  /**
   * Adds `quantity` unless that would pass `limit`, in one statement (no read-then-write race).
   * Returns the new total, or null when refused.
   */
  async consume(workspaceId: string, feature: string, period: string, quantity: number, limit: number | null): Promise<number | null> {
    const rows: Array<{ used: string }> = await this.db.query(
      `INSERT INTO usage_counters AS c (workspace_id, feature, period, used)
       SELECT $1, $2, $3, GREATEST($4::bigint, 0) WHERE $5::bigint IS NULL OR $4::bigint <= $5::bigint
       ON CONFLICT (workspace_id, feature, period) DO UPDATE
         SET used = GREATEST(c.used + $4::bigint, 0), updated_at = now()
         WHERE $5::bigint IS NULL OR c.used + $4::bigint <= $5::bigint
       RETURNING used`,
      [workspaceId, feature, period, quantity, limit],
    );
    return rows.length ? Number(rows[0].used) : null;
  }

  /** Adds metered counts in one statement (the worker's api_calls flush). */
  async addMany(feature: string, period: string, counts: Array<[workspaceId: string, quantity: number]>): Promise<void> {
    if (!counts.length) return;
    await this.db.query(
      `INSERT INTO usage_counters AS c (workspace_id, feature, period, used)
       SELECT w, $1, $2, q FROM unnest($3::text[], $4::bigint[]) AS t(w, q)
       WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = w)
       ON CONFLICT (workspace_id, feature, period) DO UPDATE SET used = c.used + EXCLUDED.used, updated_at = now()`,
      [feature, period, counts.map((c) => c[0]), counts.map((c) => c[1])],
    );
  }

  /** Locks the workspace row for the rest of `tx`, so resource counts and creations are serialised per workspace. */
  async lockWorkspace(workspaceId: string): Promise<void> {
    await this.db.query(`SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE`, [workspaceId]);
  }
}
