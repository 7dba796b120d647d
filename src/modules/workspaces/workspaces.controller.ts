import { Body, Controller, Delete, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, CurrentWorkspace, Principal, userIdOf, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { CreateWorkspaceDto, UpdateWorkspaceDto } from './dto/workspace.dto';
import { presentWorkspace, WorkspaceDto } from './workspace.presenter';
import { WorkspacesService } from './workspaces.service';

const WORKSPACE_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at', 'name', 'slug'],
  defaultSort: '-created_at',
  fields: ['id', 'name', 'slug', 'tier', 'settings', 'role', 'created_at', 'updated_at'],
  filters: { tier: ['free', 'starter', 'pro', 'business', 'agency', 'enterprise'] },
  searchable: true,
  updatable: true,
};

@ApiTags('Workspaces')
@Controller(['workspaces', 'organizations'])
export class WorkspacesController {
  constructor(private readonly workspaces: WorkspacesService) {}

  @Get()
  @ApiOperation({ summary: 'List the workspaces the caller belongs to', description: 'For a workspace API key: its own workspace (seed 002 lists workspaces with a key).' })
  @Authenticated({ scopes: [Scope.WorkspacesRead] })
  @Returns(WorkspaceDto, 'Workspaces fetched.', { list: true })
  async list(@CurrentPrincipal() principal: Principal, @ListParams(WORKSPACE_LIST) list: ListQuery): Promise<Page<WorkspaceDto>> {
    if (principal.kind === 'api_key' && principal.boundWorkspaceId) {
      return (await this.workspaces.listOne(principal.boundWorkspaceId, list)).map((workspace) => presentWorkspace(workspace));
    }
    // A credential bound to one workspace sees that workspace only.
    const page = await this.workspaces.listForUser(userIdOf(principal), list, principal.boundWorkspaceId);
    return page.map(({ workspace, role }) => presentWorkspace(workspace, role));
  }

  @Post()
  @ApiOperation({
    summary: 'Create a workspace; the caller becomes its owner',
    description: 'A tier other than those of SELF_SERVE_TIERS (default free) is 403: a platform operator sets it. A credential bound to one workspace cannot create another (403).',
  })
  @Authenticated({ scopes: [Scope.WorkspacesWrite] })
  @Audited('workspace.created', 'workspace')
  @Returns(WorkspaceDto, 'Workspace created.', { status: 201, errors: [403, 409, 422] })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateWorkspaceDto): Promise<WorkspaceDto> {
    if (principal.boundWorkspaceId) throw ApiError.forbidden('This credential is bound to one workspace; it cannot create another.');
    return presentWorkspace(await this.workspaces.create(body, userIdOf(principal)), 'owner');
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a workspace (by id or slug)' })
  @Authenticated({ scopes: [Scope.WorkspacesRead], workspace: { param: 'id' } })
  @Returns(WorkspaceDto, 'Workspace fetched.')
  async get(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') _id: string): Promise<WorkspaceDto> {
    return presentWorkspace(await this.workspaces.get(ws.id), ws.role);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a workspace' })
  @Authenticated({ scopes: [Scope.WorkspacesWrite], workspace: { param: 'id' } })
  @Audited('workspace.updated', 'workspace')
  @Returns(WorkspaceDto, 'Workspace updated.', { errors: [409, 422] })
  async update(@CurrentPrincipal() principal: Principal, @CurrentWorkspace() ws: WorkspaceAccess, @Param('id') _id: string, @Body() body: UpdateWorkspaceDto): Promise<WorkspaceDto> {
    return presentWorkspace(await this.workspaces.update(ws.id, body, { role: principal.kind === 'api_key' ? null : ws.role, userId: principal.userId }), ws.role);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a workspace and everything in it (owners only)' })
  @Authenticated({ scopes: [Scope.WorkspacesDelete], workspace: { param: 'id' } })
  @Audited('workspace.deleted', 'workspace')
  @Returns(null, 'Workspace deleted.', { status: 204 })
  async delete(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') _id: string): Promise<void> {
    await this.workspaces.delete(ws.id);
  }

}
