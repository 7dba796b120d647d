import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { PostEntity } from './post.entity';

const COLUMNS = { id: 'id', title: 'title', status: 'status', created_at: 'createdAt', updated_at: 'updatedAt' };

/** Posts, always within one workspace. */
@Injectable()
export class PostsRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(PostEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  find(workspaceId: string, id: string, options: { withAuthor?: boolean } = {}): Promise<PostEntity | null> {
    return this.repo().findOne({ where: { workspaceId, id }, relations: options.withAuthor ? { author: true } : {} });
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<PostEntity>> {
    const qb = this.repo().createQueryBuilder('p').where('p.workspace_id = :workspaceId', { workspaceId });
    if (list.include.includes('author')) qb.leftJoinAndSelect('p.author', 'author');
    if (list.search) qb.andWhere(`p.search @@ plainto_tsquery('simple', :search)`, { search: list.search });
    if (list.filters.tag) qb.andWhere(':tag = ANY(p.tags)', { tag: list.filters.tag });
    return paginate(qb, list, COLUMNS);
  }

  count(workspaceId: string): Promise<number> {
    return this.repo().countBy({ workspaceId });
  }

  async insert(post: PostEntity): Promise<void> {
    await this.repo().insert(post);
  }

  async update(workspaceId: string, id: string, patch: Partial<Pick<PostEntity, 'title' | 'body' | 'status' | 'tags' | 'updatedAt'>>): Promise<void> {
    await this.repo().update({ workspaceId, id }, patch);
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    return ((await this.repo().delete({ workspaceId, id })).affected ?? 0) === 1;
  }
}
