import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { OAuthClientEntity } from './oauth-client.entity';

const COLUMNS = { id: 'id', name: 'name', created_at: 'createdAt', updated_at: 'updatedAt' };

export type OAuthClientPatch = Partial<Pick<OAuthClientEntity, 'name' | 'redirectUris' | 'scopes'>>;

/** OAuth clients, always within the account that registered them, except for the provider's lookup by id. */
@Injectable()
export class OAuthClientsRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(OAuthClientEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  find(userId: string, id: string): Promise<OAuthClientEntity | null> {
    return this.repo().findOneBy({ userId, id });
  }

  list(userId: string, list: ListQuery): Promise<Page<OAuthClientEntity>> {
    const qb = this.repo().createQueryBuilder('c').where('c.user_id = :userId', { userId });
    if (list.filters.type) qb.andWhere('c.type = :type', { type: list.filters.type });
    return paginate(qb, list, COLUMNS);
  }

  count(userId: string): Promise<number> {
    return this.repo().countBy({ userId });
  }

  /** What the provider needs to know of a client, secret hash included; null when there is none. */
  findForProvider(id: string): Promise<OAuthClientEntity | null> {
    return this.repo()
      .createQueryBuilder('c')
      .addSelect('c.secretHash')
      .where('c.id = :id', { id })
      .getOne();
  }

  async insert(client: OAuthClientEntity): Promise<void> {
    await this.repo().insert(client);
  }

  async update(userId: string, id: string, patch: OAuthClientPatch): Promise<void> {
    await this.repo().update({ userId, id }, { ...patch, updatedAt: new Date() });
  }

  async setSecret(userId: string, id: string, secretHash: Buffer, secretPrefix: string): Promise<boolean> {
    const result = await this.repo().update({ userId, id, type: 'confidential' }, { secretHash, secretPrefix, updatedAt: new Date() });
    return (result.affected ?? 0) === 1;
  }

  /** Deletes the client (its grants and tokens go with it); returns the ids of the grants that went. */
  async delete(userId: string, id: string): Promise<string[] | null> {
    return this.db.transaction(async () => {
      if (!(await this.find(userId, id))) return null;
      const grants = await this.db.query<Array<{ id: string }>>(`WITH gone AS (DELETE FROM oauth_grants WHERE client_id = $1 RETURNING id) SELECT id FROM gone`, [id]);
      await this.repo().delete({ userId, id });
      return grants.map((g) => g.id);
    });
  }
}
