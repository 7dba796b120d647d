import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, escapeLike, paginate } from '@tessera/database';
import type { Tier } from '../auth/principal';
import { ApiKeyEntity } from './api-key.entity';

const COLUMNS = { id: 'id', name: 'name', created_at: 'createdAt', updated_at: 'updatedAt', last_used_at: 'lastUsedAt', environment: 'environment' };

/** API keys, always looked up within their workspace, except by hash (that is how a key finds its workspace). */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(ApiKeyEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The key behind a secret's hash, with its workspace's tier, in one query. */
  async findByHash(keyHash: Buffer): Promise<{ key: ApiKeyEntity; workspaceTier: Tier } | null> {
    const { entities, raw } = await this.repo()
      .createQueryBuilder('k')
      .innerJoin('workspaces', 'w', 'w.id = k.workspace_id')
      .addSelect('w.tier', 'workspace_tier')
      .where('k.key_hash = :keyHash', { keyHash })
      .getRawAndEntities<{ workspace_tier: Tier }>();
    return entities[0] ? { key: entities[0], workspaceTier: raw[0].workspace_tier } : null;
  }

  find(workspaceId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.repo().findOneBy({ workspaceId, id });
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<ApiKeyEntity>> {
    const qb = this.repo().createQueryBuilder('k').where('k.workspace_id = :workspaceId', { workspaceId });
    if (list.filters.status === 'active') qb.andWhere('k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())');
    if (list.filters.status === 'revoked') qb.andWhere('k.revoked_at IS NOT NULL');
    if (list.filters.status === 'expired') qb.andWhere('k.revoked_at IS NULL AND k.expires_at <= now()');
    if (list.search) qb.andWhere('k.name ILIKE :search', { search: `%${escapeLike(list.search)}%` });
    return paginate(qb, list, COLUMNS);
  }

  async insert(key: ApiKeyEntity): Promise<void> {
    await this.repo().insert(key);
  }

  async update(workspaceId: string, id: string, patch: Partial<Pick<ApiKeyEntity, 'expiresAt' | 'revokedAt' | 'rotatedTo'>>): Promise<void> {
    await this.repo().update({ workspaceId, id }, { ...patch, updatedAt: new Date() });
  }

  /** Updates a key only while it is active (not revoked, rotated or expired); false when it was not. */
  async updateIfActive(workspaceId: string, id: string, patch: Partial<Pick<ApiKeyEntity, 'expiresAt' | 'revokedAt' | 'rotatedTo'>>): Promise<boolean> {
    const result = await this.repo()
      .createQueryBuilder()
      .update()
      .set({ ...patch, updatedAt: new Date() })
      .where('workspace_id = :workspaceId AND id = :id AND revoked_at IS NULL AND rotated_to IS NULL AND (expires_at IS NULL OR expires_at > now())', { workspaceId, id })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  /** Records use at most once a minute per key, across every process. */
  async touch(id: string): Promise<void> {
    await this.db.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [id]);
  }
}
