import { Body, Controller, Delete, Get, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, CurrentWorkspace, Principal, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { CreateWorkspaceUserDto, ReplaceWorkspaceUserDto, UpdateWorkspaceUserDto } from './dto/member.dto';
import { userIdParam } from './members.controller';
import { MembersService } from './members.service';
import { presentWorkspaceUser, WorkspaceUserDto } from './workspace.presenter';

const USER_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at', 'role'],
  defaultSort: 'created_at',
  fields: ['id', 'name', 'email', 'role', 'joined_at', 'created_at', 'updated_at'],
  filters: { role: null },
  searchable: true,
  updatable: true,
};

/** The users of the current workspace (X-Workspace-ID, or the API key's workspace). */
@ApiTags('Users')
@Controller('users')
export class WorkspaceUsersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @ApiOperation({ summary: 'List the users of the current workspace' })
  @Authenticated({ scopes: [Scope.UsersRead], workspace: 'header' })
  @Returns(WorkspaceUserDto, 'Users fetched.', { list: true })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(USER_LIST) list: ListQuery): Promise<Page<WorkspaceUserDto>> {
    return (await this.members.list(ws.id, list)).map(presentWorkspaceUser);
  }

  @Post()
  @ApiOperation({ summary: 'Create an account and add it to the current workspace' })
  @Authenticated({ scopes: [Scope.UsersWrite], workspace: 'header' })
  @Audited('member.added', 'user')
  @Returns(WorkspaceUserDto, 'User created.', { status: 201, errors: [409, 422] })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateWorkspaceUserDto): Promise<WorkspaceUserDto> {
    return presentWorkspaceUser(await this.members.createUser(principal, body));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a user of the current workspace' })
  @Authenticated({ scopes: [Scope.UsersRead], workspace: 'header' })
  @Returns(WorkspaceUserDto, 'User fetched.', { errors: [404] })
  async get(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<WorkspaceUserDto> {
    return presentWorkspaceUser(await this.members.get(ws.id, userIdParam(id)));
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace the name and e-mail (and optionally the role) of a user of the current workspace', description: 'A new e-mail only for an account that belongs to this workspace alone and whose role yours outranks (403 otherwise); a role never beyond your own permissions.' })
  @Authenticated({ scopes: [Scope.UsersWrite], workspace: 'header' })
  @Audited('user.updated', 'user')
  @Returns(WorkspaceUserDto, 'User updated.', { errors: [403, 409, 422] })
  async replace(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: ReplaceWorkspaceUserDto): Promise<WorkspaceUserDto> {
    return presentWorkspaceUser(await this.members.updateUser(principal, userIdParam(id), body));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a user of the current workspace', description: 'A new e-mail only for an account that belongs to this workspace alone and whose role yours outranks (403 otherwise); a role never beyond your own permissions.' })
  @Authenticated({ scopes: [Scope.UsersWrite], workspace: 'header' })
  @Audited('user.updated', 'user')
  @Returns(WorkspaceUserDto, 'User updated.', { errors: [403, 409, 422] })
  async update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateWorkspaceUserDto): Promise<WorkspaceUserDto> {
    return presentWorkspaceUser(await this.members.updateUser(principal, userIdParam(id), body));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Remove a user from the current workspace (the account stays)' })
  @Authenticated({ scopes: [Scope.UsersDelete], workspace: 'header' })
  @Audited('member.removed', 'user')
  @Returns(null, 'User removed from the workspace.', { status: 204, errors: [409] })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.members.remove(principal, userIdParam(id));
  }
}
