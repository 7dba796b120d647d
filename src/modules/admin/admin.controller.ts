import { Body, Controller, Delete, Get, Param, Patch, Put } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiError, isId, ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { TIERS } from '../auth/principal';
import { EntitlementsService } from '../entitlements/entitlements.service';
import { Feature, FEATURES } from '../entitlements/plans';
import { presentWorkspace, WorkspaceDto } from '../workspaces/workspace.presenter';
import { WorkspacesService } from '../workspaces/workspaces.service';
import { SetOverrideDto, SetTierDto } from './dto/admin.dto';

const WORKSPACE_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at', 'name', 'slug'],
  defaultSort: '-created_at',
  fields: ['id', 'name', 'slug', 'tier', 'settings', 'created_at', 'updated_at'],
  filters: { tier: [...TIERS] },
  searchable: true,
  updatable: true,
};

export class OverridesDto {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer', nullable: true }, example: { members: 50, posts: null }, description: 'Feature → limit (null: unlimited); features absent here follow the tier.' })
  overrides: Record<string, number | null>;
}

function workspaceIdParam(id: string): string {
  if (!isId('ws', id)) throw ApiError.notFound('Workspace');
  return id;
}

function featureParam(feature: string): Feature {
  if (!(FEATURES as readonly string[]).includes(feature)) throw ApiError.notFound('Feature');
  return feature as Feature;
}

/** Platform operators: plans and limits of any workspace. To anyone else these routes do not exist. */
@ApiTags('Admin (platform operators)')
@Controller('admin/workspaces')
export class AdminController {
  constructor(
    private readonly workspaces: WorkspacesService,
    private readonly entitlements: EntitlementsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List every workspace of the deployment' })
  @Authenticated({ operator: true })
  @Returns(WorkspaceDto, 'Workspaces fetched.', { list: true })
  async list(@ListParams(WORKSPACE_LIST) list: ListQuery): Promise<Page<WorkspaceDto>> {
    return (await this.workspaces.listAll(list)).map((w) => presentWorkspace(w));
  }

  @Patch(':id')
  @ApiOperation({ summary: "Set a workspace's tier (any tier, self-serve or not)" })
  @Authenticated({ operator: true })
  @Audited('admin.workspace.tier_set', 'workspace')
  @Returns(WorkspaceDto, 'Workspace updated.', { errors: [422] })
  async setTier(@Param('id') id: string, @Body() body: SetTierDto): Promise<WorkspaceDto> {
    return presentWorkspace(await this.workspaces.setTier(workspaceIdParam(id), body.tier));
  }

  @Get(':id/entitlements')
  @ApiOperation({ summary: "A workspace's entitlement overrides" })
  @Authenticated({ operator: true })
  @Returns(OverridesDto, 'Overrides fetched.')
  async overrides(@Param('id') id: string): Promise<OverridesDto> {
    const workspace = await this.workspaces.get(workspaceIdParam(id));
    return { overrides: await this.entitlements.overrides(workspace.id) };
  }

  @Put(':id/entitlements/:feature')
  @ApiOperation({ summary: 'Override one limit of a workspace (null: unlimited)' })
  @Authenticated({ operator: true })
  @Audited('admin.entitlement.overridden', 'workspace')
  @Returns(OverridesDto, 'Override set.', { errors: [422] })
  async setOverride(@Param('id') id: string, @Param('feature') feature: string, @Body() body: SetOverrideDto): Promise<OverridesDto> {
    const workspace = await this.workspaces.get(workspaceIdParam(id));
    if (body.limit === undefined) throw ApiError.validation({ limit: ['is required (a whole number, or null for unlimited)'] });
    await this.entitlements.setOverride(workspace.id, featureParam(feature), body.limit);
    return { overrides: await this.entitlements.overrides(workspace.id) };
  }

  @Delete(':id/entitlements/:feature')
  @ApiOperation({ summary: "Remove an override: the workspace's tier decides again" })
  @Authenticated({ operator: true })
  @Audited('admin.entitlement.reset', 'workspace')
  @Returns(null, 'Override removed.', { status: 204 })
  async removeOverride(@Param('id') id: string, @Param('feature') feature: string): Promise<void> {
    const workspace = await this.workspaces.get(workspaceIdParam(id));
    if (!(await this.entitlements.removeOverride(workspace.id, featureParam(feature)))) throw ApiError.notFound('Override');
  }
}
