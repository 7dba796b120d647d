import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';

export type WebhookEndpointPatch = Partial<
  Pick<WebhookEndpointEntity, 'url' | 'description' | 'events' | 'isActive' | 'headers' | 'rateLimitPerSecond' | 'maxInFlight' | 'disabledAt' | 'disabledReason' | 'failingSince'>
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

  find(workspaceId: string, id: string): Promise<WebhookEndpointEntity | null> {
    return this.repo().findOneBy({ workspaceId, id });
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<WebhookEndpointEntity>> {
    const qb = this.repo().createQueryBuilder('w').where('w.workspace_id = :workspaceId', { workspaceId });
    if (list.filters.is_active) qb.andWhere('w.is_active = :isActive', { isActive: list.filters.is_active === 'true' });
    return paginate(qb, list, COLUMNS);
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

  async delete(workspaceId: string, id: string): Promise<boolean> {
    return ((await this.repo().delete({ workspaceId, id })).affected ?? 0) === 1;
  }
}
