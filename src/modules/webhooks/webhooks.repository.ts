import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { WebhookEndpointEntity, WebhookEndpointStats, WebhookEndpointWithStats } from './webhook-endpoint.entity';

export type WebhookEndpointPatch = Partial<
  Pick<WebhookEndpointEntity, 'url' | 'description' | 'events' | 'isActive' | 'headers' | 'rateLimitPerSecond' | 'maxInFlight' | 'disabledAt' | 'disabledReason'>
>;

const COLUMNS = { id: 'id', url: 'url', created_at: 'createdAt', updated_at: 'updatedAt' };

/** Webhook endpoints, always within one workspace. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(WebhookEndpointEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async find(workspaceId: string, id: string): Promise<WebhookEndpointWithStats | null> {
    const endpoint = await this.repo().findOneBy({ workspaceId, id });
    return endpoint ? (await this.withStats([endpoint]))[0] : null;
  }

  async list(workspaceId: string, list: ListQuery): Promise<Page<WebhookEndpointWithStats>> {
    const qb = this.repo().createQueryBuilder('w').where('w.workspace_id = :workspaceId', { workspaceId });
    if (list.filters.is_active) qb.andWhere('w.is_active = :isActive', { isActive: list.filters.is_active === 'true' });
    const page = await paginate(qb, list, COLUMNS);
    return new Page(await this.withStats(page.items), page.pagination, page.fields);
  }

  /** Starts the endpoint's failing streak afresh (re-enabled after a pause or an automatic disable). */
  async clearStreak(id: string): Promise<void> {
    await this.db.query(`UPDATE webhook_endpoint_stats SET consecutive_failures = 0, failing_since = NULL WHERE endpoint_id = $1`, [id]);
  }

  private async withStats(endpoints: WebhookEndpointEntity[]): Promise<WebhookEndpointWithStats[]> {
    if (endpoints.length === 0) return [];
    const rows = await this.db.query<Array<{ endpoint_id: string; success_count: string; failure_count: string; consecutive_failures: number; failing_since: Date | null; last_delivery_at: Date | null }>>(
      `SELECT endpoint_id, success_count, failure_count, consecutive_failures, failing_since, last_delivery_at FROM webhook_endpoint_stats WHERE endpoint_id = ANY($1::text[])`,
      [endpoints.map((e) => e.id)],
    );
    const byId = new Map(rows.map((r) => [r.endpoint_id, r]));
    return endpoints.map((e) => {
      const r = byId.get(e.id);
      const stats: WebhookEndpointStats = {
        successCount: Number(r?.success_count ?? 0),
        failureCount: Number(r?.failure_count ?? 0),
        consecutiveFailures: r?.consecutive_failures ?? 0,
        failingSince: r?.failing_since ?? null,
        lastDeliveryAt: r?.last_delivery_at ?? null,
      };
      return Object.assign(e, { stats });
    });
  }

  count(workspaceId: string): Promise<number> {
    return this.repo().countBy({ workspaceId });
  }

  async insert(endpoint: WebhookEndpointEntity): Promise<void> {
    await this.repo().insert(endpoint);
  }

  async update(workspaceId: string, id: string, patch: WebhookEndpointPatch): Promise<void> {
    await this.repo().update({ workspaceId, id }, { ...patch, updatedAt: new Date() });
  }

  /**
   * Installs a new sealed secret; the current one becomes the previous one until `graceEnds`
   * (null: no grace, the previous one is dropped). Row-locked by the UPDATE itself.
   */
  async rotateSecret(workspaceId: string, id: string, secretSealed: string, publicKey: string | null, graceEnds: Date | null): Promise<boolean> {
    // A CTE, because TypeORM answers a bare UPDATE … RETURNING with [rows, count].
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH rotated AS (
         UPDATE webhook_endpoints
            SET previous_secret_sealed = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE secret_sealed END,
                previous_secret_expires_at = $4::timestamptz,
                secret_sealed = $3, public_key = $5, updated_at = now()
          WHERE workspace_id = $1 AND id = $2
          RETURNING id)
       SELECT id FROM rotated`,
      [workspaceId, id, secretSealed, graceEnds, publicKey],
    );
    return rows.length === 1;
  }

  /**
   * Deletes the endpoint, its counters and its deliveries (by cascade). The counters row is locked
   * first, before the endpoint's deliveries, as the worker's bookkeeping locks them: whichever of
   * the two cascades PostgreSQL runs first (it goes by system trigger names), none deadlocks.
   */
  async delete(workspaceId: string, id: string): Promise<boolean> {
    // A CTE, because TypeORM answers a bare DELETE … RETURNING with [rows, count].
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH counters AS (
         SELECT 1 FROM webhook_endpoint_stats s JOIN webhook_endpoints w ON w.id = s.endpoint_id
          WHERE w.workspace_id = $1 AND w.id = $2 FOR NO KEY UPDATE OF s
       ), gone AS (
         DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM counters) RETURNING id)
       SELECT id FROM gone`,
      [workspaceId, id],
    );
    return rows.length === 1;
  }
}
