import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database } from '@tessera/database';
import { PostEntity } from './post.entity';
import type { PostDto } from './post.presenter';
import { EXACT_COUNT_LIMIT, nextCursorOf, pagePagination, postListStatements, PostRow, postRowToDto } from './posts.sql';

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

  /**
   * The hot read: hand-written SQL (posts.sql.ts), rows mapped once to the response shape. Page and
   * offset modes count at most EXACT_COUNT_LIMIT + 1 rows; past that the total is the planner's
   * estimate, flagged `total_is_estimate`. Cursor mode is keyset: O(page size) at any table size.
   */
  async list(workspaceId: string, list: ListQuery): Promise<Page<PostDto>> {
    const st = postListStatements(workspaceId, list);
    const mode = list.mode;
    if (mode.kind === 'cursor') {
      const rows = await this.db.rows<PostRow>(st.rows);
      const hasMore = rows.length > mode.limit;
      const items = (hasMore ? rows.slice(0, mode.limit) : rows).map((r) => postRowToDto(r, st.withAuthor));
      const last = items.at(-1);
      return new Page(items, { limit: mode.limit, next_cursor: hasMore && last ? nextCursorOf(last, st.keys) : null, has_more: hasMore }, list.fields);
    }
    const [rows, counted] = await Promise.all([this.db.rows<PostRow>(st.rows), this.db.rows<{ n: number }>(st.count!)]);
    const items = rows.map((r) => postRowToDto(r, st.withAuthor));
    let total = counted[0].n;
    const estimated = total > EXACT_COUNT_LIMIT;
    if (estimated) {
      const [{ 'QUERY PLAN': plan }] = await this.db.rows<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(st.estimate!);
      total = Math.max(total, Math.round(plan[0].Plan['Plan Rows']));
    }
    if (mode.kind === 'offset') return new Page(items, { limit: mode.limit, offset: mode.offset, total, ...(estimated ? { total_is_estimate: true as const } : {}) }, list.fields);
    return new Page(items, pagePagination(mode.page, mode.perPage, items.length, total, estimated), list.fields);
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
