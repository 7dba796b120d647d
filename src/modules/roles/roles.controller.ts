import { Body, Controller, Delete, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, pageOfArray, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { assertCanDelegate } from '../auth/delegation';
import { CurrentPrincipal, CurrentWorkspace, Principal, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { CreateRoleDto, UpdateRoleDto } from './dto/role.dto';
import { presentRole, RoleDto } from './role.presenter';
import { RolesService } from './roles.service';

const ROLE_LIST: ListSpec = { sortable: ['name'], defaultSort: 'name', fields: ['id', 'name', 'description', 'scopes', 'built_in', 'created_at', 'updated_at'] };

@ApiTags('Roles')
@Controller('roles')
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Get()
  @ApiOperation({ summary: 'List the built-in and custom roles of the current workspace' })
  @Authenticated({ scopes: [Scope.RolesRead], workspace: 'header' })
  @Returns(RoleDto, 'Roles fetched.', { list: true })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(ROLE_LIST) list: ListQuery): Promise<Page<RoleDto>> {
    return pageOfArray(await this.roles.list(ws.id), list, (r) => r.name.toLowerCase()).map(presentRole);
  }

  @Post()
  @ApiOperation({ summary: 'Create a custom role', description: 'Its scopes must be ones the caller holds.' })
  @Authenticated({ scopes: [Scope.RolesWrite], workspace: 'header' })
  @Audited('role.created', 'role')
  @Returns(RoleDto, 'Role created.', { status: 201, errors: [409, 422] })
  async create(@CurrentPrincipal() principal: Principal, @CurrentWorkspace() ws: WorkspaceAccess, @Body() body: CreateRoleDto): Promise<RoleDto> {
    assertCanDelegate(principal, body.scopes);
    return presentRole(await this.roles.create(ws.id, body));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a role (a role_… id or a built-in role name)' })
  @Authenticated({ scopes: [Scope.RolesRead], workspace: 'header' })
  @Returns(RoleDto, 'Role fetched.', { errors: [404] })
  async get(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<RoleDto> {
    return presentRole(await this.roles.get(ws.id, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a custom role (built-in roles cannot be changed)' })
  @Authenticated({ scopes: [Scope.RolesWrite], workspace: 'header' })
  @Audited('role.updated', 'role')
  @Returns(RoleDto, 'Role updated.', { errors: [404, 409, 422] })
  async update(@CurrentPrincipal() principal: Principal, @CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Body() body: UpdateRoleDto): Promise<RoleDto> {
    if (body.scopes) assertCanDelegate(principal, body.scopes);
    return presentRole(await this.roles.update(ws.id, id, body));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a custom role no member holds' })
  @Authenticated({ scopes: [Scope.RolesDelete], workspace: 'header' })
  @Audited('role.deleted', 'role')
  @Returns(null, 'Role deleted.', { status: 204, errors: [404, 409] })
  async delete(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<void> {
    await this.roles.delete(ws.id, id);
  }
}
