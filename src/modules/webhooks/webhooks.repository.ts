import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';

export type WebhookEndpointPatch = Partial<Pick<WebhookEndpointEntity, 'url' | 'description' | 'events' | 'isActive' | 'headers' | 'rateLimitPerSecond' | 'maxInFlight'>>;

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

  async delete(workspaceId: string, id: string): Promise<boolean> {
    return ((await this.repo().delete({ workspaceId, id })).affected ?? 0) === 1;
  }
}
