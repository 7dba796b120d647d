import { Body, Controller, Delete, Get, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiError, ListParams, ListQuery, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, CurrentWorkspace, Principal, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { CreatePostDto, ReplacePostDto, UpdatePostDto } from './dto/post.dto';
import { PostDto, presentPost } from './post.presenter';
import { POST_LIST, PostsService } from './posts.service';

@ApiTags('Posts')
@Controller('posts')
export class PostsController {
  constructor(private readonly posts: PostsService) {}

  @Get()
  @ApiOperation({ summary: 'List posts', description: 'search= matches words of the title and body; status= and tag= filter.' })
  @Authenticated({ scopes: [Scope.PostsRead], workspace: 'header' })
  @Returns(PostDto, 'Posts fetched.', { list: true })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(POST_LIST) list: ListQuery): Promise<Page<PostDto>> {
    return this.posts.list(ws.id, list);
  }

  @Post()
  @ApiOperation({ summary: 'Create a post', description: '403 FEATURE_LIMIT_REACHED past the plan’s posts limit. Emits post.created.' })
  @Authenticated({ scopes: [Scope.PostsWrite], workspace: 'header' })
  @Audited('post.created', 'post')
  @Returns(PostDto, 'Post created.', { status: 201, errors: [422] })
  async create(@CurrentPrincipal() principal: Principal, @CurrentWorkspace() ws: WorkspaceAccess, @Body() body: CreatePostDto): Promise<PostDto> {
    return presentPost(await this.posts.create(ws, principal.userId, body));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a post' })
  @ApiQuery({ name: 'include', required: false, enum: ['author'] })
  @Authenticated({ scopes: [Scope.PostsRead], workspace: 'header' })
  @Returns(PostDto, 'Post fetched.', { errors: [400, 404] })
  async get(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Query('include') include?: string): Promise<PostDto> {
    if (include !== undefined && include !== 'author') throw ApiError.badRequest('Invalid query parameters.', { include: ['can only be author'] });
    return presentPost(await this.posts.get(ws.id, id, include === 'author'));
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a post', description: 'Emits post.updated.' })
  @Authenticated({ scopes: [Scope.PostsWrite], workspace: 'header' })
  @Audited('post.updated', 'post')
  @Returns(PostDto, 'Post updated.', { errors: [404, 422] })
  async replace(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Body() body: ReplacePostDto): Promise<PostDto> {
    return presentPost(await this.posts.update(ws.id, id, body));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a post', description: 'Emits post.updated.' })
  @Authenticated({ scopes: [Scope.PostsWrite], workspace: 'header' })
  @Audited('post.updated', 'post')
  @Returns(PostDto, 'Post updated.', { errors: [404, 422] })
  async update(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Body() body: UpdatePostDto): Promise<PostDto> {
    return presentPost(await this.posts.update(ws.id, id, body));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a post', description: 'Emits post.deleted.' })
  @Authenticated({ scopes: [Scope.PostsDelete], workspace: 'header' })
  @Audited('post.deleted', 'post')
  @Returns(null, 'Post deleted.', { status: 204, errors: [404] })
  async delete(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<void> {
    await this.posts.delete(ws.id, id);
  }
}
