import { Injectable, OnModuleInit } from '@nestjs/common';
import { ApiError, isId, ListQuery, ListSpec, newId, Page } from '@tessera/common';
import { Outbox } from '@tessera/database';
import { WorkspaceRef, EntitlementsService } from '../entitlements/entitlements.service';
import { POST_STATUSES, PostEntity, PostStatus } from './post.entity';
import { PostDto, presentPost } from './post.presenter';
import { PostsRepository } from './posts.repository';

/** What a posts list accepts (GET /posts, and the MCP tool list_posts). */
export const POST_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at', 'title', 'status'],
  defaultSort: '-created_at',
  fields: ['id', 'title', 'body', 'status', 'tags', 'author_id', 'author', 'created_at', 'updated_at'],
  includes: ['author'],
  filters: { status: POST_STATUSES, tag: null },
  searchable: true,
  updatable: true,
};

export interface PostInput {
  title?: string;
  body?: string;
  status?: PostStatus;
  tags?: string[];
}

/** Posts, the sample domain resource: metered by the posts entitlement, and every change is an outbox event. */
@Injectable()
export class PostsService implements OnModuleInit {
  constructor(
    private readonly repo: PostsRepository,
    private readonly entitlements: EntitlementsService,
    private readonly outbox: Outbox,
  ) {}

  onModuleInit(): void {
    this.entitlements.registerCounter('posts', (workspaceId) => this.repo.count(workspaceId));
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<PostDto>> {
    return this.repo.list(workspaceId, list);
  }

  async get(workspaceId: string, id: string, withAuthor = false): Promise<PostEntity> {
    const post = isId('pst', id) ? await this.repo.find(workspaceId, id, { withAuthor }) : null;
    if (!post) throw ApiError.notFound('Post');
    return post;
  }

  async create(ws: WorkspaceRef, authorId: string | null, input: PostInput & { title: string }): Promise<PostEntity> {
    return this.repo.transaction(async () => {
      await this.entitlements.assertCanCreate(ws, 'posts');
      const now = new Date();
      const post = Object.assign(new PostEntity(), {
        id: newId('pst'),
        workspaceId: ws.id,
        authorId,
        title: input.title.trim(),
        body: input.body ?? '',
        status: input.status ?? 'draft',
        tags: [...new Set(input.tags ?? [])],
        createdAt: now,
        updatedAt: now,
      });
      await this.repo.insert(post);
      await this.outbox.write({ workspaceId: ws.id, type: 'post.created', data: { ...presentPost(post) } });
      return post;
    });
  }

  async update(workspaceId: string, id: string, input: PostInput): Promise<PostEntity> {
    return this.repo.transaction(async () => {
      await this.get(workspaceId, id);
      await this.repo.update(
        workspaceId,
        id,
        {
          ...(input.title !== undefined ? { title: input.title.trim() } : {}),
          ...(input.body !== undefined ? { body: input.body } : {}),
          ...(input.status !== undefined ? { status: input.status } : {}),
          ...(input.tags !== undefined ? { tags: [...new Set(input.tags)] } : {}),
          updatedAt: new Date(),
        },
      );
      const post = await this.get(workspaceId, id);
      await this.outbox.write({ workspaceId, type: 'post.updated', data: { ...presentPost(post) } });
      return post;
    });
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await this.repo.transaction(async () => {
      const post = await this.get(workspaceId, id);
      if (!(await this.repo.delete(workspaceId, id))) throw ApiError.notFound('Post');
      await this.outbox.write({ workspaceId, type: 'post.deleted', data: { ...presentPost(post) } });
    });
  }
}
