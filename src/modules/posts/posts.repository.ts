import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ListQuery, Page } from '@tessera/common';
import { paginate } from '@tessera/database';
import { PostEntity } from './post.entity';

const COLUMNS = { id: 'id', title: 'title', status: 'status', created_at: 'createdAt', updated_at: 'updatedAt' };

/** Posts, always within one workspace. */
@Injectable()
export class PostsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(tx?: EntityManager) {
    return (tx ?? this.ds.manager).getRepository(PostEntity);
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  find(workspaceId: string, id: string, options: { withAuthor?: boolean; tx?: EntityManager } = {}): Promise<PostEntity | null> {
    return this.repo(options.tx).findOne({ where: { workspaceId, id }, relations: options.withAuthor ? { author: true } : {} });
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<PostEntity>> {
    const qb = this.repo().createQueryBuilder('p').where('p.workspace_id = :workspaceId', { workspaceId });
    if (list.include.includes('author')) qb.leftJoinAndSelect('p.author', 'author');
    if (list.search) qb.andWhere(`p.search @@ plainto_tsquery('simple', :search)`, { search: list.search });
    if (list.filters.tag) qb.andWhere(':tag = ANY(p.tags)', { tag: list.filters.tag });
    return paginate(qb, list, COLUMNS);
  }

  count(workspaceId: string, tx?: EntityManager): Promise<number> {
    return this.repo(tx).countBy({ workspaceId });
  }

  async insert(post: PostEntity, tx: EntityManager): Promise<void> {
    await this.repo(tx).insert(post);
  }

  async update(workspaceId: string, id: string, patch: Partial<Pick<PostEntity, 'title' | 'body' | 'status' | 'tags' | 'updatedAt'>>, tx: EntityManager): Promise<void> {
    await this.repo(tx).update({ workspaceId, id }, patch);
  }

  async delete(workspaceId: string, id: string, tx: EntityManager): Promise<boolean> {
    return ((await this.repo(tx).delete({ workspaceId, id })).affected ?? 0) === 1;
  }
}
